package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Failure;
import dev.detour.core.RouteEvent;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every exit of the decision after a failure, and after a skipped provider: plain values in, a decision out. */
class DecisionsTest {

    private static final long PLENTY = Duration.ofSeconds(10).toNanos();
    private static final Failure BUSY = Failure.status(503, null, "busy");
    private static final RetryPolicy THREE_TRIES = RetryPolicy.backoff(3, Duration.ofMillis(100)).jitter(0);

    /** Two ordinary tiers; tier 0 has three providers. */
    private static final Decisions.Rules RULES =
            new Decisions.Rules(THREE_TRIES, FailureKind.DEFAULT_FALLBACK, 2, false);
    private static final Decisions.Rules WITH_LARGER = new Decisions.Rules(THREE_TRIES, FailureKind.DEFAULT_FALLBACK, 2, true);

    private static Cursor at(int tier, int position, int tries) {
        return new Cursor(tier, new int[] {2, 0, 1}, position, tries);
    }

    private static Verdict<String> failed(Failure failure) {
        return Verdict.unjudged("p", 0, 1, 0, 0, failure);
    }

    private static Decision decide(Cursor at, Failure failure, long left, Decisions.Rules rules) {
        return Decisions.afterFailure(at, failed(failure), left, 0.5, rules, null);
    }

    @Test
    void aRetriedKindWithTriesLeftIsRetriedAfterTheBackoff() {
        assertThat(decide(at(0, 0, 1), BUSY, PLENTY, RULES)).isEqualTo(Decision.retry(Duration.ofMillis(100)));
        assertThat(decide(at(0, 0, 2), BUSY, PLENTY, RULES)).isEqualTo(Decision.retry(Duration.ofMillis(200)));
    }

    @Test
    void theBackoffTakesItsJitterFromTheRandomNumberGiven() {
        Decisions.Rules jittery = new Decisions.Rules(THREE_TRIES.jitter(0.5), FailureKind.DEFAULT_FALLBACK, 2, false);
        assertThat(Decisions.afterFailure(at(0, 0, 1), failed(BUSY), PLENTY, 0.0, jittery, null))
                .isEqualTo(Decision.retry(Duration.ofMillis(50)));
        assertThat(Decisions.afterFailure(at(0, 0, 1), failed(BUSY), PLENTY, 0.5, jittery, null))
                .isEqualTo(Decision.retry(Duration.ofMillis(100)));
    }

    @Test
    void aLongerRetryAfterReplacesTheBackoffAndAShorterOneDoesNot() {
        Failure later = Failure.status(429, Duration.ofSeconds(2), "slow down");
        Failure sooner = Failure.status(429, Duration.ofMillis(10), "slow down");
        assertThat(decide(at(0, 0, 1), later, PLENTY, RULES)).isEqualTo(Decision.retry(Duration.ofSeconds(2)));
        assertThat(decide(at(0, 0, 1), sooner, PLENTY, RULES)).isEqualTo(Decision.retry(Duration.ofMillis(100)));
    }

    @Test
    void aBackoffThatWouldEndPastTheDeadlineMovesOnAndSaysSo() {
        long left = Duration.ofMillis(100).toNanos();
        assertThat(decide(at(0, 0, 1), BUSY, left, RULES))
                .isEqualTo(Decision.nextProvider(0, 1, "backoff 100ms > deadline"));
    }

    @Test
    void aRetryAfterPastTheDeadlineMovesOnAndSaysSo() {
        Failure later = Failure.status(429, Duration.ofSeconds(30), "slow down");
        assertThat(decide(at(0, 0, 1), later, PLENTY, RULES)).isEqualTo(Decision.nextProvider(0, 1, "> deadline"));
    }

    @Test
    void aVetoedRetryMovesOnWithTheVetosNote() {
        Cursor at = at(0, 0, 1);
        assertThat(Decisions.afterFailure(at, failed(BUSY), PLENTY, 0.5, RULES, Decisions.Veto.BUDGET))
                .isEqualTo(Decision.nextProvider(0, 1, "retry budget exhausted"));
        assertThat(Decisions.afterFailure(at, failed(BUSY), PLENTY, 0.5, RULES, Decisions.Veto.BREAKER_OPEN))
                .isEqualTo(Decision.nextProvider(0, 1, "no retry: breaker open"));
        assertThat(Decisions.afterFailure(at, failed(BUSY), PLENTY, 0.5, RULES, Decisions.Veto.DISABLED))
                .isEqualTo(Decision.nextProvider(0, 1, "no retry: disabled"));
        assertThat(Decisions.afterFailure(at, failed(BUSY), PLENTY, 0.5, RULES, Decisions.Veto.CEILING))
                .isEqualTo(Decision.nextProvider(0, 1, null));
    }

