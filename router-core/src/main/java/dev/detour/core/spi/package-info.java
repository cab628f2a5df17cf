/**
 * Extension points: where a router keeps what its providers share ({@link dev.detour.core.spi.StateStore}: breakers
 * through {@link dev.detour.core.spi.BreakerStore} and the {@link dev.detour.core.spi.CircuitBreaker} protocol, in
 * nanoseconds of the router's clock, {@link dev.detour.core.spi.ExtraCalls} budgets,
 * {@link dev.detour.core.spi.Overrides}, {@link dev.detour.core.spi.SharedAnswers}), the fixed-window
 * {@link dev.detour.core.spi.Counters} limits count in, and who hears breaker transitions
 * ({@link dev.detour.core.spi.BreakerListener}). The in-memory implementations are the default; a shared one
 * (Redis, {@code dev.detour.state.redis}) replaces them for a fleet.
 */
package dev.detour.core.spi;
