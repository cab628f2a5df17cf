/**
 * Detour's engine API: a {@link dev.detour.core.Router} holds what routes share (provider state, breakers,
 * budgets, listeners, the scheduler); a {@link dev.detour.core.Route} is an immutable chain of
 * {@link dev.detour.core.Tier}s of {@link dev.detour.core.Provider}s under one deadline, called for a lazy
 * {@code Mono} of the answer or of its {@link dev.detour.core.Outcome}; failures are classified as
 * {@link dev.detour.core.Failure}s of a {@link dev.detour.core.policy.FailureKind}; every attempt, fallback and
 * ending is a {@link dev.detour.core.RouteEvent}. {@link dev.detour.core.Detour} offers the policies as
 * standalone Reactor operators.
 */
package dev.detour.core;
