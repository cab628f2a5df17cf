package dev.detour.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.DeadlineExceededException;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.RouteEvent;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.internal.Engine;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;

/**
 * The route's deadline bounds the whole stream, continuations included; and a continuation is trimmed of
 * what it restates. Elements ending in "!" are final; an element's text is itself.
 */
class StreamDeadlineTest {

    private final List<RouteEvent> events = new CopyOnWriteArrayList<>();
    private final Router router = Router.builder().listener(events::add).build();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private Provider<String, Started<String>> streaming(String name, Function<String, Flux<String>> stream) {
        return Provider.of(name, (request, context) -> {
            requests.add(name + " <- " + request);
            return Started.of(stream.apply(request));
        });
    }

    private static Flux<String> failingAfter(Duration delay, String... elements) {
        return Flux.concat(Flux.fromArray(elements), Mono.delay(delay).then(Mono.error(ProviderException.status(500, "died"))));
    }

    private StreamRoute.Builder<String, String> route(Duration deadline, Tier<String, Started<String>> first,
                                                       Tier<String, Started<String>> second) {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat").deadline(deadline)
                .tier(first).tier(second).build();
        return StreamRoute.of(route).finalWhen(element -> element.endsWith("!"));
    }

    private static final Continuation<String, String> TEXT = new Continuation<>() {
        @Override
        public String request(String original, List<String> relayed) {
            return "continue " + String.join("", relayed);
        }

        @Override
        public String marker(Failover failover) {
            return "[" + failover.from() + " -> " + failover.to() + ", restated " + failover.restated() + "]";
        }

        @Override
        public CharSequence text(String element) {
            return element.startsWith("<") ? null : element;
        }

        @Override
        public String withoutText(String element, int chars) {
            return element.substring(chars);
        }
    };

    @Test
    void aStreamThatStallsEndsInAnErrorAtTheDeadlineNotAtTheIdleTimeout() {
        PublisherProbe<String> stalled = PublisherProbe.of(Flux.concat(Flux.just("one", " two"), Flux.never()));
        StreamRoute<String, String> chat = route(Duration.ofSeconds(3),
                Tier.of(streaming("a", request -> stalled.flux())),
                Tier.of(streaming("b", request -> Flux.just("never!"))))
                .idleTimeout(Duration.ofSeconds(30)).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("one", " two")
                .expectNoEvent(Duration.ofMillis(2999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(MidStreamException.class)
                            .hasMessage("route 'chat': stream from a failed after 2 chunks: deadline 3s exceeded");
                    assertThat(((MidStreamException) error).deadlineExceeded()).isTrue();
                })
                .verify();
        stalled.assertWasCancelled();
    }

    @Test
    void aContinuationGetsOnlyTheTimeLeftAndIsCancelledAtTheDeadline() {
        PublisherProbe<String> slow = PublisherProbe.of(Mono.delay(Duration.ofSeconds(5)).thenReturn("late!").flux());
        StreamRoute<String, String> chat = route(Duration.ofSeconds(3),
                Tier.of(streaming("a", request -> failingAfter(Duration.ofSeconds(2), "Hel"))),
                Tier.of(streaming("b", request -> slow.flux())).timeout(Duration.ofSeconds(10)))
                .continueMidStream(TEXT).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("Hel")
                .expectNoEvent(Duration.ofMillis(2999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MidStreamException.class)
                        .hasMessageContaining("deadline 3s exceeded (it had failed: 500)"))
                .verify();
        assertThat(requests).containsExactly("a <- hi", "b <- continue Hel");
        slow.assertWasCancelled();
    }

    @Test
    void noContinuationStartsOnceTheDeadlineHasPassed() {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat").deadline(Duration.ofSeconds(1))
                .tier(streaming("a", request -> Flux.just("x!"))).build();

        StepVerifier.create(Engine.access().execute(route, "continue", Set.of(), Duration.ZERO))
                .expectError(DeadlineExceededException.class)
                .verify();
        assertThat(requests).isEmpty();
    }

    @Test
    void aFinishedStreamIsNotCutByTheDeadlineAfterwards() {
        StreamRoute<String, String> chat = route(Duration.ofSeconds(3),
                Tier.of(streaming("a", request -> Flux.just("all", " done!"))),
                Tier.of(streaming("b", request -> Flux.just("never!")))).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("all", " done!")
                .verifyComplete();
    }

    @Test
    void aContinuationThatStartsOverIsTrimmedToWhatIsNew() {
        StreamRoute<String, String> chat = route(Duration.ofSeconds(10),
                Tier.of(streaming("a", request -> failingAfter(Duration.ZERO, "The quick", " brown"))),
                Tier.of(streaming("b", request -> Flux.just("The", " quick br", "own fox", " jumps!"))))
                .continueMidStream(TEXT).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("The quick", " brown", "[a -> b, restated 15]", " fox", " jumps!")
                .verifyComplete();
        assertThat(events).filteredOn(RouteEvent.StreamContinued.class::isInstance).singleElement()
                .satisfies(event -> {
                    RouteEvent.StreamContinued continued = (RouteEvent.StreamContinued) event;
                    assertThat(continued.sentWords()).isEqualTo(3);
                    assertThat(continued.restated()).isEqualTo(15);
                });
    }

    @Test
    void aContinuationIsHeldBackOnlyUntilItIsKnownToBeNew() {
        PublisherProbe<String> rest = PublisherProbe.of(Flux.concat(Flux.just(" fox"), Flux.never()));
        StreamRoute<String, String> chat = route(Duration.ofSeconds(10),
                Tier.of(streaming("a", request -> failingAfter(Duration.ZERO, "The quick", " brown"))),
                Tier.of(streaming("b", request -> rest.flux())))
                .continueMidStream(TEXT).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("The quick", " brown", "[a -> b, restated 0]", " fox")
                .thenCancel()
                .verify();
        rest.assertWasCancelled();
    }

    @Test
    void anOpeningElementWithoutTextDoesNotDecideTheRestatement() {
        StreamRoute<String, String> chat = route(Duration.ofSeconds(10),
                Tier.of(streaming("a", request -> failingAfter(Duration.ZERO, "The quick", " brown"))),
                Tier.of(streaming("b", request -> Flux.just("<role>", "The quick", " brown", " fox!"))))
                .continueMidStream(TEXT).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"))
                .expectNext("The quick", " brown", "[a -> b, restated 15]", "<role>", " fox!")
                .verifyComplete();
    }

    @Test
    void theDeadlineCountsFromTheRequestHoweverLateTheElementsAreSubscribed() {
        StreamRoute<String, String> chat = route(Duration.ofSeconds(3),
                Tier.of(streaming("a", request -> failingAfter(Duration.ofSeconds(2), "Hel"))),
                Tier.of(streaming("b", request -> Flux.never())))
                .continueMidStream(TEXT).build();

        StepVerifier.withVirtualTime(() -> chat.open("hi").delayElement(Duration.ofMillis(500))
                        .flatMapMany(StreamRoute.Opened::elements))
                .thenAwait(Duration.ofMillis(500))
                .expectNext("Hel")
                .expectNoEvent(Duration.ofMillis(2499))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(MidStreamException.class);
                    assertThat(((MidStreamException) error).deadlineExceeded()).isTrue();
                })
                .verify();
    }
}