    @Test
    void aVetoMattersOnlyWhenARetryWasDue() {
        Failure invalid = Failure.invalid("no JSON");
        assertThat(Decisions.afterFailure(at(0, 0, 1), failed(invalid), PLENTY, 0.5, RULES, Decisions.Veto.BUDGET))
                .isEqualTo(Decision.nextProvider(0, 1, null));
    }

    @Test
    void aProviderOutOfTriesOrAKindNotRetriedMovesOnSilently() {
        assertThat(decide(at(0, 0, 3), BUSY, PLENTY, RULES)).isEqualTo(Decision.nextProvider(0, 1, null));
        assertThat(decide(at(0, 0, 1), Failure.timeout(Duration.ofSeconds(1)), PLENTY, RULES))
                .isEqualTo(Decision.nextProvider(0, 1, null));
    }

    @Test
    void aKindTheTierDoesNotFallBackOnPassesThrough() {
        assertThat(decide(at(0, 0, 1), Failure.status(400, null, "bad"), PLENTY, RULES))
                .isEqualTo(Decision.passThrough(null));
        Decisions.Rules onlyTimeouts = new Decisions.Rules(RetryPolicy.none(), EnumSet.of(FailureKind.TIMEOUT), 2, false);
        assertThat(decide(at(0, 0, 1), BUSY, PLENTY, onlyTimeouts)).isEqualTo(Decision.passThrough(null));
    }

