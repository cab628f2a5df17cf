package dev.detour.state.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.AnswerCodec;
import dev.detour.core.Degraded;
import dev.detour.core.Outcome;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.test.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Two routers sharing one real redis-server: what one learns or is told, the other acts on. Redis keeps the
 * clock of shared breakers, so open times here are real (short) times, waited for by polling, never by a sleep
 * of a fixed length.
 */
class SharedStateTest {

    static final AnswerCodec<String> TEXT = new AnswerCodec<>() {
        @Override
        public byte[] encode(String answer) {
            return answer.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    private RedisServer redis;
    private final List<RedisStateStore> stores = new ArrayList<>();
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicInteger calls = new AtomicInteger();
    private final Provider<String, String> flaky = Provider.of("flaky", (question, attempt) -> {
        calls.incrementAndGet();
        return down.get() ? Mono.error(ProviderException.status(503, "down")) : Mono.just("fresh " + question);
    });
    private final Provider<String, String> backup = Provider.of("backup", (question, attempt) -> Mono.just("backup"));

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
    }

    @AfterEach
    void stopAll() {
        stores.forEach(RedisStateStore::close);
        redis.close();
    }

    RedisStateStore store() {
        RedisStateStore store = RedisStateStore.builder(redis.url()).timeout(Duration.ofSeconds(1))
                .retryEvery(Duration.ofMillis(100)).build();
        stores.add(store);
        awaitTrue(() -> store.health().available(), Duration.ofSeconds(5), () -> store.health().detail());
        return store;
    }

    static Router router(RedisStateStore store, BreakerPolicy breaker, Budget retries) {
        return Router.builder().stateStore(store).breaker(breaker).retryBudget(retries).build();
    }

    Route<String, String> route(Router router) {
        return router.<String, String>route("answer").deadline(Duration.ofSeconds(5))
                .tier(Tier.of(flaky).retry(RetryPolicy.backoff(3, Duration.ofMillis(1))))
                .tier(backup)
                .build();
    }

    @Test
    void aBreakerOpenedOnOneRouterIsOpenOnTheOtherWithinASecond() {
        BreakerPolicy breaker = BreakerPolicy.defaults().countWindow(4).minimumCalls(4).openFor(Duration.ofMinutes(1));
        Router a = router(store(), breaker, Budget.unlimited());
        Router b = router(store(), breaker, Budget.unlimited());
        Route<String, String> onA = route(a);
        Route<String, String> onB = route(b);
        assertThat(onB.call("q").block()).isEqualTo("fresh q");
        awaitTrue(() -> b.status("flaky").breaker().calls() == 1, Duration.ofSeconds(5)); // B's result is in the fleet's window

        down.set(true);
        for (int i = 0; i < 2; i++) {
            assertThat(onA.call("q").block()).isEqualTo("backup");
            // A decides from what Redis last told it: its next request waits for its failures' verdict, else it
            // would call again and push B's answer out of the window
            awaitTrue(() -> a.status("flaky").breaker().state() == BreakerState.OPEN, Duration.ofSeconds(1));
        }
        long opened = System.nanoTime();
        awaitTrue(() -> b.status("flaky").breaker().state() == BreakerState.OPEN, Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(System.nanoTime() - opened)).isLessThan(Duration.ofSeconds(1));

        int before = calls.get();
        Outcome<String> outcome = onB.execute("q").block();
        assertThat(outcome.value()).isEqualTo("backup");
        assertThat(calls.get()).as("B's open breaker made no call").isEqualTo(before);
        awaitTrue(() -> a.status("flaky").breaker().calls() == 4, Duration.ofSeconds(1));
        assertThat(a.status("flaky").breaker()).as("one window for the fleet: B's answer and A's failures")
                .extracting(s -> s.calls(), s -> s.failures()).containsExactly(4, 3);
    }

    @Test
    void halfOpenProbesAreNotMultipliedByTheNumberOfRouters() {
        BreakerPolicy breaker = BreakerPolicy.defaults().countWindow(2).minimumCalls(2).openFor(Duration.ofMillis(300))
                .halfOpenProbes(2);
        Router a = router(store(), breaker, Budget.unlimited());
        Router b = router(store(), breaker, Budget.unlimited());
        Sinks.Empty<Void> release = Sinks.empty();
        AtomicInteger probes = new AtomicInteger();
        AtomicBoolean hanging = new AtomicBoolean();
        Provider<String, String> slow = Provider.of("slow", (question, attempt) -> {
            if (!hanging.get()) {
                return Mono.error(ProviderException.status(503, "down"));
            }
            probes.incrementAndGet();
            return release.asMono().thenReturn("recovered");
        });
        List<Route<String, String>> routes = List.of(a, b).stream().map(router -> router.<String, String>route("probe")
                .tier(slow).tier(backup).build()).toList();
        routes.get(0).call("q").block();
        routes.get(0).call("q").block();
        awaitTrue(() -> b.status("slow") != null && b.status("slow").breaker().state() != BreakerState.CLOSED,
                Duration.ofSeconds(1));

        hanging.set(true);
        List<reactor.core.Disposable> inFlight = new ArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < until) {
            for (Route<String, String> route : routes) {
                inFlight.add(route.call("q").subscribe());
            }
            pause(5);
        }
        assertThat(probes.get()).as("the fleet's probes, not 2 per router (Redis operations served locally: %d)",
                stores.stream().mapToLong(RedisStateStore::fallbacks).sum()).isEqualTo(2);

        release.tryEmitEmpty();
        awaitTrue(() -> a.status("slow").breaker().state() == BreakerState.CLOSED
                && b.status("slow").breaker().state() == BreakerState.CLOSED, Duration.ofSeconds(1));
        inFlight.forEach(reactor.core.Disposable::dispose);
    }

