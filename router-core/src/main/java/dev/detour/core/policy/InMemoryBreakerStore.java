package dev.detour.core.policy;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link BreakerStore} of {@link LocalCircuitBreaker}s in a concurrent map.
 */
final class InMemoryBreakerStore implements BreakerStore {

    private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    InMemoryBreakerStore() {
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