    @Test
    void theDeadlineReachedEndsTheLiveTiersUnlessTheFailurePassesThrough() {
        assertThat(decide(at(0, 0, 1), BUSY, 0, RULES))
                .isEqualTo(Decision.exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, "deadline reached"));
        assertThat(decide(at(0, 0, 1), BUSY, -5, RULES))
                .isEqualTo(Decision.exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, "deadline reached"));
        assertThat(decide(at(0, 0, 1), Failure.status(400, null, "bad"), 0, RULES))
                .isEqualTo(Decision.passThrough("deadline reached"));
    }

    @Test
    void anAttemptTheDeadlineCutCountsAsTheDeadlineReached() {
        Verdict<String> cut = new Verdict<>("p", 0, 1, 0, 0, true, null, Failure.timeout(Duration.ofMillis(200)),
                Double.NaN, 1);
        Decisions.Rules retryingTimeouts = new Decisions.Rules(THREE_TRIES.retryOn(FailureKind.TIMEOUT),
                FailureKind.DEFAULT_FALLBACK, 2, false);
        assertThat(Decisions.afterFailure(at(0, 0, 1), cut, PLENTY, 0.5, retryingTimeouts, null))
                .isEqualTo(Decision.exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, "deadline reached"));
    }

    @Test
    void aFailureMovesToTheNextPositionPastEveryPositionARaceUsed() {
        assertThat(decide(at(0, 1, 3), BUSY, PLENTY, RULES)).isEqualTo(Decision.nextProvider(0, 2, null));
        Verdict<String> race = failed(BUSY).spanning(2);
        assertThat(Decisions.afterFailure(at(0, 0, 3), race, PLENTY, 0.5, RULES, null))
                .isEqualTo(Decision.nextProvider(0, 2, null));
    }

    @Test
    void pastTheTiersLastProviderTheNextTierThenTheEnd() {
        assertThat(decide(at(0, 2, 3), BUSY, PLENTY, RULES)).isEqualTo(Decision.nextTier(1, null));
        assertThat(decide(at(1, 2, 3), BUSY, PLENTY, RULES))
                .isEqualTo(Decision.exhausted(RouteEvent.Ending.FAILED, null));
        Verdict<String> race = failed(BUSY).spanning(3);
        assertThat(Decisions.afterFailure(at(0, 0, 3), race, PLENTY, 0.5, RULES, null)).isEqualTo(Decision.nextTier(1, null));
    }

    @Test
    void aContextWindowFailureGoesToTheContextWindowTierAndIsNeverRetried() {
        Failure tooLong = Failure.contextWindow(400, "too long");
        Decisions.Rules retryingEverything = new Decisions.Rules(
                RetryPolicy.backoff(3, Duration.ofMillis(1)).retryOn(FailureKind.CONTEXT_WINDOW, FailureKind.SERVER_ERROR),
                Set.of(), 2, true);
        assertThat(decide(at(0, 0, 1), tooLong, PLENTY, WITH_LARGER)).isEqualTo(Decision.contextWindowTier(2, 0, null));
        assertThat(decide(at(1, 1, 1), tooLong, PLENTY, retryingEverything))
                .isEqualTo(Decision.contextWindowTier(2, 0, null));
    }

    @Test
    void withinTheContextWindowTierAContextWindowFailureMovesToItsNextPosition() {
        Failure tooLong = Failure.contextWindow(400, "too long");
        assertThat(decide(at(2, 0, 1), tooLong, PLENTY, WITH_LARGER)).isEqualTo(Decision.contextWindowTier(2, 1, null));
        assertThat(decide(at(2, 2, 1), tooLong, PLENTY, WITH_LARGER)).isEqualTo(Decision.contextWindowTier(2, 3, null));
    }

    @Test
    void withinTheContextWindowTierOtherFailuresFollowItsRulesAndEndTheLiveTiers() {
        assertThat(decide(at(2, 0, 3), BUSY, PLENTY, WITH_LARGER)).isEqualTo(Decision.nextProvider(2, 1, null));
        assertThat(decide(at(2, 2, 3), BUSY, PLENTY, WITH_LARGER))
                .isEqualTo(Decision.exhausted(RouteEvent.Ending.FAILED, null));
        assertThat(decide(at(2, 0, 1), Failure.status(400, null, "bad"), PLENTY, WITH_LARGER))
                .isEqualTo(Decision.passThrough(null));
    }

    @Test
    void withoutAContextWindowTierAContextWindowFailureFollowsTheFallbackKinds() {
        Failure tooLong = Failure.contextWindow(400, "too long");
        assertThat(decide(at(0, 0, 1), tooLong, PLENTY, RULES)).isEqualTo(Decision.passThrough(null));
        Decisions.Rules fallingBack = new Decisions.Rules(RetryPolicy.none(), EnumSet.of(FailureKind.CONTEXT_WINDOW), 2, false);
        assertThat(decide(at(0, 0, 1), tooLong, PLENTY, fallingBack)).isEqualTo(Decision.nextProvider(0, 1, null));
    }

    @Test
    void aSkippedProviderGivesWayToTheNextPositionThenTheNextTierThenTheEnd() {
        assertThat(Decisions.afterSkip(at(0, 0, 2), 2)).isEqualTo(Decision.nextProvider(0, 1, null));
        assertThat(Decisions.afterSkip(at(0, 2, 1), 2)).isEqualTo(Decision.nextTier(1, null));
        assertThat(Decisions.afterSkip(at(1, 2, 1), 2)).isEqualTo(Decision.exhausted(RouteEvent.Ending.FAILED, null));
        assertThat(Decisions.afterSkip(at(2, 2, 1), 2)).isEqualTo(Decision.exhausted(RouteEvent.Ending.FAILED, null));
    }

    @Test
    void aCursorMovesWithinItsOrder() {
        Cursor at = at(1, 0, 1);
        assertThat(at.provider()).isEqualTo(2);
        assertThat(at.retried().tries()).isEqualTo(2);
        assertThat(at.retried().at(2)).satisfies(next -> {
            assertThat(next.provider()).isEqualTo(1);
            assertThat(next.tries()).isEqualTo(1);
            assertThat(next.order()).isSameAs(at.order());
        });
        assertThat(at.at(1).remaining()).isEqualTo(2);
        assertThat(Cursor.first(0, new int[] {2, 0, 1})).isEqualTo(at(0, 0, 1)).hasSameHashCodeAs(at(0, 0, 1))
                .hasToString("Cursor[tier=0, order=[2, 0, 1], position=0, tries=1]");
    }
}
