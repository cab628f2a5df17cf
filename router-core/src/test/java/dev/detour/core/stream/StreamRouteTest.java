package dev.detour.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.HedgePolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;

/** Streams: fallback before the first element, then idle timeouts and mid-stream modes. Elements ending in "!" are final. */
class StreamRouteTest {

    private final Router router = Router.builder().hedgeBudget(Budget.unlimited()).build();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    private Provider<String, Started<String>> streaming(String name, Function<String, Flux<String>> stream) {
        return Provider.of(name, (request, context) -> {
            requests.add(name + " <- " + request);
            return Started.of(stream.apply(request));
        });
    }

    private static Flux<String> paced(long millis, String... elements) {
        return Flux.defer(() -> Flux.fromArray(elements).delayElements(Duration.ofMillis(millis)));
    }

    private static Flux<String> failingAfter(String... elements) {
        return Flux.concat(Flux.fromArray(elements), Mono.error(ProviderException.status(500, "died")));
    }

    private StreamRoute.Builder<String, String> route(Tier<String, Started<String>> first, Tier<String, Started<String>> second) {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat").tier(first).tier(second).build();
        return StreamRoute.of(route).finalWhen(element -> element.endsWith("!"));
    }

    @Test
    void aFailureBeforeTheFirstElementIsInvisibleToTheConsumer() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> Flux.error(ProviderException.status(503, "busy")))),
                Tier.of(streaming("b", request -> Flux.just("Hello", " world!")))).build();

        StepVerifier.create(chat.stream("hi")).expectNext("Hello", " world!").verifyComplete();
    }

    @Test
    void theTiersTimeoutBoundsTheTimeToFirstElement() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("slow", request -> paced(5000, "late!"))).timeout(Duration.ofSeconds(1)),
                Tier.of(streaming("b", request -> Flux.just("on time!")))).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(999))
                .thenAwait(ms(1))
                .expectNext("on time!")
                .verifyComplete();
    }

    @Test
    void theTimeoutDoesNotApplyOnceTheFirstElementArrived() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> paced(600, "one", "two", "three!"))).timeout(Duration.ofSeconds(1)),
                Tier.of(streaming("b", request -> Flux.just("b!")))).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .thenAwait(Duration.ofSeconds(2))
                .expectNext("one", "two", "three!")
                .verifyComplete();
    }

    @Test
    void inErrorModeAFailureAfterTheFirstElementEndsInAnExplicitError() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> failingAfter("Hel", "lo"))),
                Tier.of(streaming("b", request -> Flux.just("never!")))).build();

        StepVerifier.create(chat.stream("hi"))
                .expectNext("Hel", "lo")
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MidStreamException.class)
                        .hasMessage("route 'chat': stream from a failed after 2 chunks: 500"))
                .verify();
        assertThat(requests).containsExactly("a <- hi");
    }

    @Test
    void aStreamThatEndsWithoutItsFinalElementIsAFailureNotACleanEnd() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> Flux.just("cut", " short"))),
                Tier.of(streaming("b", request -> Flux.just("never!")))).build();

        StepVerifier.create(chat.stream("hi"))
                .expectNext("cut", " short")
                .expectErrorMessage("route 'chat': stream from a failed after 2 chunks: "
                        + "error: IllegalStateException: stream ended without its final chunk")
                .verify();
    }

    @Test
    void anIdleStreamFailsAfterTheIdleTimeout() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> Flux.concat(Flux.just("first"), Flux.never()))),
                Tier.of(streaming("b", request -> Flux.just("never!")))).idleTimeout(Duration.ofSeconds(2)).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("first")
                .expectNoEvent(Duration.ofMillis(1999))
                .thenAwait(ms(1))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MidStreamException.class)
                        .hasMessageContaining("timeout"))
                .verify();
    }

    @Test
    void inContinueModeTheNextProviderContinuesAfterAMarker() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> failingAfter("Hel", "lo"))),
                Tier.of(streaming("b", request -> Flux.just(" world", "!"))))
                .continueMidStream((request, sofar) -> request + " | continue after: " + String.join("", sofar),
                        (from, to) -> "[" + from + " -> " + to + "]")
                .build();

        StepVerifier.create(chat.stream("hi"))
                .expectNext("Hel", "lo", "[a -> b]", " world", "!")
                .verifyComplete();
        assertThat(requests).containsExactly("a <- hi", "b <- hi | continue after: Hello");
    }

    @Test
    void continuingSkipsTheProviderThatFailedEvenInTheSameTier() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> failingAfter("Hel")), streaming("a2", request -> Flux.just("lo!"))),
                Tier.of(streaming("b", request -> Flux.just("never!"))))
                .continueMidStream((request, sofar) -> "continue", (from, to) -> "[" + from + " -> " + to + "]")
                .build();

        StepVerifier.create(chat.stream("hi")).expectNext("Hel", "[a -> a2]", "lo!").verifyComplete();
    }

    @Test
    void whenTheAnswerCannotBeContinuedTheStreamEndsInAnError() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> failingAfter("{\"tool\":"))),
                Tier.of(streaming("b", request -> Flux.just("never!"))))
                .continueMidStream((request, sofar) -> null, (from, to) -> "marker")
                .build();

        StepVerifier.create(chat.stream("hi"))
                .expectNext("{\"tool\":")
                .expectErrorMessage("route 'chat': stream from a failed after 1 chunk: 500; cannot continue")
                .verify();
    }

    @Test
    void whenTheContinuationFailsTooTheErrorSaysSo() {
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> failingAfter("Hel"))),
                Tier.of(streaming("b", request -> Flux.error(ProviderException.status(503, "busy")))))
                .continueMidStream((request, sofar) -> "continue", (from, to) -> "marker")
                .build();

        StepVerifier.create(chat.stream("hi"))
                .expectNext("Hel")
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MidStreamException.class)
                        .hasMessageStartingWith("route 'chat': stream from a failed after 1 chunk: 500; continuation failed: "
                                + "route 'chat' failed after 1 attempt: b#1 503"))
                .verify();
    }

    @Test
    void aLateFirstElementIsHedgedAndTheSlowStreamCancelled() {
        PublisherProbe<String> slow = PublisherProbe.of(paced(500, "slow!"));
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(Tier.of(streaming("a", request -> slow.flux()), streaming("b", request -> paced(50, "fast", "er!")))
                        .hedge(HedgePolicy.after(ms(100))))
                .build();
        StreamRoute<String, String> chat = StreamRoute.of(route).finalWhen(element -> element.endsWith("!")).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectSubscription()
                .expectNoEvent(ms(149))
                .thenAwait(ms(1))
                .expectNext("fast")
                .thenAwait(ms(50))
                .expectNext("er!")
                .verifyComplete();
        slow.assertWasCancelled();
    }

    @Test
    void cancellingTheConsumerCancelsTheProvidersStream() {
        PublisherProbe<String> endless = PublisherProbe.of(Flux.concat(Flux.just("first"), Flux.never()));
        StreamRoute<String, String> chat = route(
                Tier.of(streaming("a", request -> endless.flux())),
                Tier.of(streaming("b", request -> Flux.just("never!")))).build();

        StepVerifier.create(chat.stream("hi")).expectNext("first").thenCancel().verify();
        endless.assertWasCancelled();
    }
}
