package dev.detour.core.policy;

import dev.detour.core.FailureKind;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * When a provider's {@link CircuitBreaker} opens, how long it stays open, and how it closes again. An
 * immutable value; each setter returns a copy.
 *
 * <pre>{@code
 * BreakerPolicy.defaults().timeWindow(Duration.ofSeconds(30)).failureRate(0.25)
 *         .slowCalls(Duration.ofSeconds(2), 0.8).openFor(Duration.ofSeconds(10))
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

    private static final int TIME_BUCKETS = 10;
    private static final Set<FailureKind> DEFAULT_RECORD = Collections.unmodifiableSet(EnumSet.of(
            FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED,
            FailureKind.REQUEST_TIMEOUT, FailureKind.ERROR));
    private static final BreakerPolicy DEFAULT = new BreakerPolicy(true, 20, Duration.ZERO, 10, 0.5,
            Duration.ZERO, 0, Duration.ofSeconds(30), 3, DEFAULT_RECORD);
    private static final BreakerPolicy DISABLED = new BreakerPolicy(false, DEFAULT.countWindow, DEFAULT.timeWindow,
            DEFAULT.minimumCalls, DEFAULT.failureRate, DEFAULT.slowerThan, DEFAULT.slowCallRate, DEFAULT.openFor,
            DEFAULT.halfOpenProbes, DEFAULT.recordOn);

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

    private BreakerPolicy(boolean enabled, int countWindow, Duration timeWindow, int minimumCalls,
                          double failureRate, Duration slowerThan, double slowCallRate, Duration openFor,
                          int halfOpenProbes, Set<FailureKind> recordOn) {
        this.enabled = enabled;
        this.countWindow = countWindow;
        this.timeWindow = timeWindow;
        this.minimumCalls = minimumCalls;
        this.failureRate = failureRate;
        this.slowerThan = slowerThan;
        this.slowCallRate = slowCallRate;
        this.openFor = openFor;
        this.halfOpenProbes = halfOpenProbes;
        this.recordOn = recordOn;
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

    /** A copy that counts the last {@code calls} calls (at least 1). */
    public BreakerPolicy countWindow(int calls) {
        if (calls < 1) {
            throw new IllegalArgumentException("countWindow must be at least 1, was " + calls);
        }
        return new BreakerPolicy(enabled, calls, Duration.ZERO, minimumCalls, failureRate, slowerThan,
                slowCallRate, openFor, halfOpenProbes, recordOn);
    }

    /** A copy that counts the calls of the last {@code window} (at least 10 ms), in ten equal buckets. */
    public BreakerPolicy timeWindow(Duration window) {
        Objects.requireNonNull(window, "timeWindow");
        if (window.toMillis() < TIME_BUCKETS) {
            throw new IllegalArgumentException("timeWindow must be at least 10ms, was " + window);
        }
        return new BreakerPolicy(enabled, 0, window, minimumCalls, failureRate, slowerThan, slowCallRate,
                openFor, halfOpenProbes, recordOn);
    }

    /**
     * A copy that judges the window only once it holds {@code calls} calls (at least 1). A count
     * window shorter than this never fills enough to open.
     */
    public BreakerPolicy minimumCalls(int calls) {
        if (calls < 1) {
            throw new IllegalArgumentException("minimumCalls must be at least 1, was " + calls);
        }
        return new BreakerPolicy(enabled, countWindow, timeWindow, calls, failureRate, slowerThan, slowCallRate,
                openFor, halfOpenProbes, recordOn);
    }

    /** A copy that opens when the share of failures reaches {@code rate} (above 0, at most 1). */
    public BreakerPolicy failureRate(double rate) {
        requireRate(rate, "failureRate");
        return new BreakerPolicy(enabled, countWindow, timeWindow, minimumCalls, rate, slowerThan, slowCallRate,
                openFor, halfOpenProbes, recordOn);
    }

    /**
     * A copy that also opens when the share of slow calls reaches {@code rate} (above 0, at most 1): a
     * call is slow when it takes {@code slowerThan} (positive) or longer, whether it succeeded or failed.
     * A slow probe then fails like a failed one.
     */
    public BreakerPolicy slowCalls(Duration slowerThan, double rate) {
        Objects.requireNonNull(slowerThan, "slowerThan");
        if (slowerThan.isNegative() || slowerThan.isZero()) {
            throw new IllegalArgumentException("slowerThan must be positive, was " + slowerThan);
        }
        requireRate(rate, "slowCallRate");
        return new BreakerPolicy(enabled, countWindow, timeWindow, minimumCalls, failureRate, slowerThan, rate,
                openFor, halfOpenProbes, recordOn);
    }

    /** A copy that stays open for at least {@code openFor} (positive) before probing. */
    public BreakerPolicy openFor(Duration openFor) {
        Objects.requireNonNull(openFor, "openFor");
        if (openFor.isNegative() || openFor.isZero()) {
            throw new IllegalArgumentException("openFor must be positive, was " + openFor);
        }
        return new BreakerPolicy(enabled, countWindow, timeWindow, minimumCalls, failureRate, slowerThan,
                slowCallRate, openFor, halfOpenProbes, recordOn);
    }

    /** A copy that lets {@code probes} (at least 1) calls through half-open, and closes when all succeed. */
    public BreakerPolicy halfOpenProbes(int probes) {
        if (probes < 1) {
            throw new IllegalArgumentException("halfOpenProbes must be at least 1, was " + probes);
        }
        return new BreakerPolicy(enabled, countWindow, timeWindow, minimumCalls, failureRate, slowerThan,
                slowCallRate, openFor, probes, recordOn);
    }

    /** A copy that counts only failures of these kinds as failures; any other result is a success. */
    public BreakerPolicy recordOn(FailureKind first, FailureKind... more) {
        return new BreakerPolicy(enabled, countWindow, timeWindow, minimumCalls, failureRate, slowerThan,
                slowCallRate, openFor, halfOpenProbes, Collections.unmodifiableSet(EnumSet.of(first, more)));
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
}
