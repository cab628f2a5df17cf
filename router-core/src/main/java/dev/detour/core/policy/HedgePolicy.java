package dev.detour.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * When to send the same request again, to another provider of the tier (or the same one when it is
 * alone), while the first attempt has not answered: after a fixed delay, or adaptively at a percentile
 * of the provider's observed latency. The first valid answer wins and the others are cancelled. Only
 * for idempotent calls. An immutable value, built by {@link #builder()} (where every default and rule
 * is stated); each wither returns a copy.
 *
 * <pre>{@code
 * HedgePolicy.builder().percentile(0.95).floor(Duration.ofMillis(20)).build()
 * HedgePolicy.after(Duration.ofMillis(300)).maxHedges(2)
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

    private HedgePolicy(Builder builder) {
        boolean adaptive = !Double.isNaN(builder.percentile);
        this.delay = !adaptive ? builder.after : builder.initialDelay != null ? builder.initialDelay : Builder.INITIAL_DELAY;
        this.percentile = builder.percentile;
        this.floor = !adaptive ? Duration.ZERO : builder.floor != null ? builder.floor : Builder.FLOOR;
        this.minSamples = !adaptive ? 0 : builder.initialDelay != null ? builder.minSamples : Builder.MIN_SAMPLES;
        this.maxHedges = builder.maxHedges;
    }

    /** Hedges once after a fixed {@code delay}. */
    public static HedgePolicy after(Duration delay) {
        return builder().after(delay).build();
    }

    /**
     * Hedges once after the provider's observed latency at {@code percentile} (e.g. 0.95) over its
     * latest answers; until 20 answers have been seen, after 1 second; never sooner than 1 ms.
     */
    public static HedgePolicy atPercentile(double percentile) {
        return builder().percentile(percentile).build();
    }

    /** A builder of a policy; it needs one of {@link Builder#after} and {@link Builder#percentile}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this policy's settings. */
    public Builder toBuilder() {
        Builder builder = new Builder().maxHedges(maxHedges);
        if (!adaptive()) {
            return builder.after(delay);
        }
        builder.percentile = percentile;
        builder.floor = floor;
        builder.minSamples = minSamples;
        builder.initialDelay = delay;
        return builder;
    }

    /** A copy that never hedges sooner than {@code floor} (adaptive delays only). */
    public HedgePolicy floor(Duration floor) {
        return toBuilder().floor(floor).build();
    }

    /** A copy that uses {@code initialDelay} until the provider has {@code minSamples} answers (adaptive delays only). */
    public HedgePolicy untilSamples(int minSamples, Duration initialDelay) {
        return toBuilder().untilSamples(minSamples, initialDelay).build();
    }

    /** A copy that sends up to {@code maxHedges} hedges per attempt, each one delay after the last. */
    public HedgePolicy maxHedges(int maxHedges) {
        return toBuilder().maxHedges(maxHedges).build();
    }

    /** Whether the delay follows observed latency. */
    public boolean adaptive() {
        return !Double.isNaN(percentile);
    }

    /** The percentile of observed latency an adaptive policy hedges at; NaN for a fixed delay. */
    public double percentile() {
        return percentile;
    }

    /** The shortest adaptive delay; {@link Duration#ZERO} for a fixed delay. */
    public Duration floor() {
        return floor;
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

    /** Builds a {@link HedgePolicy}: the one place its defaults and rules are stated. */
    public static final class Builder {

        private static final Duration FLOOR = Duration.ofMillis(1);
        private static final int MIN_SAMPLES = 20;
        private static final Duration INITIAL_DELAY = Duration.ofSeconds(1);

        private Duration after;
        private double percentile = Double.NaN;
        private Duration floor;
        private int minSamples;
        private Duration initialDelay;
        private int maxHedges = 1;

        private Builder() {
        }

        /** Hedges after a fixed, positive {@code delay}. */
        public Builder after(Duration delay) {
            requirePositive(delay, "hedge delay");
            this.after = delay;
            return this;
        }

        /** Hedges after the provider's observed latency at {@code percentile}, between 0 and 1 exclusive. */
        public Builder percentile(double percentile) {
            if (!(percentile > 0 && percentile < 1)) {
                throw new IllegalArgumentException("hedge percentile must be between 0 and 1, was " + percentile);
            }
            this.percentile = percentile;
            return this;
        }

        /** The shortest adaptive delay, positive; 1 ms unless set. A fixed delay has no floor. */
        public Builder floor(Duration floor) {
            requirePositive(floor, "hedge floor");
            this.floor = floor;
            return this;
        }

        /**
         * The delay used until the provider has {@code minSamples} (at least 1) answers; 1 second until 20
         * unless set. Adaptive delays only.
         */
        public Builder untilSamples(int minSamples, Duration initialDelay) {
            if (minSamples < 1) {
                throw new IllegalArgumentException("hedge minSamples must be at least 1, was " + minSamples);
            }
            requirePositive(initialDelay, "hedge initial delay");
            this.minSamples = minSamples;
            this.initialDelay = initialDelay;
            return this;
        }

        /** The most hedges per attempt, each one delay after the last: at least 1; 1 unless set. */
        public Builder maxHedges(int maxHedges) {
            if (maxHedges < 1) {
                throw new IllegalArgumentException("maxHedges must be at least 1, was " + maxHedges);
            }
            this.maxHedges = maxHedges;
            return this;
        }

        /**
         * The policy, or an {@link IllegalArgumentException} when it has neither or both of a fixed delay
         * and a percentile, or a fixed delay with a floor or an initial delay.
         */
        public HedgePolicy build() {
            boolean adaptive = !Double.isNaN(percentile);
            if ((after != null) == adaptive) {
                throw new IllegalArgumentException(adaptive
                        ? "give only one of after (a fixed delay) and percentile (an adaptive delay)"
                        : "give one of after (a fixed delay, e.g. 300ms) or percentile (an adaptive delay, e.g. 0.95)");
            }
            if (!adaptive && floor != null) {
                throw new IllegalArgumentException("floor applies only to a percentile hedge; a fixed delay has no floor");
            }
            if (!adaptive && initialDelay != null) {
                throw new IllegalArgumentException("untilSamples applies only to a percentile hedge; a fixed delay has no initial delay");
            }
            return new HedgePolicy(this);
        }
    }
}
