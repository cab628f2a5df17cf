package dev.detour.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * When to send the same request again, to another provider of the tier (or the same one when it is
 * alone), while the first attempt has not answered: after a fixed delay, or adaptively at a percentile
 * of the provider's observed latency. The first valid answer wins and the others are cancelled. Only
 * for idempotent calls. An immutable value; each setter returns a copy.
 *
 * <pre>{@code
 * HedgePolicy.atPercentile(0.95).floor(Duration.ofMillis(20)).maxHedges(1)
 * }</pre>
 *
 * <p>Hedges also count against the router's hedge {@link Budget}, so a slow provider cannot double the load.
 */
public final class HedgePolicy {

    private final Duration delay;
    private final double percentile;
    private final Duration floor;
    private final int minSamples;
    private final int maxHedges;

    private HedgePolicy(Duration delay, double percentile, Duration floor, int minSamples, int maxHedges) {
        this.delay = delay;
        this.percentile = percentile;
        this.floor = floor;
        this.minSamples = minSamples;
        this.maxHedges = maxHedges;
    }

    /** Hedges once after a fixed {@code delay}. */
    public static HedgePolicy after(Duration delay) {
        requirePositive(delay, "hedge delay");
        return new HedgePolicy(delay, Double.NaN, Duration.ZERO, 0, 1);
    }

    /**
     * Hedges once after the provider's observed latency at {@code percentile} (e.g. 0.95) over its
     * latest answers; until 20 answers have been seen, after 1 second; never sooner than 1 ms.
     */
    public static HedgePolicy atPercentile(double percentile) {
        if (!(percentile > 0 && percentile < 1)) {
            throw new IllegalArgumentException("hedge percentile must be between 0 and 1, was " + percentile);
        }
        return new HedgePolicy(Duration.ofSeconds(1), percentile, Duration.ofMillis(1), 20, 1);
    }

    /** A copy that never hedges sooner than {@code floor} (adaptive delays only). */
    public HedgePolicy floor(Duration floor) {
        requirePositive(floor, "hedge floor");
        return new HedgePolicy(delay, percentile, floor, minSamples, maxHedges);
    }

    /** A copy that uses {@code initialDelay} until the provider has {@code minSamples} answers. */
    public HedgePolicy untilSamples(int minSamples, Duration initialDelay) {
        if (minSamples < 1) {
            throw new IllegalArgumentException("hedge minSamples must be at least 1, was " + minSamples);
        }
        requirePositive(initialDelay, "hedge initial delay");
        return new HedgePolicy(initialDelay, percentile, floor, minSamples, maxHedges);
    }

    /** A copy that sends up to {@code maxHedges} hedges per attempt, each one delay after the last. */
    public HedgePolicy maxHedges(int maxHedges) {
        if (maxHedges < 1) {
            throw new IllegalArgumentException("maxHedges must be at least 1, was " + maxHedges);
        }
        return new HedgePolicy(delay, percentile, floor, minSamples, maxHedges);
    }

    /** Whether the delay follows observed latency. */
    public boolean adaptive() {
        return !Double.isNaN(percentile);
    }

    /** The most hedges per attempt. */
    public int maxHedges() {
        return maxHedges;
    }

    /** The delay before a hedge, given the hedged provider's latencies. */
    public Duration delay(LatencyWindow latencies) {
        if (!adaptive()) {
            return delay;
        }
        long observed = latencies.percentile(percentile, minSamples);
        return observed < 0 ? delay : Duration.ofNanos(Math.max(floor.toNanos(), observed));
    }

    private static void requirePositive(Duration duration, String what) {
        Objects.requireNonNull(duration, what);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + duration);
        }
    }

    @Override
    public String toString() {
        return adaptive()
                ? "HedgePolicy[p" + percentile * 100 + ", floor=" + floor + ", until " + minSamples + " samples " + delay
                + ", maxHedges=" + maxHedges + "]"
                : "HedgePolicy[after " + delay + ", maxHedges=" + maxHedges + "]";
    }
}
