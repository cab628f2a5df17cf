package dev.detour.http.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Retries on the same provider, with exponential backoff and jitter.
 *
 * @param attempts   the most attempts on one provider, the first included (at least 1)
 * @param backoff    the delay before the first retry (100 ms unless set)
 * @param maxBackoff the longest delay (30 times {@code backoff} unless set)
 * @param retryOn    the failure kinds retried, as lower-case {@code FailureKind} names; {@code null}
 *                   for the engine's default (connection, server_error, rate_limited, request_timeout:
 *                   not timeout)
 */
public record RetryConfig(int attempts, Duration backoff, Duration maxBackoff, List<String> retryOn) {

    /** The first delay unless set. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);

    /** Checks that the delays are set. */
    public RetryConfig {
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        retryOn = retryOn == null ? null : List.copyOf(retryOn);
    }

    /** Retries on the engine's default kinds. */
    public RetryConfig(int attempts, Duration backoff, Duration maxBackoff) {
        this(attempts, backoff, maxBackoff, null);
    }
}
