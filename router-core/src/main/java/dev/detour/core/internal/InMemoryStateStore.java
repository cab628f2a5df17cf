package dev.detour.core.internal;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.BreakerStore;
import dev.detour.core.spi.CircuitBreaker;
import dev.detour.core.spi.ExtraCalls;
import dev.detour.core.spi.Overrides;
import dev.detour.core.spi.StateStore;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link StateStore} for one router, in this JVM's memory: breakers of a {@link BreakerStore}, {@link BudgetTracker}s, a set of disabled providers. */
public final class InMemoryStateStore implements StateStore {

    private final BreakerStore breakers;
    private final ConcurrentHashMap<String, ExtraCalls> budgets = new ConcurrentHashMap<>();
    private final Overrides overrides = new LocalOverrides();

    /** A store whose breakers are {@link InMemoryBreakerStore}'s. */
    public InMemoryStateStore() {
        this(new InMemoryBreakerStore());
    }

    /** A store whose breakers are {@code breakers}'. */
    public InMemoryStateStore(BreakerStore breakers) {
        this.breakers = Objects.requireNonNull(breakers, "breakers");
    }

    @Override
    public CircuitBreaker breaker(String provider, BreakerPolicy policy, BreakerListener listener) {
        return breakers.breaker(provider, policy, listener);
    }

    @Override
    public Collection<CircuitBreaker> breakers() {
        return breakers.breakers();
    }

    @Override
    public ExtraCalls extraCalls(String provider, String purpose, Budget budget) {
        return budgets.computeIfAbsent(provider + '/' + purpose, key -> new BudgetTracker(budget));
    }

    @Override
    public Overrides overrides() {
        return overrides;
    }

    @Override
    public String toString() {
        return "InMemoryStateStore[" + breakers + "]";
    }

    /** The disabled providers, in a concurrent set. */
    public static final class LocalOverrides implements Overrides {

        private final Set<String> disabled = ConcurrentHashMap.newKeySet();

        @Override
        public boolean disabled(String provider) {
            return !disabled.isEmpty() && disabled.contains(provider);
        }

        @Override
        public void disabled(String provider, boolean disable) {
            if (disable) {
                disabled.add(provider);
            } else {
                disabled.remove(provider);
            }
        }
    }
}
