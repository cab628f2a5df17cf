package dev.detour.core.spi;

import dev.detour.core.policy.BreakerState;

/**
 * Receives every state transition of a {@link CircuitBreaker}, once each and in order. Called on
 * whichever thread caused or delivers the transition, which may be an event loop, and never under the
 * breaker's lock: it must be quick and must not block.
 */
@FunctionalInterface
public interface BreakerListener {

    /**
     * The breaker of {@code provider} moved from {@code from} to {@code to}. The reason reads like
     * {@code "failure rate 60% >= 50% over 10 calls"}, {@code "slow-call rate 100% >= 80% over 10 calls"},
     * {@code "open time over"}, {@code "probe failed: SERVER_ERROR"}, {@code "3 probes succeeded"},
     * {@code "forced open"} or {@code "reset"}.
     */
    void onTransition(String provider, BreakerState from, BreakerState to, String reason);

    /** A listener that ignores every transition. */
    static BreakerListener none() {
        return (provider, from, to, reason) -> { };
    }
}
