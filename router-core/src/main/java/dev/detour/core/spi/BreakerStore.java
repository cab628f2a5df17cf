package dev.detour.core.spi;

import dev.detour.core.policy.BreakerPolicy;
import java.util.Collection;

/**
 * Holds one {@link CircuitBreaker} per provider name, so that every route calling a provider shares
 * its breaker.
 */
public interface BreakerStore {

    /**
     * The breaker of {@code provider}, made on the first call with {@code policy} and {@code listener};
     * later calls for the same name return the same breaker and ignore their policy and listener.
     */
    CircuitBreaker breaker(String provider, BreakerPolicy policy, BreakerListener listener);

    /** Every breaker made so far, as a live, unmodifiable view. */
    Collection<CircuitBreaker> breakers();
}
