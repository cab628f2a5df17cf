package dev.detour.http.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Retries on the same provider, with exponential backoff and jitter.
 *
 * @param attempts   the most attempts on one provider, the first included (at least 1)
 * @param backoff    the delay before the first retry (100 ms unless set)
 * @param maxBackoff the longest delay (30 times {@code backoff} unless set)
 */
public record RetryConfig(int attempts, Duration backoff, Duration maxBackoff) {

    /** The first delay unless set. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);

    /** Checks that the delays are set. */
    public RetryConfig {
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
    }
}
