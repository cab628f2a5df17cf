package dev.detour.core;

import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.LatencyWindow;
import dev.detour.core.spi.CircuitBreaker;
import dev.detour.core.spi.ExtraCalls;
import dev.detour.core.spi.Overrides;
import java.time.Duration;

/** One provider's shared state in a router: breaker, budgets, latency and error statistics, operator flag. */
final class ProviderState {

    private static final double ALPHA = 0.2;
    private static final int WINDOW = 256;

    /** The duration of a cancelled call that is no latency sample. */
    static final long UNTIMED = -1;

    final String name;
    final CircuitBreaker breaker;
    final ExtraCalls retries;
    final ExtraCalls hedges;
    final LatencyWindow latencies = new LatencyWindow(WINDOW);
    private final Overrides overrides;
    private double latencyEwma = Double.NaN;
    private double errorEwma;

    ProviderState(String name, CircuitBreaker breaker, ExtraCalls retries, ExtraCalls hedges, Overrides overrides) {
        this.name = name;
        this.breaker = breaker;
        this.retries = retries;
        this.hedges = hedges;
        this.overrides = overrides;
    }

    boolean disabled() {
        return overrides.disabled(name);
    }

    void disabled(boolean disabled) {
        overrides.disabled(name, disabled);
    }

    /**
     * Records how one call to this provider ended; the one path by which calls reach its breaker and
     * statistics. {@link Attempt.Result#SUCCESS} for an answer, {@link Attempt.Result#FAILURE} with the
     * {@code failure}'s kind and {@code retryAfter} (a stream failing mid-way included), or
     * {@link Attempt.Result#CANCELLED} for a call that did not end on its own (a hedge won, the caller
     * left, the deadline cut it), which the breaker counts as neither; a cancelled call's duration,
     * unless {@link #UNTIMED}, is a latency sample (the first racer of a hedged attempt).
     */
    void record(Attempt.Result result, FailureKind failure, long durationNanos, Duration retryAfter, long nowNanos) {
        if (result == Attempt.Result.CANCELLED) {
            breaker.onCancel(nowNanos);
            if (durationNanos != UNTIMED) {
                latencies.record(durationNanos);
            }
            return;
        }
        breaker.onResult(failure, durationNanos, retryAfter, nowNanos);
        boolean failed = failure != null && failure != FailureKind.CLIENT_ERROR && failure != FailureKind.EMPTY
                && failure != FailureKind.INVALID && failure != FailureKind.LOW_CONFIDENCE
                && failure != FailureKind.CONTEXT_WINDOW && failure != FailureKind.CONTENT_POLICY;
        if (!failed || failure == FailureKind.TIMEOUT) {
            latencies.record(durationNanos);
        }
        synchronized (this) {
            if (!failed || failure == FailureKind.TIMEOUT) {
                latencyEwma = Double.isNaN(latencyEwma) ? durationNanos : latencyEwma + ALPHA * (durationNanos - latencyEwma);
            }
            errorEwma += ALPHA * ((failed ? 1 : 0) - errorEwma);
        }
    }

    /** Latency EWMA in nanoseconds scaled up by the error rate; NaN before the first answer. */
    synchronized double score() {
        return latencyEwma * (1 + 10 * errorEwma);
    }

    boolean available(long nowNanos) {
        if (disabled()) {
            return false;
        }
        switch (breaker.state(nowNanos)) {
            case OPEN:
            case FORCED_OPEN:
                return false;
            default:
                return true;
        }
    }

    ProviderStatus status(long nowNanos) {
        CircuitBreaker.Snapshot snapshot = breaker.snapshot(nowNanos);
        double latency;
        double errors;
        synchronized (this) {
            latency = latencyEwma;
            errors = errorEwma;
        }
        return new ProviderStatus(name, snapshot, Double.isNaN(latency) ? null : Duration.ofNanos((long) latency),
                errors, disabled());
    }
}
