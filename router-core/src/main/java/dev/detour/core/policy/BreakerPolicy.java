package dev.detour.core.policy;

import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * When a provider's {@link CircuitBreaker} opens, how long it stays open, and how it closes again. An
 * immutable value, built by {@link #builder()} (where every default and rule is stated); each wither
 * returns a copy.
 *
 * <pre>{@code
 * BreakerPolicy.builder().timeWindow(Duration.ofSeconds(30)).failureRate(0.25)
 *         .slowCalls(Duration.ofSeconds(2), 0.8).openFor(Duration.ofSeconds(10)).build()
 * }</pre>
 *
 * <p>The breaker counts the results of recent calls, either the last {@link #countWindow()} calls or
 * the calls of the last {@link #timeWindow()}. Once the window holds at least {@link #minimumCalls()}
 * calls, it opens when the share of failures reaches {@link #failureRate()}, or, if slow calls trip
 * it, when the share of calls taking {@link #slowerThan()} or longer reaches {@link #slowCallRate()}.
 * Only failures of the kinds it {@link #records(FailureKind) records} are failures; any other result
 * shows the provider answered and counts as a success. It stays open for {@link #openFor()}, or for a
 * longer Retry-After, then lets {@link #halfOpenProbes()} probe calls through: one failure opens it
 * again, that many successes close it.
 */
public final class BreakerPolicy {

    /** The slow-call rate that opens the breaker when only the slow-call duration is set: every call slow. */
    public static final double DEFAULT_SLOW_CALL_RATE = 1.0;

    private static final int TIME_BUCKETS = 10;
    private static final BreakerPolicy DEFAULT = builder().build();
    private static final BreakerPolicy DISABLED = new BreakerPolicy(DEFAULT.toBuilder().enabled(false));

    private final boolean enabled;
    private final int countWindow;
    private final Duration timeWindow;
    private final int minimumCalls;
    private final double failureRate;
    private final Duration slowerThan;
    private final double slowCallRate;
    private final Duration openFor;
    private final int halfOpenProbes;
    private final Set<FailureKind> recordOn;

    private BreakerPolicy(Builder builder) {
        this.enabled = builder.enabled;
        this.countWindow = builder.countWindow;
        this.timeWindow = builder.timeWindow;
        this.minimumCalls = builder.minimumCalls;
        this.failureRate = builder.failureRate;
        this.slowerThan = builder.slowerThan;
        this.slowCallRate = builder.slowCallRate;
        this.openFor = builder.openFor;
        this.halfOpenProbes = builder.halfOpenProbes;
        this.recordOn = builder.recordOn;
    }

    /**
     * The last 20 calls, judged once there are 10: opens at a 50 % failure rate, for 30 seconds, then
     * closes after 3 successful probes. Records timeouts, connection failures, 5xx, 429, 408 and other
     * errors; slow calls do not trip it.
     */
    public static BreakerPolicy defaults() {
        return DEFAULT;
    }

    /**
     * A breaker that never opens by itself: every call goes through and results are ignored. An
     * operator can still force it open. Its copies stay disabled.
     */
    public static BreakerPolicy disabled() {
        return DISABLED;
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this policy's settings (a disabled policy's builder builds disabled policies). */
    public Builder toBuilder() {
        Builder builder = new Builder().enabled(enabled);
        builder.countWindow = countWindow;
        builder.timeWindow = timeWindow;
        builder.minimumCalls = minimumCalls;
        builder.minimumCallsSet = minimumCalls != DEFAULT.minimumCalls;
        builder.failureRate = failureRate;
        builder.slowerThan = slowerThan;
        builder.slowCallRate = slowCallRate;
        builder.openFor = openFor;
        builder.halfOpenProbes = halfOpenProbes;
        builder.recordOn = recordOn;
        return builder;
    }

    /** A copy that counts the last {@code calls} calls (at least 1). */
    public BreakerPolicy countWindow(int calls) {
        return toBuilder().countWindow(calls).build();
    }

    /** A copy that counts the calls of the last {@code window} (at least 10 ms), in ten equal buckets. */
    public BreakerPolicy timeWindow(Duration window) {
        return toBuilder().timeWindow(window).build();
    }

    /**
     * A copy that judges the window only once it holds {@code calls} calls (at least 1, and no more
     * than a count window holds).
     */
    public BreakerPolicy minimumCalls(int calls) {
        return toBuilder().minimumCalls(calls).build();
    }

    /** A copy that opens when the share of failures reaches {@code rate} (above 0, at most 1). */
    public BreakerPolicy failureRate(double rate) {
        return toBuilder().failureRate(rate).build();
    }

    /**
     * A copy that also opens when the share of slow calls reaches {@code rate} (above 0, at most 1): a
     * call is slow when it takes {@code slowerThan} (positive) or longer, whether it succeeded or failed.
     * A slow probe then fails like a failed one.
     */
    public BreakerPolicy slowCalls(Duration slowerThan, double rate) {
        return toBuilder().slowCalls(slowerThan, rate).build();
    }

    /** A copy that stays open for at least {@code openFor} (positive) before probing. */
    public BreakerPolicy openFor(Duration openFor) {
        return toBuilder().openFor(openFor).build();
    }

    /** A copy that lets {@code probes} (at least 1) calls through half-open, and closes when all succeed. */
    public BreakerPolicy halfOpenProbes(int probes) {
        return toBuilder().halfOpenProbes(probes).build();
    }

    /** A copy that counts only failures of these kinds as failures; any other result is a success. */
    public BreakerPolicy recordOn(FailureKind first, FailureKind... more) {
        return toBuilder().recordOn(first, more).build();
    }

    /** Whether the breaker opens by itself; false for {@link #disabled()}. */
    public boolean enabled() {
        return enabled;
    }

    /** The calls a count window holds, or 0 when the window is a {@link #timeWindow() time window}. */
    public int countWindow() {
        return countWindow;
    }

    /** The span of a time window, or {@link Duration#ZERO} when the window is a {@link #countWindow() count}. */
    public Duration timeWindow() {
        return timeWindow;
    }

    /** Whether the window is a time window rather than a count of calls. */
    public boolean timeBased() {
        return countWindow == 0;
    }

    /** The calls the window must hold before it is judged. */
    public int minimumCalls() {
        return minimumCalls;
    }

    /** The share of failures that opens the breaker. */
    public double failureRate() {
        return failureRate;
    }

    /** Whether a high share of slow calls opens the breaker. */
    public boolean tripsOnSlowCalls() {
        return slowCallRate > 0;
    }

    /** The duration from which a call is slow, or {@link Duration#ZERO} when slow calls do not trip. */
    public Duration slowerThan() {
        return slowerThan;
    }

    /** The share of slow calls that opens the breaker, or 0 when slow calls do not trip. */
    public double slowCallRate() {
        return slowCallRate;
    }

    /** The shortest time the breaker stays open. */
    public Duration openFor() {
        return openFor;
    }

    /** The probe calls allowed half-open, all of which must succeed to close. */
    public int halfOpenProbes() {
        return halfOpenProbes;
    }

    /** Whether a failure of {@code kind} counts as a failure. */
    public boolean records(FailureKind kind) {
        return recordOn.contains(kind);
    }

    /** The kinds that count as failures. */
    public Set<FailureKind> recordOn() {
        return recordOn;
    }

    private static void requireRate(double rate, String what) {
        if (!(rate > 0 && rate <= 1)) {
            throw new IllegalArgumentException(what + " must be above 0 and at most 1, was " + rate);
        }
    }

    @Override
    public String toString() {
        if (!enabled) {
            return "BreakerPolicy[disabled]";
        }
        return "BreakerPolicy[" + (timeBased() ? "timeWindow=" + timeWindow : "countWindow=" + countWindow)
                + ", minimumCalls=" + minimumCalls + ", failureRate=" + failureRate
                + (tripsOnSlowCalls() ? ", slowerThan=" + slowerThan + ", slowCallRate=" + slowCallRate : "")
                + ", openFor=" + openFor + ", halfOpenProbes=" + halfOpenProbes + ", recordOn=" + recordOn + "]";
    }

    /**
     * Builds a {@link BreakerPolicy}, starting from {@link #defaults()}: the one place its defaults and
     * rules are stated.
     *
     * <pre>{@code
     * BreakerPolicy.builder().countWindow(50).minimumCalls(20).openFor(Duration.ofSeconds(10)).build()
     * }</pre>
     */
    public static final class Builder {

        private boolean enabled = true;
        private int countWindow = 20;
        private Duration timeWindow = Duration.ZERO;
        private int minimumCalls = 10;
        private boolean minimumCallsSet;
        private double failureRate = 0.5;
        private Duration slowerThan = Duration.ZERO;
        private double slowCallRate;
        private Duration openFor = Duration.ofSeconds(30);
        private int halfOpenProbes = 3;
        private Set<FailureKind> recordOn = Collections.unmodifiableSet(EnumSet.of(FailureKind.TIMEOUT,
                FailureKind.CONNECTION, FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED,
                FailureKind.REQUEST_TIMEOUT, FailureKind.ERROR));

        private Builder() {
        }

        private Builder enabled(boolean enabled) {
            this.enabled = enabled;
            return this;
        }

        /** Counts the last {@code calls} calls (at least 1); the last 20 unless set. */
        public Builder countWindow(int calls) {
            if (calls < 1) {
                throw new IllegalArgumentException("countWindow must be at least 1, was " + calls);
            }
            this.countWindow = calls;
            this.timeWindow = Duration.ZERO;
            return this;
        }

        /** Counts the calls of the last {@code window} (at least 10 ms), in ten equal buckets, instead. */
        public Builder timeWindow(Duration window) {
            Objects.requireNonNull(window, "timeWindow");
            if (window.toMillis() < TIME_BUCKETS) {
                throw new IllegalArgumentException("timeWindow must be at least 10ms, was " + window);
            }
            this.countWindow = 0;
            this.timeWindow = window;
            return this;
        }

        /**
         * Judges the window only once it holds {@code calls} calls (at least 1); 10 unless set. Set here,
         * it must not be more than a count window holds: that breaker could never open.
         */
        public Builder minimumCalls(int calls) {
            if (calls < 1) {
                throw new IllegalArgumentException("minimumCalls must be at least 1, was " + calls);
            }
            this.minimumCalls = calls;
            this.minimumCallsSet = true;
            return this;
        }

        /** Opens when the share of failures reaches {@code rate} (above 0, at most 1); 0.5 unless set. */
        public Builder failureRate(double rate) {
            requireRate(rate, "failureRate");
            this.failureRate = rate;
            return this;
        }

        /**
         * Also opens when the share of calls taking {@code slowerThan} (positive) or longer reaches
         * {@code rate} (above 0, at most 1); slow calls do not trip it unless set.
         */
        public Builder slowCalls(Duration slowerThan, double rate) {
            Objects.requireNonNull(slowerThan, "slowerThan");
            if (slowerThan.isNegative() || slowerThan.isZero()) {
                throw new IllegalArgumentException("slowerThan must be positive, was " + slowerThan);
            }
            requireRate(rate, "slowCallRate");
            this.slowerThan = slowerThan;
            this.slowCallRate = rate;
            return this;
        }

        /** Like {@link #slowCalls(Duration, double)} at {@link #DEFAULT_SLOW_CALL_RATE}. */
        public Builder slowCalls(Duration slowerThan) {
            return slowCalls(slowerThan, DEFAULT_SLOW_CALL_RATE);
        }

        /** Stays open for at least {@code openFor} (positive) before probing; 30 seconds unless set. */
        public Builder openFor(Duration openFor) {
            Objects.requireNonNull(openFor, "openFor");
            if (openFor.isNegative() || openFor.isZero()) {
                throw new IllegalArgumentException("openFor must be positive, was " + openFor);
            }
            this.openFor = openFor;
            return this;
        }

        /** Lets {@code probes} (at least 1) calls through half-open, and closes when all succeed; 3 unless set. */
        public Builder halfOpenProbes(int probes) {
            if (probes < 1) {
                throw new IllegalArgumentException("halfOpenProbes must be at least 1, was " + probes);
            }
            this.halfOpenProbes = probes;
            return this;
        }

        /**
         * Counts only failures of these kinds as failures; timeouts, connection failures, 5xx, 429, 408
         * and other errors unless set.
         */
        public Builder recordOn(FailureKind first, FailureKind... more) {
            this.recordOn = Collections.unmodifiableSet(EnumSet.of(first, more));
            return this;
        }

        /**
         * The policy, or an {@link IllegalArgumentException} when the minimum calls set here are more than
         * the count window holds.
         */
        public BreakerPolicy build() {
            if (minimumCallsSet && countWindow > 0 && minimumCalls > countWindow) {
                throw new IllegalArgumentException("minimumCalls " + minimumCalls + " is more than the window ("
                        + countWindow + " calls), so the breaker could never open");
            }
            return new BreakerPolicy(this);
        }
    }
}
