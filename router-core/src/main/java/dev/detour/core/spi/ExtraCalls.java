package dev.detour.core.spi;

/**
 * One provider's extra calls (retries or hedges) against a {@link dev.detour.core.policy.Budget}: the first
 * attempts it counts and the extra calls it allows. Thread-safe; never blocks. Times are nanoseconds of the
 * router's clock.
 */
public interface ExtraCalls {

    /** Counts a first attempt at {@code nowNanos}. */
    void recordCall(long nowNanos);

    /** Counts and allows an extra call at {@code nowNanos} if the budget has room; false otherwise. */
    boolean tryExtra(long nowNanos);
}
