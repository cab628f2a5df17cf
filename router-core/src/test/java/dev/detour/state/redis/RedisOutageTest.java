package dev.detour.state.redis;

import static dev.detour.state.redis.SharedStateTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.spi.Counters;
import dev.detour.test.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Redis is never a new way to fail: stopped, frozen or restarted, the routers serve from local state and resume. */
class RedisOutageTest {

    private static final Duration TIMEOUT = Duration.ofMillis(250);

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final AtomicBoolean down = new AtomicBoolean();
    private final Provider<String, String> flaky = Provider.of("flaky", (question, attempt) ->
            down.get() ? Mono.error(ProviderException.status(503, "down")) : Mono.just("fresh " + question));
    private final Provider<String, String> backup = Provider.of("backup", (question, attempt) -> Mono.just("backup"));

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private RedisServer redis(String password) {
        RedisServer redis = RedisServer.start(password);
        closing.add(redis);
        return redis;
    }

    private RedisStateStore store(RedisServer redis, SimpleMeterRegistry registry) {
        RedisStateStore store = RedisStateStore.builder(redis.url()).timeout(TIMEOUT).retryEvery(Duration.ofMillis(100))
                .meterRegistry(registry).build();
        closing.add(0, store);
        awaitTrue(() -> store.health().available(), Duration.ofSeconds(5));
        return store;
    }

    private Route<String, String> route(Router router) {
        return router.<String, String>route("answer").deadline(Duration.ofMillis(500))
                .tier(Tier.of(flaky).timeout(Duration.ofMillis(200))).tier(backup)
                .lastKnownGood(q -> q, Duration.ofMinutes(1), 100, SharedStateTest.TEXT)
                .build();
    }

    @Test
    void redisStoppedMidRunLeavesEveryRequestServedFromLocalStateAndSharingResumesWhenItReturns() {
        RedisServer redis = redis(null);
        SimpleMeterRegistry metersA = new SimpleMeterRegistry();
        BreakerPolicy breaker = BreakerPolicy.defaults().countWindow(4).minimumCalls(4).openFor(Duration.ofMinutes(1));
        RedisStateStore storeA = store(redis, metersA);
        RedisStateStore storeB = store(redis, new SimpleMeterRegistry());
        Router a = Router.builder().stateStore(storeA).breaker(breaker).build();
        Router b = Router.builder().stateStore(storeB).breaker(breaker).build();
        Route<String, String> onA = route(a);
        Route<String, String> onB = route(b);
        assertThat(onA.call("q").block()).isEqualTo("fresh q");
        assertThat(onB.call("q").block()).isEqualTo("fresh q");
        assertThat(metersA.get("detour.state.store.available").gauge().value()).isEqualTo(1);

        redis.stop();
        for (int i = 0; i < 50; i++) {
            Route<String, String> route = i % 2 == 0 ? onA : onB;
            StepVerifier.create(route.call("q")).expectNext("fresh q").expectComplete().verify(Duration.ofMillis(500));
        }
        awaitTrue(() -> !storeA.health().available() && !storeB.health().available(), Duration.ofSeconds(1));
        assertThat(storeA.health().detail()).contains("local state");
        assertThat(metersA.get("detour.state.store.available").gauge().value()).isZero();
        assertThat(metersA.get("detour.state.store.fallbacks").functionCounter().count()).isPositive();

        down.set(true);
        for (int i = 0; i < 4; i++) {
            StepVerifier.create(onA.call("q")).expectNext("backup").expectComplete().verify(Duration.ofMillis(500));
        }
        assertThat(a.status("flaky").breaker().state()).as("A's local breaker").isEqualTo(BreakerState.OPEN);
        assertThat(b.status("flaky").breaker().state()).as("B hears nothing while Redis is away").isEqualTo(BreakerState.CLOSED);

        redis.restart();
        awaitTrue(() -> storeA.health().available() && storeB.health().available(), Duration.ofSeconds(5));
        assertThat(metersA.get("detour.state.store.available").gauge().value()).isEqualTo(1);
        for (int i = 0; i < 4; i++) {
            onB.call("q").block();
        }
        awaitTrue(() -> a.status("flaky").breaker().state() == BreakerState.OPEN
                && b.status("flaky").breaker().state() == BreakerState.OPEN, Duration.ofSeconds(1));
    }

