package dev.detour.core.internal;

import dev.detour.core.Durations;
import dev.detour.core.Failure;
import dev.detour.core.RouteEvent;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The route's decisions as pure functions of where a request stands and what just happened: no clock,
 * no randomness, no state. Whatever they depend on (time left, a random draw, a vetoed retry) is an
 * argument. Internal.
 */
public final class Decisions {

    private Decisions() {
    }

    /**
     * The rules a failure is decided by.
     *
     * @param retry             the failing tier's retry policy
     * @param fallbackOn        the failure kinds that move on past a provider of that tier
     * @param tiers             the number of ordinary tiers; the context-window tier, if any, is numbered so
     * @param contextWindowTier whether the route has a context-window tier
     */
    public record Rules(RetryPolicy retry, Set<FailureKind> fallbackOn, int tiers, boolean contextWindowTier) {

        public Rules {
            Objects.requireNonNull(retry, "retry");
            Objects.requireNonNull(fallbackOn, "fallbackOn");
        }
    }

    /** Why a retry that policy, deadline and backoff allow was not made, with the trail's note. */
    public enum Veto {
        /** A ceiling of the route would be passed; the next step says which. */
        CEILING(null),
        /** An operator disabled the provider. */
        DISABLED("no retry: disabled"),
        /** The provider's breaker is open. */
        BREAKER_OPEN("no retry: breaker open"),
        /** The provider's retry budget is spent. */
        BUDGET("retry budget exhausted");

        private final String note;

        Veto(String note) {
            this.note = note;
        }

        /** The failed attempt's note in the trail, or null. */
        public String note() {
            return note;
        }
    }

    /**
     * What follows the failed attempt {@code failed} at {@code at}.
     *
     * <p>A retry of the same provider when the tier's policy retries the failure's kind and has tries
     * left, the deadline is not reached, the backoff (or a longer Retry-After) ends before it, and
     * nothing vetoes it. Otherwise, when the failure's kind does not move on, it passes through; when
     * the deadline is reached, the live tiers are exhausted; a context-window failure moves to the
     * context-window tier (to its next provider when already there); any other moves to the tier's next
     * provider, then to the next tier, then exhausts the live tiers.
     *
     * @param at        where the request stands
     * @param failed    the failed attempt (its failure, span and whether the deadline cut it)
     * @param nanosLeft the time left before the deadline
     * @param random    a uniform random number in [0, 1), for the backoff's jitter
     * @param rules     the failing tier's and the route's rules
     * @param veto      why a retry the rules allow cannot be made (a ceiling, the provider's state or its
     *                  budget), or null: ask first without one, and when the answer is a retry, check
     *                  and ask again with the veto if there is one
     */
    public static Decision afterFailure(Cursor at, Verdict<?> failed, long nanosLeft, double random, Rules rules,
                                        Veto veto) {
        Failure failure = failed.failure();
        boolean deadlineReached = nanosLeft <= 0 || failed.cutByDeadline();
        String note = deadlineReached ? "deadline reached" : null;
        RetryPolicy retry = rules.retry();
        if (!deadlineReached && retry.retries(failure.kind()) && at.tries() < retry.maxAttempts()) {
            Duration delay = retry.delayBefore(at.tries() + 1, random);
            Duration asked = failure.retryAfter();
            boolean byProvider = asked != null && asked.compareTo(delay) > 0;
            if (byProvider) {
                delay = asked;
            }
            if (delay.compareTo(Duration.ofNanos(nanosLeft)) >= 0) {
                note = byProvider ? "> deadline" : "backoff " + Durations.format(delay) + " > deadline";
            } else if (veto != null) {
                note = veto.note();
            } else {
                return Decision.retry(delay);
            }
        }
        boolean toLarger = failure.kind() == FailureKind.CONTEXT_WINDOW && rules.contextWindowTier();
        if (!toLarger && !rules.fallbackOn().contains(failure.kind())) {
            return Decision.passThrough(note);
        }
        if (deadlineReached) {
            return Decision.exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, note);
        }
        int next = at.position() + failed.span();
        if (toLarger) {
            return at.tier() < rules.tiers() ? Decision.contextWindowTier(rules.tiers(), 0, note)
                    : Decision.contextWindowTier(at.tier(), next, note);
        }
        if (next < at.order().length) {
            return Decision.nextProvider(at.tier(), next, note);
        }
        return at.tier() + 1 < rules.tiers() ? Decision.nextTier(at.tier() + 1, note)
                : Decision.exhausted(RouteEvent.Ending.FAILED, note);
    }

    /**
     * What follows a provider the request must not call (see {@code Route.execute(request, skip)}): the
     * tier's next provider, else the next ordinary tier, else the end of the live tiers.
     */
    public static Decision afterSkip(Cursor at, int tiers) {
        if (at.position() + 1 < at.order().length) {
            return Decision.nextProvider(at.tier(), at.position() + 1, null);
        }
        return at.tier() + 1 < tiers ? Decision.nextTier(at.tier() + 1, null)
                : Decision.exhausted(RouteEvent.Ending.FAILED, null);
    }
}
