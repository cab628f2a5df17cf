package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.detour.core.internal.InMemoryBreakerStore;
import dev.detour.core.policy.Balancer;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.CircuitBreaker;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Each attempt recorded exactly once, whatever races with it; the edges of timeouts, ceilings and classification. */
class EngineEdgeTest {

    private final List<RouteEvent> events = new CopyOnWriteArrayList<>();

    private List<String> attemptEvents() {
        return events.stream().filter(RouteEvent.AttemptEnded.class::isInstance)
                .map(event -> ((RouteEvent.AttemptEnded) event).attempt().toString()).toList();
    }

    private List<RouteEvent.Ended> endings() {
        return events.stream().filter(RouteEvent.Ended.class::isInstance).map(RouteEvent.Ended.class::cast).toList();
    }

    @Test
    void aFailedRequestRecordsEachAttemptOnce() {
        Router router = Router.builder().listener(events::add).build();
        Provider<String, String> down = Provider.of("a", (request, context) -> Mono.error(ProviderException.status(503, "down")));
        Provider<String, String> bad = Provider.of("c", (request, context) -> Mono.error(ProviderException.status(400, "bad")));

        StepVerifier.create(router.<String, String>route("r1").tier(down).build().execute("x")).expectError().verify();
        StepVerifier.create(router.<String, String>route("r2").tier(bad).build().execute("x")).expectError().verify();

        assertThat(attemptEvents()).containsExactly("a#1 503", "c#1 400");
        assertThat(router.status("a").breaker().calls()).isEqualTo(1);
    }

    @Test
    void anAttemptIsRecordedOnceWhenTheCallerCancelsAsItAnswers() {
        Router router = Router.builder().listener(events::add).build();
        AtomicReference<Disposable> subscription = new AtomicReference<>();
        Provider<String, String> provider = new Provider<>() {
            @Override
            public String name() {
                return "p";
            }

            @Override
            public Mono<String> call(String request, AttemptContext context) {
                return Mono.just("answer");
            }

            @Override
            public double cost(String answer) {
                if (answer != null) {
                    subscription.get().dispose();
                }
                return 0;
            }
        };
        Route<String, String> route = router.<String, String>route("r").tier(provider).build();
        BaseSubscriber<Outcome<String>> caller = new BaseSubscriber<>() {
        };
        subscription.set(caller);
        route.execute("x").subscribe(caller);

        assertThat(attemptEvents()).hasSize(1);
        assertThat(endings()).hasSize(1);
    }

