package dev.detour.core.spi;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.FailureKind;
import java.time.Duration;

/**
 * One provider's circuit breaker: it refuses calls to a provider that keeps failing, so that the
 * route falls back at once instead of waiting on it, and lets a few probe calls through later to see
 * whether it has recovered. Its {@link BreakerPolicy} says when. Implementations are thread-safe and
 * never block.
 *
 * <p>Every time is in nanoseconds from an arbitrary origin the caller supplies, such as a Reactor
 * scheduler's {@code now(TimeUnit.NANOSECONDS)}; the caller must use the same clock on every call.
 * A call goes: {@link #tryAcquire(long)}, and if allowed, the call, then exactly one of
 * {@link #onResult(FailureKind, long, Duration, long)} or {@link #onCancel(long)}.
 */
public interface CircuitBreaker {

    /** The name of the provider this breaker guards. */
    String provider();

    /** The policy it follows. */
    BreakerPolicy policy();

    /** The state at {@code nowNanos}; an {@link BreakerState#OPEN} breaker whose open time has passed reads as {@link BreakerState#HALF_OPEN}. */
    BreakerState state(long nowNanos);

    /**
     * Whether a call may start at {@code nowNanos}. Closed: yes. Open: no, until the open time has
     * passed; then the breaker becomes half-open and this call takes a probe permit. Half-open: yes
     * while probe permits remain, each call taking one. Forced open: no.
     */
    boolean tryAcquire(long nowNanos);

    /**
     * Records the end of an allowed call at {@code nowNanos}. {@code failure} is null for a success; a
     * failure of a kind the policy does not record counts as a success, since the provider answered.
     * {@code durationNanos} is how long the call took, to count slow calls; {@code retryAfter}, if not
     * null, is the Retry-After the provider sent with its failure, which keeps the breaker open at
     * least that long from now if this failure opens it, or if it arrives while the breaker is open.
     */
    void onResult(FailureKind failure, long durationNanos, Duration retryAfter, long nowNanos);

    /**
     * Records that an allowed call was cancelled before it ended, e.g. a hedge that lost: it is not
     * counted, and a half-open probe permit it held is given back.
     */
    void onCancel(long nowNanos);

    /** Opens the breaker until {@link #reset(long)}, whatever its results. */
    void forceOpen(long nowNanos);

    /** Closes the breaker with an empty window. */
    void reset(long nowNanos);

    /** The state and counts at {@code nowNanos}. */
    Snapshot snapshot(long nowNanos);

    /**
     * A breaker's state and the counts of its window at one moment. While open or half-open, the window
     * is the one that opened it; it empties when the breaker closes again.
     *
     * @param state        the state
     * @param calls        the calls in the window
     * @param failures     the failures among them
     * @param slowCalls    the slow calls among them, successful or not; 0 unless slow calls trip the breaker
     * @param failureRate  {@code failures / calls}, 0 when there are no calls
     * @param slowCallRate {@code slowCalls / calls}, 0 when there are no calls
     * @param openFor      the time left open, {@link Duration#ZERO} unless {@link BreakerState#OPEN}
     */
    record Snapshot(BreakerState state, int calls, int failures, int slowCalls, double failureRate,
                    double slowCallRate, Duration openFor) {
    }
}
