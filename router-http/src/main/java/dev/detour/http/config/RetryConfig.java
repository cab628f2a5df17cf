package dev.detour.http.config;

import dev.detour.core.Durations;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Retries on the same provider, with exponential backoff and jitter: a {@link RetryPolicy}, whose
 * builder states the defaults and rules.
 *
 * @param attempts   the most attempts on one provider, the first included (at least 1)
 * @param backoff    the delay before the first retry (the policy's 100 ms unless set)
 * @param maxBackoff the longest delay, at least {@code backoff} (30 times {@code backoff} unless set)
 * @param retryOn    the failure kinds retried, as lower-case {@code FailureKind} names; {@code null}
 *                   for the engine's default (connection, server_error, rate_limited, request_timeout:
 *                   not timeout)
 */
public record RetryConfig(int attempts, Duration backoff, Duration maxBackoff, List<String> retryOn) {

    /**
     * Builds the policy, then holds its delays for what is null.
     *
     * @throws ConfigException when the policy's builder refuses the values
     */
    public RetryConfig {
        retryOn = retryOn == null ? null : retryOn.stream().map(kind -> Words.canonical(FailureKind.class, kind)).toList();
        RetryPolicy policy = policy(attempts, backoff, maxBackoff, retryOn);
        backoff = policy.initialDelay();
        maxBackoff = policy.maxDelay();
    }

    /** Retries on the engine's default kinds. */
    public RetryConfig(int attempts, Duration backoff, Duration maxBackoff) {
        this(attempts, backoff, maxBackoff, null);
    }

    /** The policy. */
    public RetryPolicy policy() {
        return policy(attempts, backoff, maxBackoff, retryOn);
    }

    private static RetryPolicy policy(int attempts, Duration backoff, Duration maxBackoff, List<String> retryOn) {
        RetryPolicy.Builder policy = RetryPolicy.builder().maxAttempts(attempts);
        if (backoff != null) {
            policy.initialDelay(backoff);
        }
        if (maxBackoff != null) {
            policy.maxDelay(maxBackoff);
        }
        FailureKind[] kinds = Words.kinds(retryOn);
        if (kinds != null) {
            policy.retryOn(kinds[0], Arrays.copyOfRange(kinds, 1, kinds.length));
        }
        try {
            return policy.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("max-backoff: " + Durations.format(maxBackoff) + " is shorter than the backoff ("
                    + Durations.format(backoff != null ? backoff : RetryPolicy.builder().build().initialDelay()) + ")");
        }
    }
}
