/**
 * Extension points: where breakers keep their state ({@link dev.detour.core.spi.BreakerStore} and the
 * {@link dev.detour.core.spi.CircuitBreaker} protocol, in nanoseconds of the router's clock, so that a shared
 * store can replace the in-memory one) and who hears their transitions
 * ({@link dev.detour.core.spi.BreakerListener}).
 */
package dev.detour.core.spi;
