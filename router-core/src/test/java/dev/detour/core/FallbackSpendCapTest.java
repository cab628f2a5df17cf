package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.internal.InMemoryCounters;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.spi.Counters;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class FallbackSpendCapTest {

    private final AtomicLong now = new AtomicLong(Duration.ofDays(20_000).plusHours(23).toMillis());
    private final Router router = Router.builder().counters(new InMemoryCounters(now::get)).build();
    private final Scripted cheap = Scripted.of("cheap", Scripted.status(503));
    private final Scripted frontier = Scripted.of("frontier", Mono.just("frontier answer"));

    private Route.Builder<String, String> route() {
        return router.<String, String>route("capped")
                .fallbackSpendPerDay(2.0)
                .tier(cheap.withCost(0.01, answer -> 0))
                .tier(frontier.withCost(0.25, answer -> 0.75));
    }

    @Test
    void pastTheCapTheFallbackTierIsRefusedWithoutACallAndTheRouteFails() {
        Route<String, String> route = route().build();

        StepVerifier.create(route.call("q")).expectNext("frontier answer").verifyComplete();
        StepVerifier.create(route.call("q")).expectNext("frontier answer").verifyComplete();
        StepVerifier.create(route.execute("q"))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isExactlyInstanceOf(RouteFailedException.class)
                            .hasMessageContaining("frontier#1 unavailable: fallback spend cap of 2 a day reached");
                    Attempt refused = ((RouteFailedException) error).attempts().get(1);
                    assertThat(refused.failure().kind()).isEqualTo(FailureKind.UNAVAILABLE);
                    assertThat(Attempt.calls(((RouteFailedException) error).attempts())).as("no call was made").isEqualTo(1);
                })
                .verify();
        assertThat(frontier.calls()).isEqualTo(2);
        assertThat(cheap.calls()).as("the first tier is never capped").isEqualTo(3);
    }

    @Test
    void aCounterThatNeverAnswersCannotHoldTheRoutePastItsDeadline() {
        StepVerifier.withVirtualTime(() -> {
            Router silent = Router.builder().counters(new Counters() {
                @Override
                public Mono<Long> add(String key, long amount, Duration window) {
                    return Mono.never();
                }

                @Override
                public Duration untilWindowEnds(Duration window) {
                    return window;
                }
            }).build();
            return silent.<String, String>route("silent")
                    .deadline(Duration.ofSeconds(2))
                    .fallbackSpendPerDay(2.0)
                    .tier(cheap)
                    .tier(frontier)
                    .build()
                    .call("q");
        })
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(2))
                .expectError(DeadlineExceededException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(frontier.calls()).as("no call after the deadline").isZero();
    }

    @Test
    void pastTheCapTheDegradedStepServes() {
        Route<String, String> route = route().defaultAnswer("canned").build();
        route.charge(1, 2.0);

        StepVerifier.create(route.execute("q"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("canned");
                    assertThat(outcome.degraded().kind()).isEqualTo(Degraded.Kind.STATIC_DEFAULT);
                    assertThat(outcome.attempts()).extracting(Attempt::toString)
                            .containsExactly("cheap#1 503", "frontier#1 unavailable: fallback spend cap of 2 a day reached");
                })
                .verifyComplete();
        assertThat(frontier.calls()).isZero();
    }

    @Test
    void theFirstTiersSpendDoesNotCountAndItServesWhateverTheCap() {
        Scripted good = Scripted.of("good", Mono.just("cheap answer"));
        Route<String, String> route = router.<String, String>route("first")
                .fallbackSpendPerDay(0)
                .tier(good.withCost(5, answer -> 5))
                .tier(frontier)
                .build();

        StepVerifier.create(route.call("q")).expectNext("cheap answer").verifyComplete();
        StepVerifier.create(route.call("q")).expectNext("cheap answer").verifyComplete();
        assertThat(router.counters().add("route/first/fallback-spend", 0, Duration.ofDays(1)).block()).isZero();
    }

    @Test
    void theCapResetsAtMidnightUtc() {
        Route<String, String> route = route().defaultAnswer("canned").build();
        route.charge(1, 5);
        StepVerifier.create(route.call("q")).expectNext("canned").verifyComplete();

        now.addAndGet(Duration.ofHours(1).toMillis());

        StepVerifier.create(route.call("q")).expectNext("frontier answer").verifyComplete();
        assertThat(frontier.calls()).isEqualTo(1);
    }

    @Test
    void aStreamsLateCostCountsOnlyForTiersAfterTheFirst() {
        Route<String, String> route = route().build();

        route.charge(0, 100);
        StepVerifier.create(route.call("q")).expectNext("frontier answer").verifyComplete();
        route.charge(1, 1);

        StepVerifier.create(route.call("q")).expectError(RouteFailedException.class).verify();
        assertThat(route.fallbackSpendPerDay()).isEqualTo(2.0);
    }

    @Test
    void aCapMustBeAFiniteNumberAtLeastZero() {
        assertThatThrownBy(() -> router.route("bad").fallbackSpendPerDay(-1))
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'bad': fallbackSpendPerDay must be a finite number >= 0, was -1.0");
        assertThat(router.<String, String>route("free").tier(frontier).build().fallbackSpendPerDay()).isInfinite();
    }
}
