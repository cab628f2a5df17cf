package dev.detour.core;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link Provider} raises to say how a call failed, so that the route can decide whether to
 * retry, fall back or pass the error to the caller. The message must hold no secret.
 */
public class ProviderException extends RuntimeException {

    private final transient Failure failure;

    /** A failure described by {@code failure}. */
    public ProviderException(Failure failure) {
        super(message(Objects.requireNonNull(failure, "failure")), null, false, false);
        this.failure = failure;
    }

    private static String message(Failure failure) {
        String head = failure.toString();
        String detail = failure.detail();
        return detail == null || head.contains(detail) ? head : head + " " + detail;
    }

    /** The provider answered HTTP {@code status}; {@code message} is its error text. */
    public static ProviderException status(int status, String message) {
        return new ProviderException(Failure.status(status, null, message));
    }

    /** The provider answered 429 and asked to be called again after {@code retryAfter} (or null). */
    public static ProviderException rateLimited(Duration retryAfter, String message) {
        return new ProviderException(Failure.status(429, retryAfter, message));
    }

    /** The provider could not be called. */
    public static ProviderException unavailable(String why) {
        return new ProviderException(Failure.unavailable(why));
    }

    /** How the call failed. */
    public Failure failure() {
        return failure;
    }
}
