package dev.detour.core;

import static dev.detour.core.Scripted.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Circuit breakers and operator overrides as a route sees them. */
class BreakerRouteTest {

    private final List<RouteEvent> events = new CopyOnWriteArrayList<>();
    private final VirtualTimeScheduler time = VirtualTimeScheduler.getOrSet();
    private final Router router = Router.builder()
            .breaker(BreakerPolicy.defaults().countWindow(4).minimumCalls(4).openFor(Duration.ofSeconds(10)).halfOpenProbes(1))
            .listener(events::add)
            .build();
    private final Scripted backup = Scripted.of("b", Mono.just("b"));

    @AfterEach
    void realTime() {
        VirtualTimeScheduler.reset();
    }

    /** Runs a request to its end, moving virtual time on by {@code takes}. */
    private Outcome<String> run(Route<String, String> route, Duration takes) {
        List<Outcome<String>> outcome = new CopyOnWriteArrayList<>();
        route.execute("x").subscribe(outcome::add);
        time.advanceTimeBy(takes);
        assertThat(outcome).as("the request ended").hasSize(1);
        return outcome.get(0);
    }

    private Outcome<String> run(Route<String, String> route) {
        return run(route, Duration.ZERO);
    }

    private List<String> transitions() {
        return events.stream().filter(RouteEvent.BreakerChanged.class::isInstance).map(RouteEvent.BreakerChanged.class::cast)
                .map(changed -> changed.from() + "->" + changed.to()).toList();
    }

    @Test
    void anOpenBreakerFailsFastWithoutACallThenProbesAndCloses() {
        Scripted a = Scripted.of("a", status(503), status(503), status(503), status(503), Mono.just("a is back"));
        Route<String, String> route = router.<String, String>route("r").tier(a).tier(backup).build();

        for (int i = 0; i < 4; i++) {
            assertThat(run(route).provider()).isEqualTo("b");
        }
        assertThat(transitions()).containsExactly("CLOSED->OPEN");
        assertThat(router.status("a").breaker().state()).isEqualTo(BreakerState.OPEN);

        Outcome<String> whileOpen = run(route);
        assertThat(whileOpen.attempts()).hasToString("[a#1 unavailable: breaker open, b#1 ok]");
        assertThat(whileOpen.calls()).isEqualTo(1);
        assertThat(a.calls()).isEqualTo(4);

        time.advanceTimeBy(Duration.ofSeconds(10));
        Outcome<String> probe = run(route);
        assertThat(probe.value()).isEqualTo("a is back");
        assertThat(transitions()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void aFailedProbeOpensTheBreakerAgain() {
        Scripted a = Scripted.of("a", status(503));
        Route<String, String> route = router.<String, String>route("r").tier(a).tier(backup).build();
        for (int i = 0; i < 4; i++) {
            run(route);
        }
        time.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(run(route).attempts()).hasToString("[a#1 503, b#1 ok]");
        assertThat(transitions()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN");
        assertThat(run(route).attempts()).hasToString("[a#1 unavailable: breaker open, b#1 ok]");
    }

    @Test
    void aTimeoutInsideTheAttemptCountsAsABreakerFailure() {
        Scripted stuck = Scripted.of("a", Mono.never());
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(stuck).timeout(Duration.ofSeconds(1)))
                .tier(backup)
                .build();
        for (int i = 0; i < 4; i++) {
            run(route, Duration.ofSeconds(1));
        }
        assertThat(router.status("a").breaker().failures()).isEqualTo(4);
        assertThat(router.status("a").breaker().state()).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void aRetryAfterLongerThanTheOpenTimeKeepsTheBreakerOpenThatLong() {
        Scripted limited = Scripted.of("a", Mono.error(ProviderException.rateLimited(Duration.ofSeconds(60), "quota")));
        Route<String, String> route = router.<String, String>route("r").tier(limited).tier(backup).build();
        for (int i = 0; i < 4; i++) {
            run(route);
        }
        time.advanceTimeBy(Duration.ofSeconds(30));
        assertThat(run(route).attempts().get(0)).hasToString("a#1 unavailable: breaker open");
        time.advanceTimeBy(Duration.ofSeconds(30));
        assertThat(run(route).attempts().get(0)).hasToString("a#1 429 retry-after 60s");
        assertThat(limited.calls()).isEqualTo(5);
    }

    @Test
    void aBadRequestDoesNotCountAgainstTheProvider() {
        Scripted a = Scripted.of("a", status(400));
        Route<String, String> route = router.<String, String>route("r").tier(a).tier(backup).build();
        for (int i = 0; i < 6; i++) {
            StepVerifier.create(route.call("x")).verifyError(ProviderException.class);
        }
        assertThat(router.status("a").breaker().state()).isEqualTo(BreakerState.CLOSED);
        assertThat(router.status("a").breaker().failures()).isZero();
    }

    @Test
    void anOperatorCanDisableEnableForceOpenAndResetAProvider() {
        Scripted a = Scripted.of("a", Mono.just("a"));
        Route<String, String> route = router.<String, String>route("r").tier(a).tier(backup).build();

        router.disable("a");
        assertThat(router.status("a").disabled()).isTrue();
        assertThat(run(route).attempts()).hasToString("[a#1 unavailable: disabled by operator, b#1 ok]");
        router.enable("a");
        assertThat(run(route).provider()).isEqualTo("a");

        router.forceOpen("a");
        assertThat(router.status("a").breaker().state()).isEqualTo(BreakerState.FORCED_OPEN);
        assertThat(run(route).attempts()).hasToString("[a#1 unavailable: breaker open, b#1 ok]");
        time.advanceTimeBy(Duration.ofHours(1));
        assertThat(run(route).provider()).as("forced open stays open").isEqualTo("b");
        router.resetBreaker("a");
        assertThat(run(route).provider()).isEqualTo("a");
        assertThat(a.calls()).isEqualTo(2);

        assertThat(events).filteredOn(RouteEvent.ProviderOverridden.class::isInstance)
                .extracting(event -> ((RouteEvent.ProviderOverridden) event).action())
                .containsExactly("disabled", "enabled", "forced open", "breaker reset");
    }

    @Test
    void aProvidersStatusShowsItsBreakerLatencyAndErrorRate() {
        Scripted a = Scripted.of("a", Scripted.answerAfter(100, "a"), status(503));
        Route<String, String> route = router.<String, String>route("r").tier(a).tier(backup).build();
        assertThat(router.status("a").latency()).isNull();

        run(route, Duration.ofMillis(100));
        ProviderStatus afterAnswer = router.status("a");
        assertThat(afterAnswer.latency()).isEqualTo(Duration.ofMillis(100));
        assertThat(afterAnswer.errorRate()).isZero();
        assertThat(afterAnswer.breaker().calls()).isEqualTo(1);

        run(route);
        ProviderStatus afterFailure = router.status("a");
        assertThat(afterFailure.errorRate()).isGreaterThan(0);
        assertThat(afterFailure.breaker().failures()).isEqualTo(1);
        assertThat(router.statuses()).extracting(ProviderStatus::provider).containsExactly("a", "b");
    }

    @Test
    void anUnknownProviderIsNamedInTheError() {
        router.<String, String>route("r").tier(backup).build();
        assertThatThrownBy(() -> router.disable("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no provider 'nope' in this router; known: [b]");
    }

    @Test
    void aBalancedTierPutsADisabledProviderLast() {
        Scripted a = Scripted.of("a", Mono.just("a"));
        Route<String, String> route = router.<String, String>route("r").tier(a, backup).build();
        router.disable("a");
        assertThat(run(route).attempts()).hasToString("[b#1 ok]");
    }
}
