package dev.detour.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * One way a simulated model misbehaves, and how often (a probability; 1.0, the default, is always).
 * An immutable value; {@link #probability(double)} returns a copy.
 *
 * <pre>{@code
 * Fault.status(503).probability(0.1)
 * Fault.rateLimited(Duration.ofSeconds(2))
 * Fault.cutAfter(3)
 * }</pre>
 *
 * <p>Faults that name a token count act on streams; on a request that is not streamed,
 * {@link Kind#STALL_AFTER} stalls, {@link Kind#CUT_AFTER} closes the connection without a response,
 * {@link Kind#END_AFTER} answers 200 with the JSON body cut in half, {@link Kind#ERROR_MID_STREAM}
 * answers with its status and the protocol's error body, and {@link Kind#MALFORMED_EVENT} does nothing
 * (the request gets the answer).
 */
public final class Fault {

    /** What goes wrong. */
    public enum Kind {
        /** An HTTP error status with the protocol's error body ({@code retry-after} on 429). */
        STATUS,
        /** Nothing after the stream's headers (and, on Anthropic, its preamble); no answer at all otherwise. */
        STALL,
        /** The stream stops after some tokens and never goes on. */
        STALL_AFTER,
        /** The connection is closed after some tokens, with no finish, {@code [DONE]} or {@code message_stop}. */
        CUT_AFTER,
        /** The response ends cleanly after some tokens, with no finish, {@code [DONE]} or {@code message_stop}. */
        END_AFTER,
        /** A 200 whose body is not JSON (in a stream: one event whose data is not JSON, then the end). */
        GARBAGE,
        /** A 200 answer whose content is {@code ""}. */
        EMPTY_ANSWER,
        /** A 200 whose JSON body is the protocol's error object. */
        ERROR_IN_200,
        /** After some tokens, an error event in the stream ({@code event: error} on Anthropic), then the end. */
        ERROR_MID_STREAM,
        /** The protocol's 400 for a prompt longer than the context window. */
        CONTEXT_WINDOW,
        /** The protocol's 400 for a request the provider's content policy refuses. */
        CONTENT_POLICY,
        /** After some tokens, one event whose data is not JSON, then the other tokens and the protocol's end. */
        MALFORMED_EVENT
    }

    /** The context window a {@link Kind#CONTEXT_WINDOW} fault names. */
    static final int CONTEXT_WINDOW = 8192;

    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

    private final Kind kind;
    private final int status;
    private final Duration retryAfter;
    private final int afterTokens;
    private final double probability;

    private Fault(Kind kind, int status, Duration retryAfter, int afterTokens, double probability) {
        this.kind = kind;
        this.status = status;
        this.retryAfter = retryAfter;
        this.afterTokens = afterTokens;
        this.probability = probability;
    }

    /** Answers {@code status} (400–599); a 429 says {@code retry-after: 1}. */
    public static Fault status(int status) {
        requireErrorStatus(status);
        return new Fault(Kind.STATUS, status, status == 429 ? DEFAULT_RETRY_AFTER : null, 0, 1.0);
    }

    /** Answers 429 with {@code retry-after} set to {@code retryAfter} in whole seconds, rounded up. */
    public static Fault rateLimited(Duration retryAfter) {
        Objects.requireNonNull(retryAfter, "retryAfter");
        if (retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
        }
        return new Fault(Kind.STATUS, 429, retryAfter, 0, 1.0);
    }

    /** Never answers (a stream sends its headers, and nothing before the first token): the client must time out. */
    public static Fault stall() {
        return new Fault(Kind.STALL, 200, null, 0, 1.0);
    }

    /** Streams {@code tokens} tokens, then stalls forever. */
    public static Fault stallAfter(int tokens) {
        return new Fault(Kind.STALL_AFTER, 200, null, requireTokens(tokens), 1.0);
    }

    /** Streams {@code tokens} tokens, then closes the connection. */
    public static Fault cutAfter(int tokens) {
        return new Fault(Kind.CUT_AFTER, 200, null, requireTokens(tokens), 1.0);
    }

    /** Streams {@code tokens} tokens, then ends the response cleanly but without the protocol's end. */
    public static Fault endAfter(int tokens) {
        return new Fault(Kind.END_AFTER, 200, null, requireTokens(tokens), 1.0);
    }

    /** Answers 200 with a body that is not JSON. */
    public static Fault garbage() {
        return new Fault(Kind.GARBAGE, 200, null, 0, 1.0);
    }

    /** Answers 200 with empty content. */
    public static Fault emptyAnswer() {
        return new Fault(Kind.EMPTY_ANSWER, 200, null, 0, 1.0);
    }

    /** Answers 200 with the protocol's error object (as for a 500) as the body. */
    public static Fault errorIn200() {
        return new Fault(Kind.ERROR_IN_200, 500, null, 0, 1.0);
    }

    /** Streams {@code tokens} tokens, then an overloaded error (as for a 529) in the stream. */
    public static Fault errorMidStream(int tokens) {
        return errorMidStream(tokens, 529);
    }

    /** Streams {@code tokens} tokens, then the error of {@code status} (400–599) in the stream. */
    public static Fault errorMidStream(int tokens, int status) {
        requireErrorStatus(status);
        return new Fault(Kind.ERROR_MID_STREAM, status, null, requireTokens(tokens), 1.0);
    }

    /**
     * Answers the protocol's 400 for a prompt too long for a context window of 8192 tokens, saying the
     * prompt had its real number of tokens, or 8193 when it had fewer.
     */
    public static Fault contextWindow() {
        return new Fault(Kind.CONTEXT_WINDOW, 400, null, 0, 1.0);
    }

    /** Answers the protocol's 400 for a request refused by the content policy. */
    public static Fault contentPolicy() {
        return new Fault(Kind.CONTENT_POLICY, 400, null, 0, 1.0);
    }

    /**
     * Streams {@code tokens} tokens, then one event whose data is truncated JSON, then the other tokens
     * and the protocol's normal end; a request that is not streamed gets the answer.
     */
    public static Fault malformedEventAfter(int tokens) {
        return new Fault(Kind.MALFORMED_EVENT, 200, null, requireTokens(tokens), 1.0);
    }

    /** A copy that happens to a share {@code probability} (0–1) of the requests. */
    public Fault probability(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("fault probability must be between 0 and 1, was " + probability);
        }
        return new Fault(kind, status, retryAfter, afterTokens, probability);
    }

    /** What goes wrong. */
    public Kind kind() {
        return kind;
    }

    /** The HTTP status of a {@link Kind#STATUS} fault, the error's status for the error kinds; 200 otherwise. */
    public int status() {
        return status;
    }

    /** The {@code retry-after} of a 429, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** How many tokens are streamed before the fault, for the kinds that count tokens; 0 otherwise. */
    public int afterTokens() {
        return afterTokens;
    }

    /** The share of the requests this fault happens to. */
    public double probability() {
        return probability;
    }

    /** Whether the fault happens to this request; draws from {@code random} only when the probability is strictly between 0 and 1. */
    public boolean fires(RandomGenerator random) {
        return probability >= 1 || probability > 0 && random.nextDouble() < probability;
    }

    private static void requireErrorStatus(int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("fault status must be between 400 and 599, was " + status);
        }
    }

    private static int requireTokens(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("token count must not be negative, was " + tokens);
        }
        return tokens;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("Fault[").append(kind);
        if (kind == Kind.STATUS || kind == Kind.ERROR_MID_STREAM || kind == Kind.CONTEXT_WINDOW
                || kind == Kind.CONTENT_POLICY) {
            text.append(' ').append(status);
        }
        if (retryAfter != null) {
            text.append(" retry-after ").append(retryAfter);
        }
        if (kind == Kind.STALL_AFTER || kind == Kind.CUT_AFTER || kind == Kind.END_AFTER || kind == Kind.ERROR_MID_STREAM
                || kind == Kind.MALFORMED_EVENT) {
            text.append(" after ").append(afterTokens).append(" tokens");
        }
        if (probability < 1) {
            text.append(" p=").append(probability);
        }
        return text.append(']').toString();
    }
}
