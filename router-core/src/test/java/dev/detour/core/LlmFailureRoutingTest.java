package dev.detour.core;

import static dev.detour.core.Scripted.answerAfter;
import static dev.detour.core.Scripted.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Context-window and content-policy failures, and timeouts that move on, through the engine in virtual time. */
class LlmFailureRoutingTest {

    private final List<RouteEvent> events = new CopyOnWriteArrayList<>();
    private final Router router = Router.builder().listener(events::add).build();

    private static Mono<String> tooLong(String model) {
        return Mono.error(new ProviderException(Failure.contextWindow(400, model + ": prompt is too long")
                .withUpstream(new UpstreamError("invalid_request_error", "context_length_exceeded", "messages"))));
    }

    private static List<String> trail(Outcome<?> outcome) {
        List<String> trail = new ArrayList<>();
        outcome.attempts().forEach(attempt -> trail.add(attempt.toString()));
        return trail;
    }

    private List<RouteEvent.FellBack> fallbacks() {
        return events.stream().filter(RouteEvent.FellBack.class::isInstance).map(RouteEvent.FellBack.class::cast).toList();
    }

    @Test
    void aContextWindowFailureIsNeverRetriedAndMovesAtOnceToTheLargerProvidersSkippingTheOrdinaryOnes() {
        Scripted small = Scripted.of("small", tooLong("small"));
        Scripted sameSize = Scripted.of("same-size", Mono.just("never asked"));
        Scripted backup = Scripted.of("backup", Mono.just("never asked"));
        Scripted large = Scripted.of("large", answerAfter(300, "from large"));
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(10))
                .tier(Tier.of(small, sameSize).retry(RetryPolicy.backoff(3, Duration.ofMillis(100))
                        .retryOn(FailureKind.CONTEXT_WINDOW, FailureKind.SERVER_ERROR, FailureKind.TIMEOUT)))
                .tier(backup)
                .onContextWindow(large)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("a very long prompt"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(299))
                .thenAwait(Duration.ofMillis(1))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("from large");
                    assertThat(outcome.provider()).isEqualTo("large");
                    assertThat(outcome.tier()).isEqualTo(2);
                    assertThat(trail(outcome)).containsExactly("small#1 context-window 400", "large#1 ok");
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
                })
                .verifyComplete();
        assertThat(small.calls()).isEqualTo(1);
        assertThat(sameSize.calls()).isZero();
        assertThat(backup.calls()).isZero();
        assertThat(large.startedAtMillis).containsExactly(0L);
        assertThat(fallbacks()).singleElement().satisfies(fellBack -> {
            assertThat(fellBack.trigger().kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
            assertThat(fellBack.from().provider()).isEqualTo("small");
            assertThat(fellBack.toProvider()).isEqualTo("large");
            assertThat(fellBack.toTier()).isEqualTo(2);
        });
    }

    @Test
    void withoutLargerProvidersAContextWindowFailureGoesToTheCallerAsItIs() {
        ProviderException refusal = new ProviderException(Failure.contextWindow(400, "prompt is too long"));
        Scripted small = Scripted.of("small", Mono.error(refusal));
        Scripted backup = Scripted.of("backup", Mono.just("never asked"));
        Route<String, String> route = router.<String, String>route("chat")
                .tier(Tier.of(small).retry(RetryPolicy.backoff(3, Duration.ofMillis(100)).retryOn(FailureKind.CONTEXT_WINDOW)))
                .tier(backup)
                .build();

        StepVerifier.withVirtualTime(() -> route.call("a very long prompt"))
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(refusal))
                .verify();
        assertThat(small.calls()).isEqualTo(1);
        assertThat(backup.calls()).isZero();
        assertThat(fallbacks()).isEmpty();
        assertThat(events).filteredOn(RouteEvent.Ended.class::isInstance).singleElement()
                .satisfies(ended -> assertThat(((RouteEvent.Ended) ended).ending()).isEqualTo(RouteEvent.Ending.PASSED_THROUGH));
    }

    @Test
    void whenEveryLargerProviderRefusesTooTheLastRefusalGoesToTheCaller() {
        Scripted small = Scripted.of("small", tooLong("small"));
        Scripted large = Scripted.of("large", tooLong("large"));
        ProviderException hugeRefusal = new ProviderException(Failure.contextWindow(400, "huge: prompt is too long"));
        Scripted huge = Scripted.of("huge", Mono.error(hugeRefusal));
        Scripted backup = Scripted.of("backup", Mono.just("never asked"));
        Route<String, String> route = router.<String, String>route("chat")
                .tier(small)
                .tier(backup)
                .onContextWindow(Tier.of(large, huge))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("an enormous prompt"))
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(hugeRefusal))
                .verify();
        assertThat(List.of(small.calls(), large.calls(), huge.calls(), backup.calls())).containsExactly(1, 1, 1, 0);
        assertThat(fallbacks()).extracting(RouteEvent.FellBack::toProvider).containsExactly("large", "huge");
    }

    @Test
    void aLargerProviderThatAlreadyRefusedInAnOrdinaryTierIsNotAskedAgain() {
        Scripted large = Scripted.of("large", tooLong("large"));
        Scripted small = Scripted.of("small", Mono.just("never asked"));
        Scripted huge = Scripted.of("huge", Mono.just("from huge"));
        Route<String, String> first = router.<String, String>route("chat")
                .tier(large)
                .tier(small)
                .onContextWindow(large, huge)
                .build();

        StepVerifier.withVirtualTime(() -> first.execute("an enormous prompt"))
                .assertNext(outcome -> assertThat(trail(outcome)).containsExactly("large#1 context-window 400", "huge#1 ok"))
                .verifyComplete();

        Route<String, String> only = router.<String, String>route("chat").tier(large).tier(small).onContextWindow(large).build();
        StepVerifier.withVirtualTime(() -> only.call("an enormous prompt"))
                .expectErrorSatisfies(error -> assertThat(error).hasMessage("context-window 400 large: prompt is too long"))
                .verify();
        assertThat(large.calls()).isEqualTo(2);
        assertThat(small.calls()).isZero();
    }

    @Test
    void otherFailuresOfTheLargerProvidersEndTheRouteWithoutGoingBackToTheOrdinaryTiers() {
        Scripted small = Scripted.of("small", tooLong("small"));
        Scripted backup = Scripted.of("backup", Mono.just("never asked"));
        Scripted large = Scripted.of("large", status(503));
        Route<String, String> route = router.<String, String>route("chat")
                .tier(small)
                .tier(backup)
                .onContextWindow(large)
                .build();

        StepVerifier.withVirtualTime(() -> route.call("a very long prompt"))
                .expectErrorSatisfies(error -> assertThat(error).isExactlyInstanceOf(RouteFailedException.class)
                        .hasMessage("route 'chat' failed after 2 attempts: small#1 context-window 400; large#1 503"))
                .verify();
        assertThat(backup.calls()).isZero();
    }

    @Test
    void aRouteMayStillFallBackOnContextWindowAndContentPolicyWhenItListsThem() {
        Scripted small = Scripted.of("small", tooLong("small"));
        Scripted strict = Scripted.of("strict", Mono.error(new ProviderException(Failure.contentPolicy(400, "flagged"))));
        Scripted other = Scripted.of("other", Mono.just("from other"));
        Route<String, String> route = router.<String, String>route("chat")
                .fallbackOn(FailureKind.CONTEXT_WINDOW, FailureKind.CONTENT_POLICY)
                .tier(small)
                .tier(strict)
                .tier(other)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .assertNext(outcome -> assertThat(trail(outcome))
                        .containsExactly("small#1 context-window 400", "strict#1 content-policy 400", "other#1 ok"))
                .verifyComplete();
    }

    @Test
    void aContentPolicyRefusalPassesThroughWithTheProvidersReasonByDefault() {
        ProviderException refusal = new ProviderException(
                Failure.contentPolicy(400, "Output blocked by content filtering policy"));
        Scripted strict = Scripted.of("strict", Mono.error(refusal));
        Scripted other = Scripted.of("other", Mono.just("never asked"));
        Route<String, String> route = router.<String, String>route("chat")
                .tier(Tier.of(strict).retry(RetryPolicy.backoff(3, Duration.ofMillis(10))))
                .tier(other)
                .onContextWindow(Scripted.of("large", Mono.just("never asked")))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(refusal)
                        .hasMessageEndingWith("Output blocked by content filtering policy"))
                .verify();
        assertThat(strict.calls()).isEqualTo(1);
        assertThat(other.calls()).isZero();
    }

    @Test
    void aStreamingRouteMovesAContextWindowFailureBeforeItsFirstElementToTheLargerProviders() {
        Provider<String, Started<String>> small = Provider.of("small",
                (request, context) -> Started.of(Flux.<String>error(new ProviderException(Failure.contextWindow(400, "too long")))));
        List<String> backupCalls = new CopyOnWriteArrayList<>();
        Provider<String, Started<String>> backup = Provider.of("backup", (request, context) -> {
            backupCalls.add(request);
            return Started.of(Flux.just("never"));
        });
        Provider<String, Started<String>> large = Provider.of("large",
                (request, context) -> Started.of(Flux.just("one ", "two").delayElements(Duration.ofMillis(50))));
        Route<String, Started<String>> route = router.<String, Started<String>>route("stream")
                .tier(Tier.of(small).timeout(Duration.ofSeconds(1)))
                .tier(backup)
                .onContextWindow(Tier.of(large).timeout(Duration.ofSeconds(5)))
                .build();
        StreamRoute<String, String> streaming = StreamRoute.of(route).build();

        StepVerifier.withVirtualTime(() -> streaming.stream("a very long prompt"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(50))
                .expectNext("one ")
                .thenAwait(Duration.ofMillis(50))
                .expectNext("two")
                .verifyComplete();
        assertThat(backupCalls).isEmpty();
        assertThat(fallbacks()).singleElement().satisfies(fellBack -> {
            assertThat(fellBack.trigger().kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
            assertThat(fellBack.toProvider()).isEqualTo("large");
        });
    }

    @Test
    void aTimedOutProviderIsNotRetriedByDefaultTheRouteMovesOnAtOnce() {
        Scripted slow = Scripted.of("slow", Mono.never(), Mono.just("too late"));
        Scripted next = Scripted.of("next", answerAfter(100, "from next"));
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(10))
                .tier(Tier.of(slow).timeout(Duration.ofSeconds(1)).retry(RetryPolicy.backoff(3, Duration.ofMillis(100)).jitter(0)))
                .tier(next)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1099))
                .thenAwait(Duration.ofMillis(1))
                .assertNext(outcome -> {
                    assertThat(trail(outcome)).containsExactly("slow#1 timeout 1000ms", "next#1 ok");
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.TIMEOUT);
                })
                .verifyComplete();
        assertThat(slow.calls()).isEqualTo(1);
        assertThat(next.startedAtMillis).containsExactly(1000L);
        assertThat(events).noneMatch(RouteEvent.Retrying.class::isInstance);
    }

    @Test
    void aTimedOutProviderIsRetriedWhenTheRetryPolicyListsTimeouts() {
        Scripted slow = Scripted.of("slow", Mono.never(), answerAfter(200, "second try"));
        Scripted next = Scripted.of("next", Mono.just("never asked"));
        Route<String, String> route = router.<String, String>route("chat")
                .deadline(Duration.ofSeconds(10))
                .tier(Tier.of(slow).timeout(Duration.ofSeconds(1))
                        .retry(RetryPolicy.backoff(3, Duration.ofMillis(100)).jitter(0).retryOn(FailureKind.TIMEOUT)))
                .tier(next)
                .build();

        StepVerifier.withVirtualTime(() -> route.execute("x"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1299))
                .thenAwait(Duration.ofMillis(1))
                .assertNext(outcome -> assertThat(trail(outcome)).containsExactly("slow#1 timeout 1000ms", "slow#2 ok"))
                .verifyComplete();
        assertThat(slow.startedAtMillis).containsExactly(0L, 1100L);
        assertThat(next.calls()).isZero();
    }

    @Test
    void theContextWindowTierIsCheckedLikeAnyTier() {
        Scripted a = Scripted.of("a", Mono.just("a"));
        Scripted large = Scripted.of("large", Mono.just("large"));
        assertThatThrownBy(() -> router.<String, String>route("chat").tier(a)
                .onContextWindow(large, Scripted.of("large", Mono.just("again"))).build())
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'chat': the context-window tier names provider 'large' twice");
        Route<String, String> route = router.<String, String>route("chat").tier(a).onContextWindow(large).build();
        assertThat(route.onContextWindow().providers()).containsExactly(large);
        assertThat(router.<String, String>route("plain").tier(a).build().onContextWindow()).isNull();
    }
}
