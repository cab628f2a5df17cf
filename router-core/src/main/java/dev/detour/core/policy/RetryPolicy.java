package dev.detour.core.policy;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How often one provider is tried within a request, and how long to wait between tries: exponential
 * backoff with jitter, on the failure kinds it names. An immutable value, built by {@link #builder()}
 * (where every default and rule is stated); each wither returns a copy.
 *
 * <pre>{@code
 * RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ofMillis(200)).maxDelay(Duration.ofSeconds(2)).build()
 * RetryPolicy.backoff(3, Duration.ofMillis(200)).jitter(0.25)
 * }</pre>
 *
 * <p>The delay before attempt {@code n} (from 2) is {@code initialDelay * multiplier^(n-2)}, capped at
 * {@code maxDelay}, then spread by up to {@code ±jitter} of itself. A Retry-After the provider sends
 * replaces the delay when it is longer. A route never waits past its deadline.
 */
public final class RetryPolicy {

    private static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(100);

    private static final RetryPolicy NONE = builder().initialDelay(Duration.ZERO).multiplier(1).jitter(0).build();

    private final int maxAttempts;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final double multiplier;
    private final double jitter;
    private final Set<FailureKind> retryOn;

    private RetryPolicy(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.initialDelay = builder.initialDelay;
        this.maxDelay = builder.maxDelay != null ? builder.maxDelay : builder.initialDelay.multipliedBy(30);
        this.multiplier = builder.multiplier;
        this.jitter = builder.jitter;
        this.retryOn = builder.retryOn;
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
        return builder().maxAttempts(maxAttempts).initialDelay(initialDelay).build();
    }

    /**
     * A builder of a policy: one attempt, then (when more are allowed) a first retry after 100 ms,
     * doubling up to 30 times the first delay, with ±50 % jitter, on {@link FailureKind#DEFAULT_RETRY}.
     *
     * <pre>{@code
     * RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ofMillis(200)).jitter(0.25).build()
     * }</pre>
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this policy's settings. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.maxAttempts = maxAttempts;
        builder.initialDelay = initialDelay;
        builder.maxDelay = maxDelay;
        builder.multiplier = multiplier;
        builder.jitter = jitter;
        builder.retryOn = retryOn;
        return builder;
    }

    /** A copy whose delays never exceed {@code maxDelay}. */
    public RetryPolicy maxDelay(Duration maxDelay) {
        return toBuilder().maxDelay(maxDelay).build();
    }

    /** A copy whose delays grow by {@code multiplier} (at least 1) each retry. */
    public RetryPolicy multiplier(double multiplier) {
        return toBuilder().multiplier(multiplier).build();
    }

    /** A copy whose delays vary by up to {@code ±jitter} (0 to 1) of themselves. */
    public RetryPolicy jitter(double jitter) {
        return toBuilder().jitter(jitter).build();
    }

    /**
     * A copy that retries only failures of these kinds; {@link FailureKind#DEFAULT_RETRY} unless set, so
     * list {@link FailureKind#TIMEOUT} to retry a provider that did not answer in time.
     * {@link FailureKind#CONTEXT_WINDOW} is never retried, even when listed: the same provider would
     * refuse the same request again.
     */
    public RetryPolicy retryOn(FailureKind first, FailureKind... more) {
        return toBuilder().retryOn(first, more).build();
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

    /** Builds a {@link RetryPolicy}: the one place its defaults and rules are stated. */
    public static final class Builder {

        private int maxAttempts = 1;
        private Duration initialDelay = DEFAULT_INITIAL_DELAY;
        private Duration maxDelay;
        private double multiplier = 2;
        private double jitter = 0.5;
        private Set<FailureKind> retryOn = FailureKind.DEFAULT_RETRY;

        private Builder() {
        }

        /** Attempts allowed, the first included: at least 1; 1 (no retry) unless set. */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** The delay before the first retry, before jitter: not negative; 100 ms unless set. */
        public Builder initialDelay(Duration initialDelay) {
            requireNonNegative(initialDelay, "initialDelay");
            this.initialDelay = initialDelay;
            return this;
        }

        /** The longest delay: at least the initial delay; 30 times the initial delay unless set. */
        public Builder maxDelay(Duration maxDelay) {
            requireNonNegative(maxDelay, "maxDelay");
            this.maxDelay = maxDelay;
            return this;
        }

        /** The growth factor of successive delays: at least 1; 2 unless set. */
        public Builder multiplier(double multiplier) {
            if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
            }
            this.multiplier = multiplier;
            return this;
        }

        /** How far each delay varies, as a share of itself: 0 to 1; 0.5 unless set. */
        public Builder jitter(double jitter) {
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("jitter must be between 0 and 1, was " + jitter);
            }
            this.jitter = jitter;
            return this;
        }

        /**
         * The failure kinds retried; {@link FailureKind#DEFAULT_RETRY} unless set.
         * {@link FailureKind#CONTEXT_WINDOW} is never retried, even when listed.
         */
        public Builder retryOn(FailureKind first, FailureKind... more) {
            EnumSet<FailureKind> kinds = EnumSet.of(first, more);
            kinds.remove(FailureKind.CONTEXT_WINDOW);
            this.retryOn = Collections.unmodifiableSet(kinds);
            return this;
        }

        /** The policy, or an {@link IllegalArgumentException} when the maximum delay is shorter than the first. */
        public RetryPolicy build() {
            if (maxDelay != null && maxDelay.compareTo(initialDelay) < 0) {
                throw new IllegalArgumentException("maxDelay " + maxDelay + " is shorter than initialDelay " + initialDelay);
            }
            return new RetryPolicy(this);
        }
    }
}
