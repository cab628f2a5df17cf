package dev.detour.core.policy;

import dev.detour.core.spi.CircuitBreaker;

/**
 * The states of a {@link CircuitBreaker}.
 */
public enum BreakerState {
    /** Calls go through; their results are counted in the window. */
    CLOSED,
    /** Calls are refused until the open time passes. */
    OPEN,
    /** A few probe calls go through; their results decide between {@link #CLOSED} and {@link #OPEN}. */
    HALF_OPEN,
    /** An operator forced the breaker open: calls are refused until {@link CircuitBreaker#reset(long)}. */
    FORCED_OPEN
}
