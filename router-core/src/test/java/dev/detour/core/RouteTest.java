package dev.detour.core;

import static dev.detour.core.Scripted.answerAfter;
import static dev.detour.core.Scripted.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.policy.Balancer;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;

class RouteTest {

    private final Router router = Router.create();

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    private static List<String> trail(Outcome<?> outcome) {
        List<String> trail = new ArrayList<>();
        outcome.attempts().forEach(attempt -> trail.add(attempt.toString()));
        return trail;
    }

    @Test
    void anAttemptSlowerThanItsTimeoutFallsBackWhenTheTimeoutFires() {
        Scripted slow = Scripted.of("slow", Mono.never());
        Scripted fast = Scripted.of("fast", answerAfter(100, "from fast"));
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(10))
                .tier(Tier.of(slow).timeout(Duration.ofSeconds(2)))
                .tier(fast)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("hi"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2099))
                .thenAwait(ms(1))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("from fast");
                    assertThat(outcome.provider()).isEqualTo("fast");
                    assertThat(outcome.tier()).isEqualTo(1);
                    assertThat(trail(outcome)).containsExactly("slow#1 timeout 2000ms", "fast#1 ok");
                    assertThat(outcome.attempts().get(1).start()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.TIMEOUT);
                    assertThat(outcome.elapsed()).isEqualTo(ms(2100));
                })
                .verifyComplete();
        assertThat(slow.contexts.get(0).timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(fast.contexts.get(0).timeout()).isEqualTo(Duration.ofSeconds(8));
    }

    @Test
    void theDeadlineCutsRetriesShortAndTheErrorNamesEveryAttempt() {
        Scripted stuck = Scripted.of("openai", Mono.never());
        Scripted backup = Scripted.of("groq", Mono.just("never reached"));
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(5))
                .tier(Tier.of(stuck).timeout(Duration.ofSeconds(2))
                        .retry(RetryPolicy.backoff(5, Duration.ofSeconds(1)).jitter(0).retryOn(FailureKind.TIMEOUT)))
                .tier(backup)
                .build();

        StepVerifier.withVirtualTime(() -> route.call("hi"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(4999))
                .thenAwait(ms(1))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(DeadlineExceededException.class)
                            .hasMessage("route 'chat' deadline 5s exceeded after 2 attempts: "
                                    + "openai#1 timeout 2000ms; openai#2 timeout 2000ms deadline reached");
                    DeadlineExceededException exceeded = (DeadlineExceededException) error;
                    assertThat(exceeded.attempts()).extracting(Attempt::start)
                            .containsExactly(Duration.ZERO, Duration.ofSeconds(3));
                    assertThat(exceeded.deadline()).isEqualTo(Duration.ofSeconds(5));
                })
                .verify();
        assertThat(stuck.startedAtMillis).hasSize(2);
        assertThat(backup.calls()).isZero();
    }

    @Test
    void aBackoffThatWouldOutliveTheDeadlineMovesOnAtOnce() {
        Scripted failing = Scripted.of("a", status(503));
        Scripted backup = Scripted.of("b", Mono.just("ok"));
        Route<String, String> route = router.<String, String>route("r")
                .deadline(Duration.ofSeconds(1))
                .tier(Tier.of(failing).retry(RetryPolicy.backoff(3, Duration.ofSeconds(2)).jitter(0)))
                .tier(backup)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .assertNext(outcome -> assertThat(trail(outcome)).containsExactly("a#1 503 backoff 2s > deadline", "b#1 ok"))
                .verifyComplete();
    }

    @Test
    void backoffDelaysGrowExponentiallyWithinTheJitterBounds() {
        Router unbudgeted = Router.builder().retryBudget(Budget.unlimited()).breaker(BreakerPolicy.disabled()).build();
        for (int run = 0; run < 30; run++) {
            Scripted failing = Scripted.of("a", status(503), status(503), status(503), Mono.just("ok"));
            Route<String, String> route = unbudgeted.<String, String>route("r")
                    .tier(Tier.of(failing).retry(RetryPolicy.backoff(4, ms(100)).jitter(0.5)))
                    .build();

            StepVerifier.withVirtualTime(() -> route.call("x"))
                    .thenAwait(Duration.ofSeconds(2))
                    .expectNext("ok")
                    .verifyComplete();

            List<Long> at = failing.startedAtMillis;
            assertThat(at).hasSize(4);
            assertThat(at.get(1) - at.get(0)).isBetween(50L, 150L);
            assertThat(at.get(2) - at.get(1)).isBetween(100L, 300L);
            assertThat(at.get(3) - at.get(2)).isBetween(200L, 600L);
        }
    }

    @Test
    void aRetryAfterLongerThanTheBackoffIsHonoured() {
        Scripted limited = Scripted.of("a", Mono.error(ProviderException.rateLimited(Duration.ofSeconds(3), "slow down")),
                Mono.just("ok"));
        Route<String, String> route = router.<String, String>route("r")
                .deadline(Duration.ofSeconds(10))
                .tier(Tier.of(limited).retry(RetryPolicy.backoff(2, ms(100)).jitter(0)))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2999))
                .thenAwait(ms(1))
                .assertNext(outcome -> {
                    assertThat(trail(outcome)).containsExactly("a#1 429 retry-after 3s", "a#2 ok");
                    assertThat(outcome.fellBack()).isFalse();
                })
                .verifyComplete();
        assertThat(limited.startedAtMillis).containsExactly(0L, 3000L);
    }

    @Test
    void aRetryAfterPastTheDeadlineMovesOnToTheNextTierAtOnce() {
        Scripted openai = Scripted.of("openai", status(503));
        Scripted groq = Scripted.of("groq", Mono.error(ProviderException.rateLimited(Duration.ofSeconds(30), "busy")));
        Scripted local = Scripted.of("local", Mono.just("local answer"));
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(10))
                .tier(openai)
                .tier(Tier.of(groq).retry(RetryPolicy.backoff(3, ms(100))))
                .tier(local)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .assertNext(outcome -> {
                    assertThat(trail(outcome)).containsExactly("openai#1 503", "groq#1 429 retry-after 30s > deadline",
                            "local#1 ok");
                    assertThat(outcome.attempts().get(2).start()).isEqualTo(Duration.ZERO);
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.RATE_LIMITED);
                })
                .verifyComplete();
        assertThat(groq.calls()).isEqualTo(1);
    }

    @Test
    void overItsBudgetAProviderFailsOverInsteadOfRetrying() {
        Router budgeted = Router.builder().retryBudget(Budget.ratio(0.2)).build();
        Scripted flaky = Scripted.of("a", Mono.just("ok"), Mono.just("ok"), Mono.just("ok"), Mono.just("ok"),
                Mono.just("ok"), status(503), Mono.just("ok"), status(503));
        Scripted backup = Scripted.of("b", Mono.just("from b"));
        Route<String, String> route = budgeted.<String, String>route("r")
                .tier(Tier.of(flaky).retry(RetryPolicy.backoff(3, ms(10))))
                .tier(backup)
                .build();

        VirtualTimeScheduler.getOrSet();
        try {
            for (int i = 0; i < 5; i++) {
                StepVerifier.create(route.call("x")).expectNext("ok").verifyComplete();
            }
            // 6 first attempts allow 1.2 retries: the first failure is retried.
            StepVerifier.withVirtualTime(() -> route.execute("x"))
                    .thenAwait(Duration.ofSeconds(1))
                    .assertNext(outcome -> assertThat(trail(outcome)).containsExactly("a#1 503", "a#2 ok"))
                    .verifyComplete();
            // 7 first attempts allow 1.4 retries, one is used: this failure moves on.
            StepVerifier.withVirtualTime(() -> route.execute("x"))
                    .assertNext(outcome -> assertThat(trail(outcome))
                            .containsExactly("a#1 503 retry budget exhausted", "b#1 ok"))
                    .verifyComplete();
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void failuresFallBackThroughThreeTiersInOrder() {
        Scripted first = Scripted.of("first", status(503));
        Scripted second = Scripted.of("second", Mono.error(new ConnectException("Connection refused")));
        Scripted third = Scripted.of("third", Mono.just("third answer"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(first)
                .tier(second)
                .tier(third)
                .build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("third answer");
                    assertThat(outcome.tier()).isEqualTo(2);
                    assertThat(trail(outcome)).containsExactly("first#1 503",
                            "second#1 connection: ConnectException: Connection refused", "third#1 ok");
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.CONNECTION);
                })
                .verifyComplete();
    }

    @Test
    void providersOfOneTierAreTriedInOrderBeforeTheNextTier() {
        Scripted a = Scripted.of("a", status(500));
        Scripted b = Scripted.of("b", status(502));
        Scripted c = Scripted.of("c", Mono.just("c"));
        Route<String, String> route = router.<String, String>route("r").tier(a, b).tier(c).build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> {
                    assertThat(trail(outcome)).containsExactly("a#1 500", "b#1 502", "c#1 ok");
                    assertThat(outcome.attempts()).extracting(Attempt::tier).containsExactly(0, 0, 1);
                })
                .verifyComplete();
    }

    @Test
    void aBadRequestPassesThroughUntouchedByDefault() {
        ProviderException badRequest = ProviderException.status(400, "messages: required");
        Scripted primary = Scripted.of("a", Mono.error(badRequest));
        Scripted backup = Scripted.of("b", Mono.just("should not be called"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(primary).retry(RetryPolicy.backoff(3, ms(10))))
                .tier(backup)
                .build();

        StepVerifier.create(route.call("x")).expectErrorSatisfies(error -> assertThat(error).isSameAs(badRequest)).verify();
        assertThat(primary.calls()).isEqualTo(1);
        assertThat(backup.calls()).isZero();
    }

    @Test
    void aRouteCanFallBackOnClientErrorsWhenItSaysSo() {
        Scripted primary = Scripted.of("a", status(404));
        Scripted backup = Scripted.of("b", Mono.just("b"));
        Route<String, String> route = router.<String, String>route("r")
                .fallbackOn(FailureKind.CLIENT_ERROR)
                .tier(primary)
                .tier(backup)
                .build();

        StepVerifier.create(route.call("x")).expectNext("b").verifyComplete();
    }

    @Test
    void aTiersOwnFallbackKindsOverrideTheRoutes() {
        Scripted primary = Scripted.of("a", status(503));
        Scripted backup = Scripted.of("b", Mono.just("b"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(primary).fallbackOn(FailureKind.TIMEOUT))
                .tier(backup)
                .build();

        StepVerifier.create(route.call("x"))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(ProviderException.class)
                        .extracting(e -> ((ProviderException) e).failure().status()).isEqualTo(503))
                .verify();
        assertThat(backup.calls()).isZero();
    }

    @Test
    void anEmptyAnswerFallsBack() {
        Scripted empty = Scripted.of("a", Mono.empty());
        Scripted backup = Scripted.of("b", Mono.just("b"));
        Route<String, String> route = router.<String, String>route("r").tier(empty).tier(backup).build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> {
                    assertThat(trail(outcome)).containsExactly("a#1 empty: no answer", "b#1 ok");
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.EMPTY);
                })
                .verifyComplete();
    }

    @Test
    void anAnswerAValidatorCallsEmptyFallsBack() {
        Scripted blank = Scripted.of("a", Mono.just("   "));
        Scripted backup = Scripted.of("b", Mono.just("b"));
        Route<String, String> route = router.<String, String>route("r")
                .validate(Validator.notEmpty(String::isBlank))
                .tier(blank)
                .tier(backup)
                .build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> assertThat(trail(outcome)).containsExactly("a#1 empty: empty answer", "b#1 ok"))
                .verifyComplete();
    }

    @Test
    void aRejectedAnswerFallsBackWithTheValidatorsReasonInTheTrail() {
        Scripted prose = Scripted.of("a", Mono.just("Sure! Here is your JSON"));
        Scripted json = Scripted.of("b", Mono.just("{\"ok\":true}"));
        Route<String, String> route = router.<String, String>route("r")
                .validate(Validator.require("not a JSON object", answer -> answer.startsWith("{")))
                .tier(prose)
                .tier(json)
                .build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("{\"ok\":true}");
                    assertThat(trail(outcome)).containsExactly("a#1 invalid: not a JSON object", "b#1 ok");
                })
                .verifyComplete();
    }

    @Test
    void anAnswerUnderTheConfidenceFloorFallsBack() {
        Scripted unsure = Scripted.of("small", Mono.just("0.3"));
        Scripted sure = Scripted.of("large", Mono.just("0.9"));
        Route<String, String> route = router.<String, String>route("r")
                .confidenceFloor(0.85, Double::parseDouble)
                .tier(unsure)
                .tier(sure)
                .build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("0.9");
                    assertThat(trail(outcome)).containsExactly("small#1 low-confidence: confidence 0.3 < 0.85", "large#1 ok");
                })
                .verifyComplete();
    }

    @Test
    void whenEveryPathFailsTheErrorNamesEveryAttemptAndKeepsTheLastCause() {
        IOException reset = new IOException("Connection reset");
        Scripted a = Scripted.of("a", status(503));
        Scripted b = Scripted.of("b", Mono.error(reset));
        Route<String, String> route = router.<String, String>route("chat")
                .tier(Tier.of(a).retry(RetryPolicy.backoff(2, ms(10))))
                .tier(b)
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isExactlyInstanceOf(RouteFailedException.class)
                            .hasMessage("route 'chat' failed after 3 attempts: a#1 503; a#2 503; "
                                    + "b#1 connection: IOException: Connection reset")
                            .hasCause(reset);
                    assertThat(((RouteFailedException) error).attempts()).hasSize(3);
                })
                .verify();
    }

    @Test
    void cancellingTheCallerCancelsTheAttemptInFlightAndStartsNothingNew() {
        PublisherProbe<String> inFlight = PublisherProbe.of(Mono.never());
        PublisherProbe<String> next = PublisherProbe.of(Mono.just("next"));
        List<RouteEvent> events = new ArrayList<>();
        Router listened = Router.builder().listener(events::add).build();
        Provider<String, String> a = Provider.of("a", (request, context) -> inFlight.mono());
        Route<String, String> route = listened.<String, String>route("r")
                .tier(Tier.of(a).timeout(Duration.ofSeconds(1)))
                .tier(Provider.of("b", (request, context) -> next.mono()))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .expectSubscription()
                .thenAwait(ms(500))
                .thenCancel()
                .verify();

        inFlight.assertWasSubscribed();
        inFlight.assertWasCancelled();
        next.assertWasNotSubscribed();
        assertThat(events).hasSize(2);
        assertThat(((RouteEvent.AttemptEnded) events.get(0)).attempt().result()).isEqualTo(Attempt.Result.CANCELLED);
        RouteEvent.Ended ended = (RouteEvent.Ended) events.get(1);
        assertThat(ended.ending()).isEqualTo(RouteEvent.Ending.CANCELLED);
        assertThat(ended.attempts()).hasSize(1);
    }

    @Test
    void cancellingDuringABackoffStartsNoRetry() {
        Scripted failing = Scripted.of("a", status(503), Mono.just("late"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(failing).retry(RetryPolicy.backoff(2, Duration.ofSeconds(1)).jitter(0)))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .expectSubscription()
                .thenAwait(ms(500))
                .thenCancel()
                .verify();
        VirtualTimeScheduler.getOrSet().advanceTimeBy(Duration.ofSeconds(5));
        VirtualTimeScheduler.reset();
        assertThat(failing.calls()).isEqualTo(1);
    }

    @Test
    void aProviderThatThrowsInsteadOfReturningAMonoFallsBack() {
        Provider<String, String> broken = Provider.of("broken", (request, context) -> {
            throw new IllegalStateException("bug");
        });
        Route<String, String> route = router.<String, String>route("r").tier(broken).tier(Scripted.of("b", Mono.just("b"))).build();

        StepVerifier.create(route.execute("x"))
                .assertNext(outcome -> assertThat(trail(outcome))
                        .containsExactly("broken#1 error: IllegalStateException: bug", "b#1 ok"))
                .verifyComplete();
    }

    @Test
    void eachRetryTellsTheProviderItsAttemptNumberAndTimeLeft() {
        Scripted failing = Scripted.of("a", status(503), Mono.just("ok"));
        Route<String, String> route = router.<String, String>route("r")
                .deadline(Duration.ofSeconds(3))
                .tier(Tier.of(failing).timeout(Duration.ofSeconds(2))
                        .retry(RetryPolicy.backoff(2, ms(1500)).jitter(0)))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(Duration.ofSeconds(2)).expectNext("ok").verifyComplete();
        assertThat(failing.contexts).extracting(AttemptContext::attempt).containsExactly(1, 2);
        assertThat(failing.contexts).extracting(AttemptContext::timeout)
                .containsExactly(Duration.ofSeconds(2), ms(1500));
        assertThat(failing.contexts.get(0).route()).isEqualTo("r");
    }

    @Test
    void badConfigurationFailsAtBuildTimeWithAPreciseMessage() {
        Scripted a = Scripted.of("a", Mono.just("a"));
        assertThatThrownBy(() -> router.<String, String>route("chat").build())
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'chat': no tiers; add at least one with tier(...)");
        assertThatThrownBy(() -> Tier.of(a).timeout(Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("tier [a]: timeout must be positive, was PT-1S");
        assertThatThrownBy(() -> router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(1))
                .tier(Tier.of(a).timeout(Duration.ofSeconds(2)))
                .tier(Tier.of(Scripted.of("b", Mono.just("b"))).timeout(Duration.ofSeconds(3)))
                .build())
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'chat': deadline 1s is shorter than every tier timeout (2s, 3s); "
                        + "no tier could use its own timeout");
        assertThatThrownBy(() -> router.<String, String>route("chat").deadline(Duration.ZERO).tier(a).build())
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'chat': deadline must be positive, was PT0S");
        assertThatThrownBy(() -> router.<String, String>route("chat").tier(a, Scripted.of("a", Mono.just("again"))).build())
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'chat': tier 0 names provider 'a' twice");
        assertThatThrownBy(() -> router.<String, String>route(" "))
                .isInstanceOf(InvalidRouteException.class).hasMessage("a route needs a name");
        assertThatThrownBy(() -> Tier.of(List.of())).isInstanceOf(InvalidRouteException.class)
                .hasMessage("a tier needs at least one provider");
    }

    @Test
    void aDeadlineLongerThanSomeTimeoutIsAccepted() {
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(1))
                .tier(Tier.of(Scripted.of("a", Mono.just("a"))).timeout(Duration.ofSeconds(2)))
                .tier(Tier.of(Scripted.of("b", Mono.just("b"))).timeout(ms(500)))
                .build();
        assertThat(route.tiers()).hasSize(2);
    }

    @Test
    void aRouteCanBeCalledAgainAndEachCallHasItsOwnTrail() {
        Scripted flaky = Scripted.of("a", status(503), Mono.just("second"));
        Route<String, String> route = router.<String, String>route("r").tier(flaky).tier(Scripted.of("b", Mono.just("b"))).build();
        Mono<Outcome<String>> call = route.execute("x");

        StepVerifier.create(call).assertNext(outcome -> assertThat(trail(outcome)).containsExactly("a#1 503", "b#1 ok"))
                .verifyComplete();
        StepVerifier.create(call).assertNext(outcome -> assertThat(trail(outcome)).containsExactly("a#1 ok"))
                .verifyComplete();
    }

    @Test
    void aTimeoutThatCancelsAnAttemptCancelsTheProvidersCall() {
        PublisherProbe<String> slow = PublisherProbe.of(Mono.never());
        Provider<String, String> a = Provider.of("a", (request, context) -> slow.mono());
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a).timeout(ms(100)))
                .tier(Scripted.of("b", Mono.just("b")))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(ms(100)).expectNext("b").verifyComplete();
        slow.assertWasCancelled();
    }

    @Test
    void disposingTheSubscriptionAlsoCancels() {
        PublisherProbe<String> inFlight = PublisherProbe.of(Mono.never());
        Route<String, String> route = router.<String, String>route("r")
                .tier(Provider.of("a", (request, context) -> inFlight.mono()))
                .build();
        Disposable subscription = route.call("x").subscribe();
        subscription.dispose();
        inFlight.assertWasCancelled();
    }

    @Test
    void aTierBuilderSetsWhatItIsGivenAndItsWithersCopy() {
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.just("a"));
        Provider<String, String> b = Provider.of("b", (request, context) -> Mono.just("b"));
        Tier<String, String> tier = Tier.<String, String>builder(List.of(a, b)).timeout(ms(200))
                .retry(RetryPolicy.backoff(2, ms(10))).hedge(HedgePolicy.after(ms(50))).balance(Balancer.roundRobin())
                .fallbackOn(FailureKind.TIMEOUT).build();
        assertThat(tier.timeout()).isEqualTo(ms(200));
        assertThat(tier.retry().maxAttempts()).isEqualTo(2);
        assertThat(tier.hedge()).isNotNull();
        assertThat(tier.fallbackOn()).containsExactly(FailureKind.TIMEOUT);
        assertThat(tier.toBuilder().timeout(ms(300)).build().timeout()).isEqualTo(ms(300));
        Tier<String, String> plain = Tier.of(a);
        assertThat(plain.timeout()).isNull();
        assertThat(plain.retry()).isSameAs(RetryPolicy.none());
        assertThat(plain.hedge()).isNull();
        assertThat(plain.balancer()).isSameAs(Balancer.ordered());
        assertThat(plain.timeout(ms(5)).timeout()).isEqualTo(ms(5));
        assertThat(plain.timeout()).isNull();
        assertThatThrownBy(() -> plain.timeout(Duration.ZERO)).isInstanceOf(InvalidRouteException.class)
                .hasMessage("tier [a]: timeout must be positive, was PT0S");
    }
}
