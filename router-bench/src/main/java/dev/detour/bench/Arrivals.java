package dev.detour.bench;

import java.util.SplittableRandom;

/**
 * When each request of an open-loop run is due, as an offset in nanoseconds from the run's start: a
 * pure computation, independent of the clock and of how fast answers come back.
 *
 * <ul>
 *   <li>{@link #fixed(double)}: request {@code i} is due at exactly {@code i × 1e9 / rate} ns (rounded
 *   to the nanosecond from the exact product, so no rounding error accumulates);</li>
 *   <li>{@link #poisson(double, long)}: exponentially distributed gaps of mean {@code 1 / rate},
 *   drawn from a generator seeded with {@code seed}, so the same seed gives the same schedule.</li>
 * </ul>
 *
 * <p>An instance is a cursor over one schedule and is used by one thread.
 */
public abstract class Arrivals {

    private Arrivals() {
    }

    /** Requests at a fixed {@code rate} per second. */
    public static Arrivals fixed(double rate) {
        return new Fixed(requireRate(rate));
    }

    /** Poisson arrivals at a mean {@code rate} per second, with gaps drawn from a generator seeded with {@code seed}. */
    public static Arrivals poisson(double rate, long seed) {
        return new Poisson(requireRate(rate), seed);
    }

    /** The offset from the run's start, in nanoseconds, at which the next request is due. */
    public abstract long next();

    /** The mean rate per second. */
    public abstract double rate();

    private static double requireRate(double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be a positive number of requests per second, was " + rate);
        }
        return rate;
    }

    private static final class Fixed extends Arrivals {

        private final double rate;
        private long index;

        Fixed(double rate) {
            this.rate = rate;
        }

        @Override
        public long next() {
            return Math.round(index++ * 1e9 / rate);
        }

        @Override
        public double rate() {
            return rate;
        }

        @Override
        public String toString() {
            return "fixed " + rate + "/s";
        }
    }

    private static final class Poisson extends Arrivals {

        private final double rate;
        private final SplittableRandom random;
        private double offset;
        private boolean started;

        Poisson(double rate, long seed) {
            this.rate = rate;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public long next() {
            if (started) {
                offset += -Math.log(1.0 - random.nextDouble()) * 1e9 / rate;
            }
            started = true;
            return Math.round(offset);
        }

        @Override
        public double rate() {
            return rate;
        }

        @Override
        public String toString() {
            return "poisson " + rate + "/s";
        }
    }
}