    @Test
    void aRaceWinnerIsRecordedWhenTheCallerCancelsAsItWins() {
        VirtualTimeScheduler time = VirtualTimeScheduler.getOrSet();
        try {
            Router router = Router.builder().hedgeBudget(Budget.unlimited()).listener(events::add).build();
            AtomicReference<Disposable> subscription = new AtomicReference<>();
            Provider<String, String> loser = Provider.of("a",
                    (request, context) -> Mono.<String>never().doOnCancel(() -> subscription.get().dispose()));
            Provider<String, String> winner = Provider.of("b",
                    (request, context) -> Mono.delay(Duration.ofMillis(50)).thenReturn("b"));
            Route<String, String> route = router.<String, String>route("r")
                    .tier(Tier.of(loser, winner).hedge(HedgePolicy.after(Duration.ofMillis(10))))
                    .build();

            subscription.set(route.execute("x").subscribe());
            time.advanceTimeBy(Duration.ofMillis(60));

            assertThat(endings()).hasSize(1);
            assertThat(endings().get(0).ending()).isEqualTo(RouteEvent.Ending.CANCELLED);
            assertThat(attemptEvents()).containsExactlyInAnyOrder("a#1 cancelled", "b#1 cancelled");
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void aProvidersOwnTimeoutIsRetriedAndNotTakenForTheDeadline() {
        AtomicInteger calls = new AtomicInteger();
        Provider<String, String> a = Provider.of("a", (request, context) -> {
            calls.incrementAndGet();
            return Mono.error(new TimeoutException("upstream read timeout"));
        });
        Provider<String, String> b = Provider.of("b", (request, context) -> Mono.just("b"));
        Route<String, String> route = Router.create().<String, String>route("r")
                .deadline(Duration.ofSeconds(10))
                .tier(Tier.of(a).retry(RetryPolicy.backoff(3, Duration.ofMillis(100)).retryOn(FailureKind.TIMEOUT)))
                .tier(b)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(outcome -> assertThat(outcome.attempts()).hasToString("[a#1 timeout, a#2 timeout, a#3 timeout, b#1 ok]"))
                .verifyComplete();
        assertThat(calls).hasValue(3);
    }

    @Test
    void aTimeoutCutShortByTheDeadlineDoesNotCountAgainstTheProvider() {
        Router router = Router.create();
        Provider<String, String> slow = Provider.of("slow", (request, context) -> Mono.never());
        Route<String, String> route = router.<String, String>route("r")
                .deadline(Duration.ofSeconds(1))
                .tier(Tier.of(slow).timeout(Duration.ofSeconds(5)))
                .tier(Tier.of(Provider.<String, String>of("b", (request, context) -> Mono.just("b"))).timeout(Duration.ofMillis(500)))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x")).thenAwait(Duration.ofSeconds(1))
                .verifyError(DeadlineExceededException.class);
        assertThat(router.status("slow").breaker().failures()).isZero();
        assertThat(router.status("slow").errorRate()).isZero();
    }

    @Test
    void balancerOrderSurvivesAvailabilityChangingWhileItOrders() {
        AtomicInteger asked = new AtomicInteger();
        Balancer.Candidates flipping = new Balancer.Candidates() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public String name(int i) {
                return "p" + i;
            }

            @Override
            public boolean available(int i) {
                return asked.getAndIncrement() < 2;
            }

            @Override
            public double score(int i) {
                return Double.NaN;
            }
        };
        assertThatCode(() -> assertThat(Balancer.ordered().order(flipping)).containsExactlyInAnyOrder(0, 1))
                .doesNotThrowAnyException();
    }

    @Test
    void bestEffortPrefersAScoredAnswerToOneAValidatorRejected() {
        Provider<String, String> low = Provider.of("low", (request, context) -> Mono.just("0.4 fine"));
        Provider<String, String> bad = Provider.of("bad", (request, context) -> Mono.just("garbage"));
        Route<String, String> route = Router.create().<String, String>route("r")
                .validate(Validator.require("not fine", answer -> answer.contains("fine")))
                .confidenceFloor(0.5, answer -> answer.contains(" ") ? Double.parseDouble(answer.split(" ")[0]) : 0)
                .bestEffort()
                .tier(low)
                .tier(bad)
                .build();

        StepVerifier.create(route.execute("x")).assertNext(outcome -> assertThat(outcome.provider()).isEqualTo("low"))
                .verifyComplete();
    }

    @Test
    void aValidatorThatThrowsRejectsTheAnswerButNotTheProvider() {
        Router router = Router.create();
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.just("a"));
        Route<String, String> route = router.<String, String>route("r")
                .validate(answer -> {
                    throw new IllegalStateException("validator bug");
                })
                .tier(a)
                .build();

        StepVerifier.create(route.call("x"))
                .expectErrorMessage("route 'r' failed after 1 attempt: a#1 invalid: check threw IllegalStateException: validator bug")
                .verify();
        assertThat(router.status("a").breaker().failures()).isZero();
    }

