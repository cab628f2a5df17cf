package dev.detour.core;

import static dev.detour.core.Scripted.status;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

/** The last steps of a route: last known good, static default, hand-off. */
class DegradedTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.getOrSet();
    private final Router router = Router.create();

    @AfterEach
    void realTime() {
        VirtualTimeScheduler.reset();
    }

    private static Outcome<String> served(Mono<Outcome<String>> call) {
        List<Outcome<String>> outcome = new CopyOnWriteArrayList<>();
        call.subscribe(outcome::add);
        assertThat(outcome).hasSize(1);
        return outcome.get(0);
    }

    @Test
    void theLastGoodAnswerIsServedWithItsAgeWithinTheMaximumStaleness() {
        Scripted weather = Scripted.of("weather", Mono.just("sunny, 21°C"), status(503));
        Route<String, String> route = router.<String, String>route("weather")
                .lastKnownGood(city -> city, Duration.ofMinutes(5))
                .tier(weather)
                .build();

        Outcome<String> live = served(route.execute("Lyon"));
        assertThat(live.degraded()).isNull();

        time.advanceTimeBy(Duration.ofMinutes(2));
        Outcome<String> cached = served(route.execute("Lyon"));
        assertThat(cached.value()).isEqualTo("sunny, 21°C");
        assertThat(cached.provider()).isEqualTo("last-known-good");
        assertThat(cached.tier()).isEqualTo(-1);
        assertThat(cached.degraded()).isEqualTo(new Degraded(Degraded.Kind.LAST_KNOWN_GOOD, "503", Duration.ofMinutes(2)));
        assertThat(cached.attempts()).hasToString("[weather#1 503]");
        assertThat(cached.fallbackTrigger().status()).isEqualTo(503);

        StepVerifier.create(route.call("Paris")).expectError(RouteFailedException.class).verify();

        time.advanceTimeBy(Duration.ofMinutes(4));
        StepVerifier.create(route.call("Lyon"))
                .expectErrorMessage("route 'weather' failed after 1 attempt: weather#1 503")
                .verify();
    }

    @Test
    void aDefaultAnswerFollowsAStaleCache() {
        Scripted weather = Scripted.of("weather", Mono.just("sunny"), status(503));
        Route<String, String> route = router.<String, String>route("weather")
                .lastKnownGood(city -> city, Duration.ofMinutes(5))
                .defaultAnswer("weather unavailable")
                .tier(weather)
                .build();
        served(route.execute("Lyon"));
        time.advanceTimeBy(Duration.ofMinutes(6));

        Outcome<String> fallback = served(route.execute("Lyon"));
        assertThat(fallback.value()).isEqualTo("weather unavailable");
        assertThat(fallback.degraded().kind()).isEqualTo(Degraded.Kind.STATIC_DEFAULT);
    }

    @Test
    void aDegradedAnswerIsServedWhenTheDeadlineRunsOut() {
        Route<String, String> route = router.<String, String>route("slow")
                .deadline(Duration.ofSeconds(2))
                .defaultAnswer("try again later")
                .tier(Scripted.of("stuck", Mono.never()))
                .build();
        List<Outcome<String>> outcome = new CopyOnWriteArrayList<>();
        route.execute("q").subscribe(outcome::add);
        time.advanceTimeBy(Duration.ofSeconds(2));

        assertThat(outcome).hasSize(1);
        assertThat(outcome.get(0).value()).isEqualTo("try again later");
        assertThat(outcome.get(0).degraded().reason()).isEqualTo("timeout 2000ms");
    }

    @Test
    void theHandOffReceivesTheRequestTheTrailAndTheCallersContext() {
        AtomicReference<String> handedRequest = new AtomicReference<>();
        AtomicReference<List<Attempt>> handedTrail = new AtomicReference<>();
        AtomicReference<Object> handedHistory = new AtomicReference<>();
        Route<String, String> route = router.<String, String>route("support")
                .tier(Scripted.of("bot", status(500)))
                .handOff((request, trail, context) -> {
                    handedRequest.set(request);
                    handedTrail.set(trail);
                    handedHistory.set(context.get("conversation"));
                    return Mono.just("A person will call you back.");
                })
                .build();

        Outcome<String> outcome = served(route.execute("my order is lost")
                .contextWrite(Context.of("conversation", List.of("hello", "where is my order?"))));

        assertThat(outcome.value()).isEqualTo("A person will call you back.");
        assertThat(outcome.degraded().kind()).isEqualTo(Degraded.Kind.HAND_OFF);
        assertThat(handedRequest.get()).isEqualTo("my order is lost");
        assertThat(handedTrail.get()).hasToString("[bot#1 500]");
        assertThat(handedHistory.get()).isEqualTo(List.of("hello", "where is my order?"));
    }

    @Test
    void aFailingHandOffMovesOnToTheNextStep() {
        Route<String, String> route = router.<String, String>route("support")
                .tier(Scripted.of("bot", status(500)))
                .handOff((request, trail, context) -> Mono.error(new IllegalStateException("queue down")))
                .defaultAnswer("Please try again later.")
                .build();

        assertThat(served(route.execute("q")).value()).isEqualTo("Please try again later.");
    }

    @Test
    void aBadRequestIsNotAnsweredFromTheCache() {
        Scripted api = Scripted.of("api", Mono.just("good"), status(400));
        Route<String, String> route = router.<String, String>route("api")
                .lastKnownGood(request -> request, Duration.ofMinutes(5))
                .tier(api)
                .build();
        served(route.execute("q"));
        StepVerifier.create(route.call("q")).expectError(ProviderException.class).verify();
    }
}
