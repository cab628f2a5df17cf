package dev.detour.core.policy;

import java.time.Duration;

/**
 * Caps extra calls (retries, hedges) at a share of a provider's recent traffic, so that a failing or
 * slow provider is not hit with a multiple of its normal load. Over a sliding window, an extra call is
 * allowed while {@code extras < ratio × first attempts + minExtra}; over budget, the route does without
 * it. An immutable value; the engine keeps one provider's counts against it.
 */
public final class Budget {

    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final int MIN_WINDOW_MILLIS = 10;
    private static final Budget RETRIES = new Budget(0.2, WINDOW, 10);
    private static final Budget HEDGES = new Budget(0.1, WINDOW, 10);
    private static final Budget UNLIMITED = new Budget(Double.POSITIVE_INFINITY, WINDOW, 0);

    private final double ratio;
    private final Duration window;
    private final int minExtra;

    private Budget(double ratio, Duration window, int minExtra) {
        this.ratio = ratio;
        this.window = window;
        this.minExtra = minExtra;
    }

    /** The default retry budget: 20 % of first attempts over 10 seconds, plus 10 a window so a quiet provider can retry. */
    public static Budget retries() {
        return RETRIES;
    }

    /** The default hedge budget: 10 % of first attempts over 10 seconds, plus 10 a window so a quiet route can hedge. */
    public static Budget hedges() {
        return HEDGES;
    }

    /** No cap. */
    public static Budget unlimited() {
        return UNLIMITED;
    }

    /** Extra calls up to {@code ratio} (0 to 1) of first attempts, over 10 seconds, with no floor. */
    public static Budget ratio(double ratio) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("budget ratio must be between 0 and 1, was " + ratio);
        }
        return new Budget(ratio, WINDOW, 0);
    }

    /** A copy counting over {@code window} (at least 10 ms). */
    public Budget window(Duration window) {
        if (window == null || window.toMillis() < MIN_WINDOW_MILLIS) {
            throw new IllegalArgumentException("budget window must be at least 10ms, was " + window);
        }
        return new Budget(ratio, window, minExtra);
    }

    /** A copy that always allows {@code minExtra} extra calls a window. */
    public Budget minExtra(int minExtra) {
        if (minExtra < 0) {
            throw new IllegalArgumentException("minExtra must not be negative, was " + minExtra);
        }
        return new Budget(ratio, window, minExtra);
    }

    /** The share of first attempts that may be followed by an extra call. */
    public double ratioOfCalls() {
        return ratio;
    }

    /** The sliding window. */
    public Duration window() {
        return window;
    }

    /** Extra calls always allowed per window. */
    public int minExtra() {
        return minExtra;
    }

    @Override
    public String toString() {
        return ratio == Double.POSITIVE_INFINITY ? "Budget[unlimited]"
                : "Budget[ratio=" + ratio + ", window=" + window + ", minExtra=" + minExtra + "]";
    }
}
