package dev.detour.core;

import dev.detour.core.policy.FailureKind;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * Why an attempt failed: its {@link FailureKind}, the HTTP status where there was one, a Retry-After
 * the provider asked for, a short detail (the provider's own message, without the status), the
 * provider's error object ({@link UpstreamError}) where there was one, and the error behind it if any.
 */
public final class Failure {

    private final FailureKind kind;
    private final int status;
    private final Duration retryAfter;
    private final String detail;
    private final UpstreamError upstream;
    private final Throwable cause;

    private Failure(FailureKind kind, int status, Duration retryAfter, String detail, Throwable cause) {
        this(kind, status, retryAfter, detail, null, cause);
    }

    private Failure(FailureKind kind, int status, Duration retryAfter, String detail, UpstreamError upstream,
                    Throwable cause) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.status = status;
        this.retryAfter = retryAfter;
        this.detail = detail;
        this.upstream = upstream;
        this.cause = cause;
    }

    /** The attempt ran out of its timeout. */
    public static Failure timeout(Duration after) {
        return new Failure(FailureKind.TIMEOUT, 0, null, "timeout " + after.toMillis() + "ms", null);
    }

    /** An HTTP error status; {@code retryAfter} may be null. */
    public static Failure status(int status, Duration retryAfter, String message) {
        return new Failure(FailureKind.ofStatus(status), status, retryAfter, message, null);
    }

    /** The request does not fit the provider's context window; {@code status} is the HTTP status (0 for none). */
    public static Failure contextWindow(int status, String message) {
        return new Failure(FailureKind.CONTEXT_WINDOW, status, null, message, null);
    }

    /** The provider refused under its content policy; {@code status} is the HTTP status (0 for none). */
    public static Failure contentPolicy(int status, String message) {
        return new Failure(FailureKind.CONTENT_POLICY, status, null, message, null);
    }

    /** The connection failed. */
    public static Failure connection(String detail) {
        return new Failure(FailureKind.CONNECTION, 0, null, detail, null);
    }

    /** The answer was empty. */
    public static Failure empty(String detail) {
        return new Failure(FailureKind.EMPTY, 0, null, detail, null);
    }

    /** A validator rejected the answer for {@code reason}. */
    public static Failure invalid(String reason) {
        return new Failure(FailureKind.INVALID, 0, null, reason, null);
    }

    /** The answer scored {@code score}, under {@code floor}. */
    public static Failure lowConfidence(double score, double floor) {
        return new Failure(FailureKind.LOW_CONFIDENCE, 0, null, "confidence " + score + " < " + floor, null);
    }

    /** The provider could not be called at all. */
    public static Failure unavailable(String why) {
        return new Failure(FailureKind.UNAVAILABLE, 0, null, why, null);
    }

    /**
     * Classifies an error a provider raised, looking through its causes (a client library's wrapper
     * around a refused connection is still a connection failure): a {@link ProviderException} carries
     * its failure; a {@link TimeoutException}, or any exception whose class name ends in
     * {@code TimeoutException} (Netty's read timeout), is a timeout; an {@link IOException} (refused,
     * reset, closed early) is a connection failure; anything else is {@link FailureKind#ERROR}. The
     * failure's cause is {@code error} itself.
     */
    public static Failure of(Throwable error) {
        Throwable next = error;
        for (int depth = 0; next != null && depth < 8; depth++, next = next.getCause()) {
            if (next instanceof ProviderException) {
                return ((ProviderException) next).failure().withCause(error);
            }
            if (next instanceof TimeoutException || next.getClass().getSimpleName().endsWith("TimeoutException")) {
                return new Failure(FailureKind.TIMEOUT, 0, null, "timeout", error);
            }
            if (next instanceof IOException) {
                return new Failure(FailureKind.CONNECTION, 0, null, describe(next), error);
            }
        }
        return new Failure(FailureKind.ERROR, 0, null, describe(error), error);
    }

    static String describe(Throwable error) {
        String message = error.getMessage();
        String type = error.getClass().getSimpleName();
        return message == null || message.isEmpty() ? type : type + ": " + message;
    }

    Failure withCause(Throwable error) {
        return cause == error ? this : new Failure(kind, status, retryAfter, detail, upstream, error);
    }

    /** A copy that carries the provider's error object (null for none). */
    public Failure withUpstream(UpstreamError upstream) {
        return new Failure(kind, status, retryAfter, detail, upstream, cause);
    }

    /** A copy with another detail, e.g. with a secret the provider echoed taken out. */
    public Failure withDetail(String detail) {
        return new Failure(kind, status, retryAfter, detail, upstream, cause);
    }

    /** The class of this failure. */
    public FailureKind kind() {
        return kind;
    }

    /** The HTTP status, or 0 when the failure was not an HTTP status. */
    public int status() {
        return status;
    }

    /** How long the provider asked the caller to wait, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** A short human-readable detail (for an HTTP error, the provider's message without the status), or null. */
    public String detail() {
        return detail;
    }

    /** The provider's error object (type, code, param), or null when it gave none. */
    public UpstreamError upstream() {
        return upstream;
    }

    /** The error behind this failure, or null when there was none (an empty or rejected answer). */
    public Throwable cause() {
        return cause;
    }

    /**
     * A short description such as {@code 503}, {@code 429 retry-after 30s}, {@code timeout 2000ms},
     * {@code context-window 400} or {@code invalid: no JSON}.
     */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(32);
        switch (kind) {
            case TIMEOUT:
                text.append(detail == null ? "timeout" : detail);
                break;
            case SERVER_ERROR:
            case RATE_LIMITED:
            case REQUEST_TIMEOUT:
            case CLIENT_ERROR:
                text.append(status);
                if (retryAfter != null) {
                    text.append(" retry-after ").append(Durations.format(retryAfter));
                }
                break;
            case CONTEXT_WINDOW:
            case CONTENT_POLICY:
                text.append(kind == FailureKind.CONTEXT_WINDOW ? "context-window" : "content-policy");
                if (status != 0) {
                    text.append(' ').append(status);
                }
                break;
            default:
                text.append(kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
                if (detail != null) {
                    text.append(": ").append(detail);
                }
        }
        return text.toString();
    }
}
