package dev.detour.core.spi;

import dev.detour.core.internal.InMemoryStateStore;
import dev.detour.core.policy.Budget;

/**
 * Where a router keeps the state its providers share: breakers (as a {@link BreakerStore}), retry and hedge
 * budgets, operator overrides and, optionally, last-known-good answers and {@link Counters}. The in-memory store keeps them for one
 * router; a shared one (Redis) keeps them for a fleet, and must never fail or delay a request past its own short
 * timeout: when it cannot reach its backend it carries on with local state and says so in {@link #health()}.
 */
public interface StateStore extends BreakerStore {

    /** The default store: the state of one router, in memory. */
    static StateStore inMemory() {
        return new InMemoryStateStore();
    }

    /**
     * The extra calls ({@code purpose} {@code "retries"} or {@code "hedges"}) of {@code provider} against
     * {@code budget}, made on the first call; later calls with the same provider and purpose return the same one.
     */
    ExtraCalls extraCalls(String provider, String purpose, Budget budget);

    /** The operators' overrides of providers. */
    Overrides overrides();

    /** Where last-known-good answers are shared, or null when each route keeps its own in memory. */
    default SharedAnswers answers() {
        return null;
    }

    /**
     * Where per-key limits and spend caps count when the store shares them, or null when the router counts in
     * memory on its own clock.
     */
    default Counters counters() {
        return null;
    }

    /** Whether the state is shared and its backend answering now. */
    default Health health() {
        return Health.LOCAL;
    }

    /**
     * A store's health, for a readiness probe: what it is, and whether it is answering.
     *
     * @param store     {@code "memory"} or the shared backend's name ({@code "redis"})
     * @param available false while a shared store's backend does not answer and local state serves instead
     * @param detail    a few words for an operator (never an address or a password)
     */
    record Health(String store, boolean available, String detail) {

        /** The in-memory store: always available. */
        public static final Health LOCAL = new Health("memory", true, "local state");
    }
}
