package dev.detour.core;

import static dev.detour.core.Scripted.answerAfter;
import static dev.detour.core.Scripted.failAfter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.policy.Budget;
import dev.detour.core.policy.HedgePolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;

class HedgeTest {

    private final List<RouteEvent> events = new CopyOnWriteArrayList<>();
    private final Router router = Router.builder().hedgeBudget(Budget.unlimited()).listener(events::add).build();

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    private List<RouteEvent.Hedged> hedges() {
        return events.stream().filter(RouteEvent.Hedged.class::isInstance).map(RouteEvent.Hedged.class::cast).toList();
    }

    @Test
    void aFirstAttemptSlowerThanTheDelayIsHedgedAndTheLoserIsCancelled() {
        PublisherProbe<String> slow = PublisherProbe.of(answerAfter(500, "slow"));
        Provider<String, String> a = Provider.of("a", (request, context) -> slow.mono());
        Scripted b = Scripted.of("b", answerAfter(50, "fast"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.after(ms(100))))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectSubscription()
                .expectNoEvent(ms(149))
                .thenAwait(ms(1))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("fast");
                    assertThat(outcome.provider()).isEqualTo("b");
                    assertThat(outcome.attempts()).hasToString("[a#1 cancelled, b#1 ok]");
                    assertThat(outcome.attempts().get(1).start()).isEqualTo(ms(100));
                    assertThat(outcome.calls()).isEqualTo(2);
                })
                .verifyComplete();
        slow.assertWasCancelled();
        assertThat(hedges()).containsExactly(new RouteEvent.Hedged("r", "a", "b", ms(100)));
        assertThat(router.status("a").breaker().calls()).as("a cancelled loser is not a breaker result").isZero();
    }

    @Test
    void aFirstAttemptFasterThanTheDelayIsNotHedged() {
        Scripted a = Scripted.of("a", answerAfter(80, "a"));
        Scripted b = Scripted.of("b", answerAfter(10, "b"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.after(ms(100))))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .expectSubscription()
                .expectNoEvent(ms(79))
                .thenAwait(ms(1))
                .expectNext("a")
                .verifyComplete();
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofSeconds(1))).thenAwait(Duration.ofSeconds(1))
                .expectNextCount(1).verifyComplete();
        assertThat(b.calls()).isZero();
        assertThat(hedges()).isEmpty();
    }

    @Test
    void anErrorDoesNotEndTheRaceWhileAHedgeIsInFlight() {
        Scripted a = Scripted.of("a", failAfter(300, 503));
        Scripted b = Scripted.of("b", answerAfter(250, "b"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.after(ms(100))))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectSubscription()
                .expectNoEvent(ms(349))
                .thenAwait(ms(1))
                .assertNext(outcome -> assertThat(outcome.attempts()).hasToString("[a#1 503, b#1 ok]"))
                .verifyComplete();
    }

    @Test
    void aFailureBeforeTheHedgeIsDueFallsBackAtOnce() {
        Scripted a = Scripted.of("a", failAfter(10, 503));
        Scripted b = Scripted.of("b", Mono.just("b"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.after(ms(100))))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectSubscription()
                .expectNoEvent(ms(9))
                .thenAwait(ms(1))
                .assertNext(outcome -> {
                    assertThat(outcome.attempts()).hasToString("[a#1 503, b#1 ok]");
                    assertThat(outcome.elapsed()).isEqualTo(ms(10));
                })
                .verifyComplete();
        assertThat(hedges()).isEmpty();
    }

    @Test
    void aLoneProviderIsHedgedWithItself() {
        Scripted alone = Scripted.of("a", answerAfter(500, "first"), answerAfter(50, "second"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(alone).hedge(HedgePolicy.after(ms(100))))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .thenAwait(ms(150))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("second");
                    assertThat(outcome.attempts()).hasToString("[a#1 cancelled, a#2 ok]");
                })
                .verifyComplete();
    }

    @Test
    void everyHedgeUpToTheMaximumStartsOneDelayAfterTheLast() {
        Scripted a = Scripted.of("a", answerAfter(1000, "a"));
        Scripted b = Scripted.of("b", answerAfter(1000, "b"));
        Scripted c = Scripted.of("c", answerAfter(50, "c"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b, c).hedge(HedgePolicy.after(ms(100)).maxHedges(2)))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .thenAwait(ms(250))
                .assertNext(outcome -> {
                    assertThat(outcome.attempts()).hasToString("[a#1 cancelled, b#1 cancelled, c#1 ok]");
                    assertThat(outcome.attempts()).extracting(Attempt::start).containsExactly(ms(0), ms(100), ms(200));
                })
                .verifyComplete();
    }

    @Test
    void theHedgeBudgetCapsHedgesAtItsShareOfCalls() {
        Router budgeted = Router.builder().hedgeBudget(Budget.ratio(0.1)).listener(events::add).build();
        Scripted a = Scripted.of("a", answerAfter(500, "a"));
        Scripted b = Scripted.of("b", answerAfter(10, "b"));
        Route<String, String> route = budgeted.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.after(ms(100))))
                .build();

        List<String> servedBy = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            StepVerifier.withVirtualTime(() -> route.execute("x"))
                    .thenAwait(ms(500))
                    .assertNext(outcome -> servedBy.add(outcome.provider()))
                    .verifyComplete();
        }
        assertThat(hedges()).hasSize(2);
        assertThat(b.calls()).isEqualTo(2);
        assertThat(servedBy).filteredOn("b"::equals).hasSize(2);
    }

    @Test
    void anAdaptiveDelayFollowsTheProvidersObservedLatency() {
        List<Mono<String>> script = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            script.add(answerAfter(10 + 5 * i, "warm"));
        }
        script.add(Mono.never());
        for (int i = 0; i < 40; i++) {
            script.add(answerAfter(300, "slower"));
        }
        script.add(Mono.never());
        @SuppressWarnings("unchecked")
        Scripted a = Scripted.of("a", script.toArray(Mono[]::new));
        Scripted b = Scripted.of("b", answerAfter(1000, "b"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.atPercentile(0.95).untilSamples(20, Duration.ofSeconds(1))))
                .build();

        for (int i = 0; i < 20; i++) {
            StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(Duration.ofSeconds(1)).expectNext("warm").verifyComplete();
        }
        assertThat(hedges()).as("no hedge before 20 samples, and every answer came before 1s").isEmpty();
        StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(Duration.ofSeconds(2)).expectNext("b").verifyComplete();
        assertThat(hedges()).extracting(RouteEvent.Hedged::delay).containsExactly(ms(100));

        for (int i = 0; i < 40; i++) {
            StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(Duration.ofSeconds(1)).expectNext("slower").verifyComplete();
        }
        events.clear();
        StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(Duration.ofSeconds(2)).expectNext("b").verifyComplete();
        assertThat(hedges()).extracting(RouteEvent.Hedged::delay).containsExactly(ms(300));
    }
}