    @Test
    void aFrozenRedisCostsARequestAtMostTheTimeout() {
        RedisServer redis = redis(null);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        RedisStateStore store = store(redis, meters);
        Router router = Router.builder().stateStore(store).build();
        Provider<String, String> failing = Provider.of("failing", (q, attempt) -> Mono.error(ProviderException.status(503, "down")));
        Route<String, String> route = router.<String, String>route("answer").deadline(Duration.ofSeconds(5)).tier(failing)
                .lastKnownGood(q -> q, Duration.ofMinutes(1), 100, SharedStateTest.TEXT).defaultAnswer("default").build();

        StepVerifier.create(route.call("q")).expectNext("default").expectComplete().verify(Duration.ofSeconds(5));
        redis.pause();
        long started = System.nanoTime();
        StepVerifier.create(route.call("q")).expectNext("default").expectComplete().verify(Duration.ofSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("the lookup gave up after its timeout, long before the 5 s deadline").isLessThan(Duration.ofSeconds(1));
        awaitTrue(() -> !store.health().available(), Duration.ofSeconds(1));
        StepVerifier.create(route.call("q")).expectNext("default").expectComplete().verify(Duration.ofMillis(100));

        redis.resume();
        awaitTrue(() -> store.health().available(), Duration.ofSeconds(5));
    }

    @Test
    void countersAddAtomicallyForTheFleetPerWindowAndCountLocallyWhileRedisIsAway() {
        RedisServer redis = redis(null);
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        clock.advanceTimeTo(java.time.Instant.parse("2026-11-27T10:00:30Z"));
        RedisStateStore storeA = RedisStateStore.builder(redis.url()).timeout(Duration.ofSeconds(1)).clock(clock).build();
        RedisStateStore storeB = RedisStateStore.builder(redis.url()).timeout(Duration.ofSeconds(1)).clock(clock).build();
        closing.add(0, storeA);
        closing.add(0, storeB);
        awaitTrue(() -> storeA.health().available() && storeB.health().available(), Duration.ofSeconds(5));
        Counters a = storeA.counters();
        Counters b = storeB.counters();
        Duration minute = Duration.ofMinutes(1);

        List<Long> totals = Flux.range(0, 200)
                .flatMap(i -> (i % 2 == 0 ? a : b).add("key-1", 1, minute), 32)
                .collectList().block(Duration.ofSeconds(10));
        assertThat(totals).hasSize(200).doesNotHaveDuplicates().contains(200L);
        assertThat(a.untilWindowEnds(minute)).isEqualTo(Duration.ofSeconds(30));
        assertThat(b.add("key-1", 0, minute).block()).isEqualTo(200);

        clock.advanceTimeBy(Duration.ofSeconds(30));
        assertThat(a.add("key-1", 5, minute).block()).as("a new window starts at zero").isEqualTo(5);

        redis.stop();
        StepVerifier.create(a.add("key-1", 7, minute)).expectNext(7L).expectComplete().verify(Duration.ofSeconds(2));
        awaitTrue(() -> !storeA.health().available(), Duration.ofSeconds(1));
        assertThat(a.add("key-1", 1, minute).block(Duration.ofMillis(50))).as("local counting").isEqualTo(8);
        assertThat(storeA.fallbacks()).isPositive();
    }

    @Test
    void theUrlAndItsPasswordAppearInNoLogNoErrorAndNoHealth() {
        String password = "s3cret-pw-" + System.nanoTime();
        RedisServer redis = redis(password);
        List<String> logged = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record.getLoggerName() + " " + record.getMessage() + " " + java.util.Arrays.toString(record.getParameters())
                        + " " + record.getThrown());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        reactor.util.Loggers.useJdkLoggers();
        try {
            RedisStateStore store = store(redis, new SimpleMeterRegistry());
            Router router = Router.builder().stateStore(store).build();
            route(router).call("q").block();
            redis.stop();
            route(router).call("q").block();
            awaitTrue(() -> !store.health().available(), Duration.ofSeconds(1));
            redis.restart();
            awaitTrue(() -> store.health().available(), Duration.ofSeconds(5));
            assertThat(logged).as("said once per outage").filteredOn(line -> line.contains("Redis unavailable")).hasSize(1);
            assertThat(logged).anyMatch(line -> line.contains("shared state resumed"));
            assertThat(String.join("\n", logged) + store + store.health()).doesNotContain(password).doesNotContain(redis.url());
        } finally {
            root.removeHandler(capture);
            reactor.util.Loggers.resetLoggerFactory();
        }
        RedisStateStore wrong = RedisStateStore.builder("redis://:" + password + "@127.0.0.1:" + redis.port())
                .timeout(TIMEOUT).build();
        closing.add(0, wrong);
        assertThat(wrong.toString()).doesNotContain(password);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RedisStateStore.builder("http//:" + password + "@x:y"))
                .hasMessageNotContaining(password);
    }
}
