package dev.detour.core.policy;

import dev.detour.core.FailureKind;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How often one provider is tried within a request, and how long to wait between tries: exponential
 * backoff with jitter, on the failure kinds it names. An immutable value; each setter returns a copy.
 *
 * <pre>{@code
 * RetryPolicy.backoff(3, Duration.ofMillis(200)).maxDelay(Duration.ofSeconds(2)).jitter(0.25)
 * }</pre>
 *
 * <p>The delay before attempt {@code n} (from 2) is {@code initialDelay * multiplier^(n-2)}, capped at
 * {@code maxDelay}, then spread by up to {@code ±jitter} of itself. A Retry-After the provider sends
 * replaces the delay when it is longer. A route never waits past its deadline.
 */
public final class RetryPolicy {

    private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1, 0,
            FailureKind.DEFAULT_RETRY);

    private final int maxAttempts;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final double multiplier;
    private final double jitter;
    private final Set<FailureKind> retryOn;

    private RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay, double multiplier,
                        double jitter, Set<FailureKind> retryOn) {
        this.maxAttempts = maxAttempts;
        this.initialDelay = initialDelay;
        this.maxDelay = maxDelay;
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.retryOn = retryOn;
    }

    /** One attempt, no retry. */
    public static RetryPolicy none() {
        return NONE;
    }

    /**
     * Up to {@code maxAttempts} attempts (the first included), the first retry after about
     * {@code initialDelay}, doubling each time up to 30 times that, with ±50 % jitter, on
     * {@link FailureKind#DEFAULT_RETRY} (timeouts not included: see {@link #retryOn}).
     */
    public static RetryPolicy backoff(int maxAttempts, Duration initialDelay) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        requireNonNegative(initialDelay, "initialDelay");
        return new RetryPolicy(maxAttempts, initialDelay, initialDelay.multipliedBy(30), 2, 0.5,
                FailureKind.DEFAULT_RETRY);
    }

    /** A copy whose delays never exceed {@code maxDelay}. */
    public RetryPolicy maxDelay(Duration maxDelay) {
        requireNonNegative(maxDelay, "maxDelay");
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("maxDelay " + maxDelay + " is shorter than initialDelay " + initialDelay);
        }
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, multiplier, jitter, retryOn);
    }

    /** A copy whose delays grow by {@code multiplier} (at least 1) each retry. */
    public RetryPolicy multiplier(double multiplier) {
        if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
        }
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, multiplier, jitter, retryOn);
    }

    /** A copy whose delays vary by up to {@code ±jitter} (0 to 1) of themselves. */
    public RetryPolicy jitter(double jitter) {
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be between 0 and 1, was " + jitter);
        }
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, multiplier, jitter, retryOn);
    }

    /**
     * A copy that retries only failures of these kinds; {@link FailureKind#DEFAULT_RETRY} unless set, so
     * list {@link FailureKind#TIMEOUT} to retry a provider that did not answer in time.
     * {@link FailureKind#CONTEXT_WINDOW} is never retried, even when listed: the same provider would
     * refuse the same request again.
     */
    public RetryPolicy retryOn(FailureKind first, FailureKind... more) {
        EnumSet<FailureKind> kinds = EnumSet.of(first, more);
        kinds.remove(FailureKind.CONTEXT_WINDOW);
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, multiplier, jitter,
                Collections.unmodifiableSet(kinds));
    }

    /** Attempts allowed, the first included. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The delay before the first retry, before jitter. */
    public Duration initialDelay() {
        return initialDelay;
    }

    /** The longest delay. */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** The growth factor of successive delays. */
    public double multiplier() {
        return multiplier;
    }

    /** The jitter factor, 0 to 1. */
    public double jitter() {
        return jitter;
    }

    /** Whether a failure of {@code kind} is retried. */
    public boolean retries(FailureKind kind) {
        return retryOn.contains(kind);
    }

    /** The kinds this policy retries. */
    public Set<FailureKind> retryOn() {
        return retryOn;
    }

    /**
     * The delay before attempt {@code attempt} (2 or more), given a uniform random number in [0, 1).
     */
    public Duration delayBefore(int attempt, double random) {
        if (attempt < 2) {
            throw new IllegalArgumentException("the first retry is attempt 2, not " + attempt);
        }
        double cap = maxDelay.toNanos();
        double base = Math.min(cap, initialDelay.toNanos() * Math.pow(multiplier, attempt - 2.0));
        double spread = base * (1 - jitter + 2 * jitter * random);
        return Duration.ofNanos((long) Math.min(cap, spread));
    }

    static void requireNonNegative(Duration duration, String what) {
        Objects.requireNonNull(duration, what);
        if (duration.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, was " + duration);
        }
    }

    @Override
    public String toString() {
        return maxAttempts == 1 ? "RetryPolicy[none]"
                : "RetryPolicy[maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay + ", maxDelay="
                + maxDelay + ", multiplier=" + multiplier + ", jitter=" + jitter + ", retryOn=" + retryOn + "]";
    }
}
