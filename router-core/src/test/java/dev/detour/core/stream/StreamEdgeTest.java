package dev.detour.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.Validator;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.FailureKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;

/** No provider stream is left open, whatever races with it; a finished answer is never continued. */
class StreamEdgeTest {

    private final Router router = Router.builder().hedgeBudget(Budget.unlimited()).build();

    private static Provider<String, Started<String>> streaming(String name, Flux<String> stream) {
        return Provider.of(name, (request, context) -> Started.of(stream));
    }

    private StreamRoute.Builder<String, String> chat(Route<String, Started<String>> route) {
        return StreamRoute.of(route).finalWhen(element -> element.endsWith("!"))
                .continueMidStream((request, sofar) -> "continue", (from, to) -> "[" + from + " -> " + to + "]");
    }

    @Test
    void cancellingWhileTheMarkerWaitsForDemandCancelsTheContinuation() {
        PublisherProbe<String> b = PublisherProbe.of(Flux.concat(Flux.just(" wor"), Flux.never()));
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(streaming("a", Flux.concat(Flux.just("Hel"), Mono.error(ProviderException.status(500, "died")))))
                .tier(streaming("b", b.flux()))
                .build();
        List<String> seen = new ArrayList<>();
        BaseSubscriber<String> consumer = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(String value) {
                seen.add(value);
            }
        };
        chat(route).build().stream("hi").subscribe(consumer);
        assertThat(seen).containsExactly("Hel");
        b.assertWasSubscribed();
        consumer.cancel();
        b.assertWasCancelled();
    }

    @Test
    void aStreamCutAfterItsFinalElementIsNotContinued() {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(streaming("a", Flux.concat(Flux.just("Hello!"), Mono.error(ProviderException.status(500, "cut")))))
                .tier(streaming("b", Flux.just("more", " text!")))
                .build();

        StepVerifier.create(chat(route).build().stream("hi")).expectNext("Hello!").verifyComplete();
    }

    @Test
    void aStartedStreamAValidatorRejectsIsCancelled() {
        PublisherProbe<String> refusing = PublisherProbe.of(Flux.concat(Flux.just("I refuse"), Flux.never()));
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(streaming("a", refusing.flux()))
                .tier(streaming("b", Flux.just("ok!")))
                .validate(Validator.<Started<String>>require("no refusal", started -> !started.head().get(0).startsWith("I refuse")))
                .build();

        StepVerifier.create(chat(route).build().stream("hi")).expectNext("ok!").verifyComplete();
        refusing.assertWasCancelled();
    }

    @Test
    void aFirstElementArrivingAsTheTimeoutFiresIsCancelled() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        Router timed = Router.builder().scheduler(clock).build();
        Sinks.One<String> first = Sinks.one();
        PublisherProbe<String> late = PublisherProbe.of(Flux.concat(first.asMono(), Flux.never()));
        Provider<String, Started<String>> racing = Provider.of("a", (request, context) -> Started.of(late.flux())
                .doOnNext(started -> clock.advanceTimeBy(Duration.ofMillis(1))));
        Route<String, Started<String>> route = timed.<String, Started<String>>route("chat")
                .tier(Tier.of(racing).timeout(Duration.ofSeconds(1)))
                .tier(streaming("b", Flux.just("b!")))
                .build();
        List<String> received = new ArrayList<>();
        chat(route).build().stream("hi").subscribe(received::add);

        clock.advanceTimeBy(Duration.ofMillis(999));
        first.tryEmitValue("first");

        assertThat(received).containsExactly("b!");
        late.assertWasCancelled();
    }

    @Test
    void aSlowConsumerIsNotAnIdleProvider() {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(streaming("a", Flux.just("one", "two", "three!")))
                .tier(streaming("b", Flux.just("never!")))
                .build();
        StreamRoute<String, String> chat = chat(route).idleTimeout(Duration.ofSeconds(2)).build();

        StepVerifier.withVirtualTime(() -> chat.stream("hi"), 1)
                .expectNext("one")
                .thenAwait(Duration.ofSeconds(3))
                .thenRequest(10)
                .expectNext("two", "three!")
                .verifyComplete();
    }

    @Test
    void startedCancelledBeforeItsValueIsRequestedCancelsTheStream() {
        PublisherProbe<String> stream = PublisherProbe.of(Flux.concat(Flux.just("first"), Flux.never()));
        BaseSubscriber<Started<String>> caller = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
            }
        };
        Started.of(stream.flux()).subscribe(caller);
        stream.assertWasSubscribed();
        caller.cancel();
        stream.assertWasCancelled();
    }

    @Test
    void continuingWorksWhenTheRouteFallsBackOnlyOnServerErrors() {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .fallbackOn(FailureKind.SERVER_ERROR)
                .tier(streaming("a", Flux.concat(Flux.just("Hel"), Mono.error(ProviderException.status(500, "died")))))
                .tier(streaming("b", Flux.just("lo!")))
                .build();

        StepVerifier.create(chat(route).build().stream("hi")).expectNext("Hel", "[a -> b]", "lo!").verifyComplete();
    }

    @Test
    void aMidStreamFailureCountsAgainstTheProviderAndIsAnEvent() {
        List<dev.detour.core.RouteEvent> events = new ArrayList<>();
        Router listened = Router.builder().listener(events::add).build();
        Route<String, Started<String>> route = listened.<String, Started<String>>route("chat")
                .tier(streaming("a", Flux.concat(Flux.just("Hel"), Mono.error(ProviderException.status(500, "died")))))
                .tier(streaming("b", Flux.just("lo!")))
                .build();

        StepVerifier.create(chat(route).build().stream("hi")).expectNextCount(3).verifyComplete();

        assertThat(events).filteredOn(dev.detour.core.RouteEvent.MidStreamFailed.class::isInstance).hasSize(1);
        assertThat(listened.status("a").breaker().failures()).isEqualTo(1);
    }
}
