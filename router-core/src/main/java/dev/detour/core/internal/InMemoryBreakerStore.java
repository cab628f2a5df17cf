package dev.detour.core.internal;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.BreakerStore;
import dev.detour.core.spi.CircuitBreaker;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link BreakerStore} of {@link LocalCircuitBreaker}s in a concurrent map.
 */
public final class InMemoryBreakerStore implements BreakerStore {

    private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    /** An empty store. */
    public InMemoryBreakerStore() {
    }

    @Override
    public CircuitBreaker breaker(String provider, BreakerPolicy policy, BreakerListener listener) {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(listener, "listener");
        CircuitBreaker breaker = breakers.get(provider);
        if (breaker != null) {
            return breaker;
        }
        return breakers.computeIfAbsent(provider, name -> new LocalCircuitBreaker(name, policy, listener));
    }

    @Override
    public Collection<CircuitBreaker> breakers() {
        return Collections.unmodifiableCollection(breakers.values());
    }

    @Override
    public String toString() {
        return "InMemoryBreakerStore" + breakers.keySet();
    }
}
