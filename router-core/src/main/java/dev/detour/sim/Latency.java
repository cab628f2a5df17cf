package dev.detour.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long a simulated model takes before its answer, its error or its first streamed token. An
 * immutable value: a fixed delay, a log-normal distribution, or either of them with stragglers.
 *
 * <pre>{@code
 * Latency.withStragglers(Latency.lognormal(Duration.ofMillis(40), 0.3), 0.01, Duration.ofSeconds(2))
 * }</pre>
 *
 * <p>Each request draws its delay from the random generator it is given, so a seeded generator gives
 * the same delays again (see {@link SimulatedProvider.Builder#seed(long)}).
 */
public final class Latency {

    private static final Latency NONE = new Latency("none", random -> 0L);

    private final String description;
    private final Sampler sampler;

    private Latency(String description, Sampler sampler) {
        this.description = description;
        this.sampler = sampler;
    }

    /** No delay at all. */
    public static Latency none() {
        return NONE;
    }

    /** Always {@code delay}. */
    public static Latency fixed(Duration delay) {
        long nanos = requireNotNegative(delay, "fixed latency").toNanos();
        return nanos == 0 ? NONE : new Latency("fixed " + delay, random -> nanos);
    }

    /**
     * Log-normal delays: half the requests are faster than {@code median}, and {@code sigma} (the
     * standard deviation of the delay's logarithm, e.g. 0.5) sets how heavy the tail is.
     */
    public static Latency lognormal(Duration median, double sigma) {
        long medianNanos = requireNotNegative(median, "lognormal median").toNanos();
        if (!(sigma >= 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("lognormal sigma must be a finite number >= 0, was " + sigma);
        }
        return new Latency("lognormal median " + median + " sigma " + sigma, random -> {
            double nanos = medianNanos * Math.exp(sigma * random.nextGaussian());
            return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.round(nanos);
        });
    }

    /**
     * {@code base}, except that a share {@code probability} of the requests (e.g. 0.01) take
     * {@code stragglerDelay} instead (e.g. 2 s): the heavy tail that hedging is for.
     */
    public static Latency withStragglers(Latency base, double probability, Duration stragglerDelay) {
        Objects.requireNonNull(base, "base latency");
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("straggler probability must be between 0 and 1, was " + probability);
        }
        long straggler = requireNotNegative(stragglerDelay, "straggler delay").toNanos();
        return new Latency(base.description + " with " + probability * 100 + "% stragglers of " + stragglerDelay,
                random -> random.nextDouble() < probability ? straggler : base.sampler.nanos(random));
    }

    /** Draws one delay, using {@code random} for any randomness. */
    public Duration sample(RandomGenerator random) {
        return Duration.ofNanos(sampler.nanos(Objects.requireNonNull(random, "random")));
    }

    /** Whether every delay is zero. */
    public boolean isNone() {
        return this == NONE;
    }

    private static Duration requireNotNegative(Duration duration, String what) {
        Objects.requireNonNull(duration, what);
        if (duration.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, was " + duration);
        }
        return duration;
    }

    @Override
    public String toString() {
        return "Latency[" + description + "]";
    }

    @FunctionalInterface
    private interface Sampler {
        long nanos(RandomGenerator random);
    }
}
