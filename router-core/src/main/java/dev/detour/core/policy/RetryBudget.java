package dev.detour.core.policy;

import java.time.Duration;

/**
 * Caps retries at a share of a provider's recent traffic so that a failing provider cannot be hit
 * with a multiple of its normal load. Over a sliding window, a retry is allowed while
 * {@code retries < ratio × first attempts + minRetries}; over budget, a failure moves on instead.
 * An immutable value; {@link #tracker()} makes the mutable counter one provider uses.
 */
public final class RetryBudget {

    private static final int BUCKETS = 10;
    private static final RetryBudget DEFAULT = new RetryBudget(0.2, Duration.ofSeconds(10), 10);
    private static final RetryBudget UNLIMITED = new RetryBudget(Double.POSITIVE_INFINITY, Duration.ofSeconds(10), 0);

    private final double ratio;
    private final Duration window;
    private final int minRetries;

    private RetryBudget(double ratio, Duration window, int minRetries) {
        this.ratio = ratio;
        this.window = window;
        this.minRetries = minRetries;
    }

    /** 20 % of first attempts over 10 seconds, plus 10 retries a window so a quiet provider can retry. */
    public static RetryBudget defaults() {
        return DEFAULT;
    }

    /** No cap. */
    public static RetryBudget unlimited() {
        return UNLIMITED;
    }

    /** Retries up to {@code ratio} (0 to 1) of first attempts, over 10 seconds, with no floor. */
    public static RetryBudget ratio(double ratio) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("retry budget ratio must be between 0 and 1, was " + ratio);
        }
        return new RetryBudget(ratio, DEFAULT.window, 0);
    }

    /** A copy counting over {@code window} (at least 10 ms). */
    public RetryBudget window(Duration window) {
        if (window == null || window.toMillis() < BUCKETS) {
            throw new IllegalArgumentException("retry budget window must be at least 10ms, was " + window);
        }
        return new RetryBudget(ratio, window, minRetries);
    }

    /** A copy that always allows {@code minRetries} retries a window. */
    public RetryBudget minRetries(int minRetries) {
        if (minRetries < 0) {
            throw new IllegalArgumentException("minRetries must not be negative, was " + minRetries);
        }
        return new RetryBudget(ratio, window, minRetries);
    }

    /** The share of first attempts that may be retried. */
    public double ratioOfCalls() {
        return ratio;
    }

    /** The sliding window. */
    public Duration window() {
        return window;
    }

    /** Retries always allowed per window. */
    public int minRetries() {
        return minRetries;
    }

    /** A new counter for one provider. */
    public Tracker tracker() {
        return new Tracker(this);
    }

    @Override
    public String toString() {
        return ratio == Double.POSITIVE_INFINITY ? "RetryBudget[unlimited]"
                : "RetryBudget[ratio=" + ratio + ", window=" + window + ", minRetries=" + minRetries + "]";
    }

    /**
     * One provider's calls and retries over the window, in ten buckets. Thread-safe; each method holds
     * a short lock and never blocks otherwise.
     */
    public static final class Tracker {

        private final RetryBudget budget;
        private final long bucketNanos;
        private final long[] epochs = new long[BUCKETS];
        private final long[] calls = new long[BUCKETS];
        private final long[] retries = new long[BUCKETS];

        Tracker(RetryBudget budget) {
            this.budget = budget;
            this.bucketNanos = budget.window.toNanos() / BUCKETS;
        }

        /** Counts a first attempt at {@code nowNanos}. */
        public void recordCall(long nowNanos) {
            if (budget.ratio == Double.POSITIVE_INFINITY) {
                return;
            }
            synchronized (this) {
                calls[bucket(nowNanos)]++;
            }
        }

        /** Counts and allows a retry at {@code nowNanos} if the budget has room; false otherwise. */
        public boolean tryRetry(long nowNanos) {
            if (budget.ratio == Double.POSITIVE_INFINITY) {
                return true;
            }
            synchronized (this) {
                return tryRetryLocked(nowNanos);
            }
        }

        private boolean tryRetryLocked(long nowNanos) {
            int current = bucket(nowNanos);
            long epoch = epochs[current];
            long recentCalls = 0;
            long recentRetries = 0;
            for (int i = 0; i < BUCKETS; i++) {
                if (epoch - epochs[i] < BUCKETS) {
                    recentCalls += calls[i];
                    recentRetries += retries[i];
                }
            }
            if (recentRetries + 1 > budget.ratio * recentCalls + budget.minRetries) {
                return false;
            }
            retries[current]++;
            return true;
        }

        private int bucket(long nowNanos) {
            long epoch = Math.floorDiv(nowNanos, bucketNanos);
            int index = (int) Math.floorMod(epoch, (long) BUCKETS);
            if (epochs[index] != epoch) {
                epochs[index] = epoch;
                calls[index] = 0;
                retries[index] = 0;
            }
            return index;
        }
    }
}
