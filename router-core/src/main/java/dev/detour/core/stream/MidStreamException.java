package dev.detour.core.stream;

/**
 * A stream failed after elements had reached the caller, and the route could not (or was not to)
 * continue it. The message names the provider, how many elements were relayed, and why.
 */
public class MidStreamException extends RuntimeException {

    private final String provider;
    private final int relayed;

    public MidStreamException(String route, String provider, int relayed, String why, Throwable cause) {
        super("route '" + route + "': stream from " + provider + " failed after " + relayed
                + (relayed == 1 ? " chunk: " : " chunks: ") + why, cause);
        this.provider = provider;
        this.relayed = relayed;
    }

    /** The provider whose stream failed. */
    public String provider() {
        return provider;
    }

    /** Elements the caller had received. */
    public int relayed() {
        return relayed;
    }
}
