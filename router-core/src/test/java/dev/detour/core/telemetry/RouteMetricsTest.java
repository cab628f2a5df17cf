package dev.detour.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.AttemptContext;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.RouteEvent;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class RouteMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<RouteEvent> events = new CopyOnWriteArrayList<>();
    private final Router router = Router.builder().listener(new RouteMetrics(registry)).listener(events::add).build();

    private static Provider<String, String> failingTwiceThenOk(String name, AtomicInteger calls) {
        return Provider.of(name, (String request, AttemptContext context) -> calls.incrementAndGet() <= 2
                ? Mono.error(ProviderException.status(503, "down"))
                : Mono.just("ok"));
    }

    @Test
    void attemptsRetriesFallbacksAndEndingsAreCountedByTheirTags() {
        AtomicInteger calls = new AtomicInteger();
        Provider<String, String> openai = failingTwiceThenOk("openai", calls);
        Provider<String, String> groq = Provider.of("groq", (String request, AttemptContext context) -> Mono.just("groq"));
        Route<String, String> route = router.<String, String>route("chat")
                .tier(Tier.of(openai).retry(RetryPolicy.backoff(2, Duration.ofMillis(10))))
                .tier(groq)
                .build();

        StepVerifier.withVirtualTime(() -> route.call("hi")).thenAwait(Duration.ofSeconds(1)).expectNext("groq").verifyComplete();

        assertThat(registry.get("detour.calls").tags("route", "chat", "provider", "openai", "result", "server_error")
                .counter().count()).isEqualTo(2);
        assertThat(registry.get("detour.calls").tags("route", "chat", "provider", "groq", "result", "success")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("detour.retries").tags("route", "chat", "provider", "openai", "reason", "server_error")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("detour.fallbacks").tags("route", "chat", "reason", "server_error", "from", "openai", "to", "groq")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("detour.requests").tags("route", "chat", "ending", "served").counter().count()).isEqualTo(1);
        assertThat(registry.get("detour.attempt.latency").tags("provider", "openai").timer().count()).isEqualTo(2);
        assertThat(registry.find("detour.requests").tags("ending", "failed").counter()).isNull();

        assertThat(events).extracting(event -> event.getClass().getSimpleName()).containsExactly(
                "AttemptEnded", "Retrying", "AttemptEnded", "FellBack", "AttemptEnded", "Ended");
        RouteEvent.FellBack fellBack = (RouteEvent.FellBack) events.get(3);
        assertThat(fellBack.trigger().status()).isEqualTo(503);
        assertThat(fellBack.from().provider()).isEqualTo("openai");
        assertThat(fellBack.toProvider()).isEqualTo("groq");
        assertThat(fellBack.toTier()).isEqualTo(1);
    }

    @Test
    void aDeadlineExpiryIsCountedAsSuch() {
        Provider<String, String> stuck = Provider.of("stuck", (String request, AttemptContext context) -> Mono.never());
        Route<String, String> route = router.<String, String>route("slow")
                .deadline(Duration.ofSeconds(1))
                .tier(stuck)
                .build();

        StepVerifier.withVirtualTime(() -> route.call("hi")).thenAwait(Duration.ofSeconds(1)).verifyError();

        assertThat(registry.get("detour.requests").tags("route", "slow", "ending", "deadline_exceeded").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("detour.calls").tags("provider", "stuck", "result", "timeout").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("detour.attempt.latency").tags("provider", "stuck").timer()
                .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(1000);
    }

    @Test
    void aFailingListenerDoesNotBreakTheRoute() {
        Router noisy = Router.builder().listener(event -> {
            throw new IllegalStateException("listener bug");
        }).build();
        Provider<String, String> ok = Provider.of("ok", (String request, AttemptContext context) -> Mono.just("fine"));
        Route<String, String> route = noisy.<String, String>route("r").tier(ok).build();

        StepVerifier.create(route.call("x")).expectNext("fine").verifyComplete();
    }

    @Test
    void hedgesDegradedAnswersAndBreakerStatesAreRecorded() {
        Router metered = Router.builder()
                .listener(new RouteMetrics(registry))
                .hedgeBudget(Budget.unlimited())
                .breaker(BreakerPolicy.defaults().countWindow(2).minimumCalls(2))
                .build();
        Provider<String, String> slow = Provider.of("slow",
                (String request, AttemptContext context) -> Mono.delay(Duration.ofSeconds(1)).thenReturn("slow"));
        Provider<String, String> quick = Provider.of("quick", (String request, AttemptContext context) -> Mono.just("quick"));
        Route<String, String> hedged = metered.<String, String>route("hedged")
                .tier(Tier.of(slow, quick).hedge(HedgePolicy.after(Duration.ofMillis(100))))
                .build();
        StepVerifier.withVirtualTime(() -> hedged.call("x")).thenAwait(Duration.ofMillis(100)).expectNext("quick").verifyComplete();

        Provider<String, String> down = Provider.of("down",
                (String request, AttemptContext context) -> Mono.error(ProviderException.status(500, "x")));
        Route<String, String> cached = metered.<String, String>route("cached").tier(down).defaultAnswer("default").build();
        for (int i = 0; i < 3; i++) {
            StepVerifier.create(cached.call("x")).expectNext("default").verifyComplete();
        }

        assertThat(registry.get("detour.hedges").tags("route", "hedged", "provider", "slow", "hedge", "quick").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("detour.calls").tags("provider", "slow", "result", "cancelled").counter().count()).isEqualTo(1);
        assertThat(registry.get("detour.degraded").tags("route", "cached", "kind", "static_default").counter().count())
                .isEqualTo(3);
        assertThat(registry.get("detour.breaker.state").tags("provider", "down").gauge().value()).isEqualTo(1);
        assertThat(registry.get("detour.breaker.transitions").tags("provider", "down", "to", "open").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("detour.calls").tags("provider", "down", "result", "unavailable").counter().count())
                .isEqualTo(1);
    }
}
