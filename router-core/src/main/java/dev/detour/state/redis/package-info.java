/**
 * Shared state on Redis: {@link dev.detour.state.redis.RedisStateStore} makes a fleet of routers share breakers,
 * budgets, overrides, last-known-good answers and counters, never failing or delaying a request because of Redis.
 * Needs {@code io.lettuce:lettuce-core} on the class path (an optional dependency of the core).
 */
package dev.detour.state.redis;