    @Test
    void noRetryOrFallbackIsAnnouncedWhenTheCeilingStopsTheRequest() {
        Router router = Router.builder().listener(events::add).build();
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.error(ProviderException.status(503, "down")));
        Provider<String, String> b = Provider.of("b", (request, context) -> Mono.just("b"));
        Route<String, String> route = router.<String, String>route("r")
                .maxAttempts(1)
                .tier(Tier.of(a).retry(RetryPolicy.backoff(2, Duration.ofSeconds(5)).jitter(0)))
                .tier(b)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectErrorMessage("route 'r' reached its attempt ceiling 1 after 1 attempt: a#1 503")
                .verify();
        assertThat(events).noneMatch(event -> event instanceof RouteEvent.Retrying || event instanceof RouteEvent.FellBack);
    }

    @Test
    void aRetryIsNotMadeIntoAnOpenBreaker() {
        Router router = Router.builder().breaker(BreakerPolicy.defaults().countWindow(1).minimumCalls(1)).build();
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.error(ProviderException.status(503, "down")));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a).retry(RetryPolicy.backoff(3, Duration.ofMillis(10))))
                .tier(Provider.<String, String>of("b", (request, context) -> Mono.just("b")))
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .assertNext(outcome -> assertThat(outcome.attempts()).hasToString("[a#1 503 no retry: breaker open, b#1 ok]"))
                .verifyComplete();
    }

    @Test
    void detourHedgeLeavesEmptySourcesAndUnknownErrorsAsTheyAre() {
        StepVerifier.create(Mono.<String>empty().transformDeferred(Detour.hedge(HedgePolicy.after(Duration.ofMillis(10)))))
                .verifyComplete();
        IllegalStateException boom = new IllegalStateException("404 from WebClient");
        StepVerifier.create(Mono.<String>error(boom).transformDeferred(Detour.hedge(HedgePolicy.after(Duration.ofMillis(10)))))
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(boom))
                .verify();
    }

    @Test
    void aStandaloneBreakerWithItsTimeoutInsideTripsOnAHangingSource() {
        CircuitBreaker breaker = new InMemoryBreakerStore().breaker("p",
                BreakerPolicy.defaults().countWindow(4).minimumCalls(4), BreakerListener.none());
        for (int i = 0; i < 4; i++) {
            StepVerifier.withVirtualTime(() -> Mono.<String>never()
                            .transformDeferred(Detour.circuitBreaker(breaker, Duration.ofMillis(5))))
                    .thenAwait(Duration.ofMillis(5))
                    .verifyError(TimeoutException.class);
        }
        assertThat(breaker.snapshot(0).failures()).isEqualTo(4);
        assertThat(breaker.state(0)).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void aWrappedConnectionFailureIsStillAConnectionFailure() {
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> {
            subscriptions.incrementAndGet();
            return Mono.error(new RuntimeException("WebClientRequestException", new ConnectException("refused")));
        });
        StepVerifier.withVirtualTime(() -> source.transformDeferred(
                        Detour.retry(RetryPolicy.backoff(3, Duration.ofMillis(10)), null, Duration.ofSeconds(5))))
                .thenAwait(Duration.ofSeconds(1))
                .verifyError(RouteFailedException.class);
        assertThat(subscriptions).hasValue(3);
    }

    @Test
    void aRouterClassifierMapsErrorsDetourDoesNotKnow() {
        class ClientResponseError extends RuntimeException {
            final int status;

            ClientResponseError(int status) {
                super("HTTP " + status);
                this.status = status;
            }
        }
        Router router = Router.builder()
                .classifier(error -> error instanceof ClientResponseError e ? Failure.status(e.status, null, e.getMessage()) : null)
                .build();
        ClientResponseError notFound = new ClientResponseError(404);
        Route<String, String> route = router.<String, String>route("r")
                .tier(Provider.<String, String>of("a", (request, context) -> Mono.error(notFound)))
                .tier(Provider.<String, String>of("b", (request, context) -> Mono.just("b")))
                .build();

        StepVerifier.create(route.call("x")).expectErrorSatisfies(error -> assertThat(error).isSameAs(notFound)).verify();
    }
}