    @Test
    void theRetryBudgetHoldsForTheFleet() {
        Budget budget = Budget.ratio(0).minExtra(4).window(Duration.ofMinutes(1));
        Router a = router(store(), BreakerPolicy.disabled(), budget);
        Router b = router(store(), BreakerPolicy.disabled(), budget);
        List<Route<String, String>> routes = List.of(route(a), route(b));
        down.set(true);
        for (int i = 0; i < 20; i++) {
            assertThat(routes.get(i % 2).call("q").block()).isEqualTo("backup");
        }
        int retries = calls.get() - 20;
        assertThat(retries).as("about 4 retries for the fleet (two budgets of their own allow 8); a router decides from"
                + " the fleet's totals of its last reply, so it may overshoot by what is in flight").isBetween(4, 7);
    }

    @Test
    void anOverrideOnOneRouterAppliesToBoth() {
        Router a = router(store(), BreakerPolicy.defaults(), Budget.retries());
        Router b = router(store(), BreakerPolicy.defaults(), Budget.retries());
        Route<String, String> onB = route(b);
        route(a).call("q").block();
        onB.call("q").block();

        a.disable("flaky");
        awaitTrue(() -> b.status("flaky").disabled(), Duration.ofSeconds(1));
        int before = calls.get();
        assertThat(onB.call("q").block()).isEqualTo("backup");
        assertThat(calls.get()).isEqualTo(before);
        a.enable("flaky");
        awaitTrue(() -> !b.status("flaky").disabled(), Duration.ofSeconds(1));

        b.forceOpen("flaky");
        awaitTrue(() -> a.status("flaky").breaker().state() == BreakerState.FORCED_OPEN, Duration.ofSeconds(1));
        a.resetBreaker("flaky");
        awaitTrue(() -> b.status("flaky").breaker().state() == BreakerState.CLOSED, Duration.ofSeconds(1));
        assertThat(onB.call("q").block()).isEqualTo("fresh q");
    }

    @Test
    void aLastKnownGoodAnswerKeptByOneRouterIsServedByTheOtherWithItsAge() {
        Router a = router(store(), BreakerPolicy.defaults(), Budget.retries());
        Router b = router(store(), BreakerPolicy.defaults(), Budget.retries());
        Provider<String, String> failing = Provider.of("failing", (q, attempt) -> Mono.error(ProviderException.status(503, "down")));
        Route<String, String> onA = a.<String, String>route("weather").tier(flaky)
                .lastKnownGood(q -> q, Duration.ofMinutes(5), 100, TEXT).build();
        Route<String, String> onB = b.<String, String>route("weather").tier(failing)
                .lastKnownGood(q -> q, Duration.ofMinutes(5), 100, TEXT).build();
        assertThat(onA.call("paris").block()).isEqualTo("fresh paris");

        awaitTrue(() -> {
            Outcome<String> outcome = onB.execute("paris").onErrorResume(e -> Mono.empty()).block();
            return outcome != null && outcome.value().equals("fresh paris");
        }, Duration.ofSeconds(1));
        Outcome<String> served = onB.execute("paris").block();
        assertThat(served.degraded().kind()).isEqualTo(Degraded.Kind.LAST_KNOWN_GOOD);
        assertThat(served.degraded().age()).isBetween(Duration.ZERO, Duration.ofSeconds(5));
        assertThat(onB.execute("london").onErrorResume(e -> Mono.empty()).block()).as("no answer kept for london").isNull();
    }

    static void awaitTrue(BooleanSupplier condition, Duration within) {
        awaitTrue(condition, within, () -> "");
    }

    static void awaitTrue(BooleanSupplier condition, Duration within, java.util.function.Supplier<String> detail) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + within + " " + detail.get());
            }
            pause(5);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
