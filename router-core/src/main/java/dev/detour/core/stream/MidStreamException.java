package dev.detour.core.stream;

import dev.detour.core.Failure;

/**
 * A stream failed after elements had reached the caller, and the route could not (or was not to)
 * continue it, or its deadline ran out. The message names the provider, how many elements were
 * relayed, and why; {@link #failure()} is the original mid-stream failure, whatever a continuation
 * attempt met afterwards.
 */
public class MidStreamException extends RuntimeException {

    private final String provider;
    private final int relayed;
    private final Failure failure;
    private final boolean deadlineExceeded;

    public MidStreamException(String route, String provider, int relayed, Failure failure, String why,
                              boolean deadlineExceeded) {
        super("route '" + route + "': stream from " + provider + " failed after " + relayed
                + (relayed == 1 ? " chunk: " : " chunks: ") + why, failure.cause());
        this.provider = provider;
        this.relayed = relayed;
        this.failure = failure;
        this.deadlineExceeded = deadlineExceeded;
    }

    /** The provider whose stream failed. */
    public String provider() {
        return provider;
    }

    /** Elements the caller had received. */
    public int relayed() {
        return relayed;
    }

    /** The failure that cut the stream (for a deadline, a timeout). */
    public Failure failure() {
        return failure;
    }

    /** Whether the route's deadline ended the stream. */
    public boolean deadlineExceeded() {
        return deadlineExceeded;
    }
}
