/**
 * The policies a route applies, as immutable values with small builders: {@link dev.detour.core.policy.RetryPolicy},
 * {@link dev.detour.core.policy.HedgePolicy}, {@link dev.detour.core.policy.BreakerPolicy},
 * {@link dev.detour.core.policy.Budget} and {@link dev.detour.core.policy.Balancer}, and the vocabulary they
 * act on: {@link dev.detour.core.policy.FailureKind} and {@link dev.detour.core.policy.BreakerState}. Depends on
 * no other Detour package.
 */
package dev.detour.core.policy;
