package dev.detour.core.policy;

import static dev.detour.core.policy.FailureKind.CLIENT_ERROR;
import static dev.detour.core.policy.FailureKind.RATE_LIMITED;
import static dev.detour.core.policy.FailureKind.SERVER_ERROR;
import static dev.detour.core.policy.FailureKind.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.internal.InMemoryBreakerStore;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.BreakerStore;
import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    private static final long T0 = 1_000 * SECOND;

    private final List<String> transitions = new CopyOnWriteArrayList<>();
    private final BreakerListener listener =
            (provider, from, to, reason) -> transitions.add(provider + " " + from + "->" + to + ": " + reason);
    private final BreakerPolicy policy = BreakerPolicy.defaults().countWindow(20).minimumCalls(10)
            .failureRate(0.5).openFor(Duration.ofSeconds(30)).halfOpenProbes(3);

    private CircuitBreaker breaker(BreakerPolicy policy) {
        return new InMemoryBreakerStore().breaker("p", policy, listener);
    }

    private static void record(CircuitBreaker breaker, int times, FailureKind failure, long now) {
        for (int i = 0; i < times; i++) {
            breaker.onResult(failure, MS, null, now);
        }
    }

    private CircuitBreaker opened(long now) {
        CircuitBreaker breaker = breaker(policy);
        record(breaker, 10, SERVER_ERROR, now);
        assertThat(breaker.state(now)).isEqualTo(BreakerState.OPEN);
        return breaker;
    }

    private CircuitBreaker halfOpen() {
        CircuitBreaker breaker = opened(T0);
        assertThat(breaker.state(T0 + 30 * SECOND)).isEqualTo(BreakerState.HALF_OPEN);
        return breaker;
    }

    @Test
    void opensAtExactlyTheFailureRateButNotBeforeMinimumCalls() {
        CircuitBreaker breaker = breaker(policy);
        record(breaker, 9, SERVER_ERROR, T0);
        assertThat(breaker.state(T0)).as("9 failures out of 9, under minimumCalls").isEqualTo(BreakerState.CLOSED);
        assertThat(breaker.tryAcquire(T0)).isTrue();
        record(breaker, 1, SERVER_ERROR, T0);
        assertThat(breaker.state(T0)).isEqualTo(BreakerState.OPEN);

        CircuitBreaker atRate = breaker(policy);
        record(atRate, 6, null, T0);
        record(atRate, 4, SERVER_ERROR, T0);
        record(atRate, 1, TIMEOUT, T0);
        CircuitBreaker.Snapshot below = atRate.snapshot(T0);
        assertThat(below.state()).as("5 of 11 failed: under 50%").isEqualTo(BreakerState.CLOSED);
        assertThat(below.calls()).isEqualTo(11);
        assertThat(below.failures()).isEqualTo(5);
        assertThat(below.failureRate()).isEqualTo(5 / 11.0);
        record(atRate, 1, TIMEOUT, T0);
        CircuitBreaker.Snapshot at = atRate.snapshot(T0);
        assertThat(at.state()).as("6 of 12 failed: exactly 50%").isEqualTo(BreakerState.OPEN);
        assertThat(at.failureRate()).isEqualTo(0.5);
        assertThat(transitions).containsExactly(
                "p CLOSED->OPEN: failure rate 100% >= 50% over 10 calls",
                "p CLOSED->OPEN: failure rate 50% >= 50% over 12 calls");
    }

    @Test
    void theCountWindowKeepsOnlyTheLastCalls() {
        CircuitBreaker breaker = breaker(policy.countWindow(10).minimumCalls(10));
        record(breaker, 4, SERVER_ERROR, T0);
        record(breaker, 10, null, T0);
        record(breaker, 4, SERVER_ERROR, T0);
        CircuitBreaker.Snapshot snapshot = breaker.snapshot(T0);
        assertThat(snapshot.calls()).isEqualTo(10);
        assertThat(snapshot.failures()).as("the first 4 failures have left the window").isEqualTo(4);
        assertThat(snapshot.state()).isEqualTo(BreakerState.CLOSED);
        record(breaker, 1, SERVER_ERROR, T0);
        assertThat(breaker.state(T0)).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void anOpenBreakerRefusesCallsUntilItsOpenTimeHasPassed() {
        CircuitBreaker breaker = opened(T0);
        assertThat(breaker.tryAcquire(T0)).isFalse();
        assertThat(breaker.tryAcquire(T0 + 29 * SECOND)).isFalse();
        CircuitBreaker.Snapshot snapshot = breaker.snapshot(T0 + 10 * SECOND);
        assertThat(snapshot.state()).isEqualTo(BreakerState.OPEN);
        assertThat(snapshot.openFor()).isEqualTo(Duration.ofSeconds(20));
        assertThat(snapshot.calls()).isEqualTo(10);
        assertThat(snapshot.failures()).isEqualTo(10);
        assertThat(breaker.state(T0 + 30 * SECOND - 1)).isEqualTo(BreakerState.OPEN);
        assertThat(breaker.state(T0 + 30 * SECOND)).isEqualTo(BreakerState.HALF_OPEN);
        assertThat(breaker.snapshot(T0 + 30 * SECOND).openFor()).isEqualTo(Duration.ZERO);
        assertThat(transitions).containsExactly(
                "p CLOSED->OPEN: failure rate 100% >= 50% over 10 calls",
                "p OPEN->HALF_OPEN: open time over");
    }

    @Test
    void theFirstCallAfterTheOpenTimeTakesAProbePermit() {
        CircuitBreaker breaker = opened(T0);
        assertThat(breaker.tryAcquire(T0 + 30 * SECOND)).isTrue();
        assertThat(breaker.tryAcquire(T0 + 30 * SECOND)).isTrue();
        assertThat(breaker.tryAcquire(T0 + 30 * SECOND)).isTrue();
        assertThat(breaker.tryAcquire(T0 + 30 * SECOND)).as("3 probes out already").isFalse();
        assertThat(breaker.state(T0 + 30 * SECOND)).isEqualTo(BreakerState.HALF_OPEN);
    }

    @Test
    void aHalfOpenBreakerClosesWithAnEmptyWindowWhenItsProbesSucceed() {
        CircuitBreaker breaker = halfOpen();
        long now = T0 + 31 * SECOND;
        for (int i = 0; i < 3; i++) {
            assertThat(breaker.tryAcquire(now)).isTrue();
        }
        breaker.onResult(null, MS, null, now);
        breaker.onResult(CLIENT_ERROR, MS, null, now);
        assertThat(breaker.state(now)).as("2 of 3 probes back").isEqualTo(BreakerState.HALF_OPEN);
        breaker.onResult(null, MS, null, now);
        CircuitBreaker.Snapshot snapshot = breaker.snapshot(now);
        assertThat(snapshot.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(snapshot.calls()).isZero();
        assertThat(snapshot.failures()).isZero();
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(transitions).last().isEqualTo("p HALF_OPEN->CLOSED: 3 probes succeeded");

        record(breaker, 9, SERVER_ERROR, now);
        assertThat(breaker.state(now)).as("the old failures are gone").isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void aFailedProbeOpensTheBreakerAgain() {
        CircuitBreaker breaker = halfOpen();
        long now = T0 + 40 * SECOND;
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).isTrue();
        breaker.onResult(null, MS, null, now);
        breaker.onResult(SERVER_ERROR, MS, null, now);
        assertThat(breaker.state(now)).isEqualTo(BreakerState.OPEN);
        assertThat(breaker.tryAcquire(now + 29 * SECOND)).isFalse();
        assertThat(breaker.snapshot(now + 29 * SECOND).openFor()).isEqualTo(Duration.ofSeconds(1));
        assertThat(breaker.tryAcquire(now + 30 * SECOND)).isTrue();
        assertThat(transitions).containsExactly(
                "p CLOSED->OPEN: failure rate 100% >= 50% over 10 calls",
                "p OPEN->HALF_OPEN: open time over",
                "p HALF_OPEN->OPEN: probe failed: SERVER_ERROR",
                "p OPEN->HALF_OPEN: open time over");
    }

    @Test
    void halfOpenPermitsAreLimitedAndACancelledProbeGivesItsPermitBack() {
        CircuitBreaker breaker = halfOpen();
        long now = T0 + 31 * SECOND;
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).isFalse();
        breaker.onCancel(now);
        assertThat(breaker.tryAcquire(now)).as("the cancelled probe's permit").isTrue();
        assertThat(breaker.tryAcquire(now)).isFalse();

        breaker.onResult(null, MS, null, now);
        breaker.onResult(null, MS, null, now);
        assertThat(breaker.state(now)).as("a cancelled probe is not a success").isEqualTo(BreakerState.HALF_OPEN);
        breaker.onResult(null, MS, null, now);
        assertThat(breaker.state(now)).isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void resultsOfCallsStartedBeforeTheBreakerOpenedAreNotProbes() {
        CircuitBreaker breaker = halfOpen();
        long now = T0 + 31 * SECOND;
        breaker.onResult(SERVER_ERROR, MS, null, now);
        breaker.onCancel(now);
        assertThat(breaker.state(now)).as("no probe was out").isEqualTo(BreakerState.HALF_OPEN);
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).isTrue();
        assertThat(breaker.tryAcquire(now)).as("a stray cancel gave no extra permit").isFalse();
    }

    @Test
    void slowCallsOpenTheBreakerEvenWhenEveryCallSucceeds() {
        BreakerPolicy slowPolicy = policy.slowCalls(Duration.ofSeconds(1), 0.8);
        CircuitBreaker fast = breaker(slowPolicy);
        for (int i = 0; i < 10; i++) {
            fast.onResult(null, SECOND - 1, null, T0);
        }
        assertThat(fast.state(T0)).isEqualTo(BreakerState.CLOSED);
        assertThat(fast.snapshot(T0).slowCalls()).isZero();

        transitions.clear();
        CircuitBreaker slow = new InMemoryBreakerStore().breaker("slow", slowPolicy, listener);
        for (int i = 0; i < 10; i++) {
            slow.onResult(null, SECOND, null, T0);
        }
        CircuitBreaker.Snapshot snapshot = slow.snapshot(T0);
        assertThat(snapshot.state()).isEqualTo(BreakerState.OPEN);
        assertThat(snapshot.failures()).isZero();
        assertThat(snapshot.slowCalls()).isEqualTo(10);
        assertThat(snapshot.slowCallRate()).isEqualTo(1.0);
        assertThat(transitions).containsExactly("slow CLOSED->OPEN: slow-call rate 100% >= 80% over 10 calls");

        CircuitBreaker untripped = breaker(policy);
        for (int i = 0; i < 10; i++) {
            untripped.onResult(null, 60 * SECOND, null, T0);
        }
        assertThat(untripped.state(T0)).as("slow calls do not trip by default").isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void aSlowProbeOpensTheBreakerAgainWhenSlowCallsTrip() {
        CircuitBreaker breaker = breaker(policy.slowCalls(Duration.ofSeconds(1), 0.8));
        for (int i = 0; i < 10; i++) {
            breaker.onResult(null, 2 * SECOND, null, T0);
        }
        long now = T0 + 30 * SECOND;
        assertThat(breaker.tryAcquire(now)).isTrue();
        breaker.onResult(null, 1500 * MS, null, now);
        assertThat(breaker.state(now)).isEqualTo(BreakerState.OPEN);
        assertThat(transitions).last().isEqualTo("p HALF_OPEN->OPEN: probe slow: 1500ms >= 1000ms");
    }

    @Test
    void aRetryAfterLongerThanOpenForKeepsTheBreakerOpenLonger() {
        CircuitBreaker breaker = breaker(policy);
        record(breaker, 9, SERVER_ERROR, T0);
        breaker.onResult(RATE_LIMITED, MS, Duration.ofSeconds(60), T0);
        assertThat(breaker.snapshot(T0).openFor()).isEqualTo(Duration.ofSeconds(60));
        assertThat(breaker.tryAcquire(T0 + 59 * SECOND)).isFalse();
        assertThat(breaker.tryAcquire(T0 + 60 * SECOND)).isTrue();

        CircuitBreaker shorter = breaker(policy);
        record(shorter, 9, SERVER_ERROR, T0);
        shorter.onResult(RATE_LIMITED, MS, Duration.ofSeconds(10), T0);
        assertThat(shorter.snapshot(T0).openFor()).isEqualTo(Duration.ofSeconds(30));
        assertThat(shorter.tryAcquire(T0 + 29 * SECOND)).isFalse();
        assertThat(shorter.tryAcquire(T0 + 30 * SECOND)).isTrue();
    }

    @Test
    void aLateFailureWithALongerRetryAfterExtendsTheOpenTime() {
        CircuitBreaker breaker = opened(T0);
        breaker.onResult(RATE_LIMITED, MS, Duration.ofSeconds(5), T0 + 10 * SECOND);
        assertThat(breaker.snapshot(T0 + 10 * SECOND).openFor()).as("ends at 30s anyway").isEqualTo(Duration.ofSeconds(20));
        breaker.onResult(RATE_LIMITED, MS, Duration.ofSeconds(45), T0 + 10 * SECOND);
        assertThat(breaker.snapshot(T0 + 10 * SECOND).openFor()).isEqualTo(Duration.ofSeconds(45));
        assertThat(breaker.tryAcquire(T0 + 54 * SECOND)).isFalse();
        assertThat(breaker.tryAcquire(T0 + 55 * SECOND)).isTrue();
    }

    @Test
    void aKindThePolicyDoesNotRecordCountsAsASuccess() {
        CircuitBreaker breaker = breaker(policy);
        record(breaker, 4, SERVER_ERROR, T0);
        for (int i = 0; i < 6; i++) {
            breaker.onResult(CLIENT_ERROR, MS, Duration.ofSeconds(60), T0);
        }
        CircuitBreaker.Snapshot snapshot = breaker.snapshot(T0);
        assertThat(snapshot.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(snapshot.calls()).isEqualTo(10);
        assertThat(snapshot.failures()).isEqualTo(4);

        CircuitBreaker onlyTimeouts = breaker(policy.recordOn(TIMEOUT));
        record(onlyTimeouts, 10, SERVER_ERROR, T0);
        assertThat(onlyTimeouts.state(T0)).isEqualTo(BreakerState.CLOSED);
        record(onlyTimeouts, 10, TIMEOUT, T0);
        assertThat(onlyTimeouts.state(T0)).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void aTimeWindowForgetsOldFailures() {
        BreakerPolicy timed = policy.timeWindow(Duration.ofSeconds(10)).minimumCalls(5);
        CircuitBreaker remembers = breaker(timed);
        record(remembers, 4, SERVER_ERROR, T0);
        record(remembers, 1, SERVER_ERROR, T0 + 5 * SECOND);
        assertThat(remembers.state(T0 + 5 * SECOND)).as("5 failures within 10s").isEqualTo(BreakerState.OPEN);

        CircuitBreaker forgets = breaker(timed);
        record(forgets, 4, SERVER_ERROR, T0);
        assertThat(forgets.snapshot(T0 + 9 * SECOND).failures()).isEqualTo(4);
        record(forgets, 1, SERVER_ERROR, T0 + 11 * SECOND);
        record(forgets, 4, null, T0 + 11 * SECOND);
        CircuitBreaker.Snapshot snapshot = forgets.snapshot(T0 + 11 * SECOND);
        assertThat(snapshot.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(snapshot.calls()).isEqualTo(5);
        assertThat(snapshot.failures()).isEqualTo(1);
        assertThat(forgets.snapshot(T0 + 30 * SECOND).calls()).isZero();
    }

    @Test
    void aForcedOpenBreakerRefusesEverythingUntilReset() {
        CircuitBreaker breaker = breaker(policy);
        record(breaker, 9, SERVER_ERROR, T0);
        breaker.forceOpen(T0);
        breaker.forceOpen(T0);
        assertThat(breaker.tryAcquire(T0)).isFalse();
        assertThat(breaker.state(T0 + 3600 * SECOND)).isEqualTo(BreakerState.FORCED_OPEN);
        assertThat(breaker.tryAcquire(T0 + 3600 * SECOND)).isFalse();
        assertThat(breaker.snapshot(T0).openFor()).isEqualTo(Duration.ZERO);

        breaker.reset(T0 + 3600 * SECOND);
        assertThat(breaker.state(T0 + 3600 * SECOND)).isEqualTo(BreakerState.CLOSED);
        assertThat(breaker.tryAcquire(T0 + 3600 * SECOND)).isTrue();
        record(breaker, 1, SERVER_ERROR, T0 + 3600 * SECOND);
        assertThat(breaker.snapshot(T0 + 3600 * SECOND).calls()).as("reset empties the window").isEqualTo(1);
        assertThat(breaker.state(T0 + 3600 * SECOND)).isEqualTo(BreakerState.CLOSED);
        assertThat(transitions).containsExactly("p CLOSED->FORCED_OPEN: forced open", "p FORCED_OPEN->CLOSED: reset");
    }

    @Test
    void theListenerSeesEveryTransitionOnceInOrder() {
        CircuitBreaker breaker = breaker(policy.halfOpenProbes(2));
        record(breaker, 4, null, T0);
        record(breaker, 6, SERVER_ERROR, T0);
        assertThat(breaker.tryAcquire(T0 + 30 * SECOND)).isTrue();
        breaker.onResult(TIMEOUT, MS, null, T0 + 31 * SECOND);
        assertThat(breaker.tryAcquire(T0 + 61 * SECOND)).isTrue();
        assertThat(breaker.tryAcquire(T0 + 61 * SECOND)).isTrue();
        breaker.onResult(null, MS, null, T0 + 62 * SECOND);
        breaker.onResult(null, MS, null, T0 + 62 * SECOND);
        breaker.forceOpen(T0 + 63 * SECOND);
        breaker.reset(T0 + 64 * SECOND);
        breaker.reset(T0 + 65 * SECOND);

        assertThat(transitions).containsExactly(
                "p CLOSED->OPEN: failure rate 60% >= 50% over 10 calls",
                "p OPEN->HALF_OPEN: open time over",
                "p HALF_OPEN->OPEN: probe failed: TIMEOUT",
                "p OPEN->HALF_OPEN: open time over",
                "p HALF_OPEN->CLOSED: 2 probes succeeded",
                "p CLOSED->FORCED_OPEN: forced open",
                "p FORCED_OPEN->CLOSED: reset");
    }

    @Test
    void aDisabledBreakerNeverOpensByItself() {
        CircuitBreaker breaker = breaker(BreakerPolicy.disabled());
        record(breaker, 100, SERVER_ERROR, T0);
        assertThat(breaker.state(T0)).isEqualTo(BreakerState.CLOSED);
        assertThat(breaker.tryAcquire(T0)).isTrue();
        assertThat(breaker.snapshot(T0).calls()).isZero();
        breaker.forceOpen(T0);
        assertThat(breaker.tryAcquire(T0)).isFalse();
        breaker.reset(T0);
        assertThat(breaker.tryAcquire(T0)).isTrue();
    }

    @Test
    void theStoreGivesEachProviderOneBreaker() {
        BreakerStore store = new InMemoryBreakerStore();
        CircuitBreaker first = store.breaker("openai", policy, listener);
        CircuitBreaker again = store.breaker("openai", BreakerPolicy.disabled(), BreakerListener.none());
        CircuitBreaker other = store.breaker("groq", policy, listener);
        assertThat(again).isSameAs(first);
        assertThat(again.policy()).isSameAs(policy);
        assertThat(again.provider()).isEqualTo("openai");
        assertThat(other).isNotSameAs(first);
        assertThat(store.breakers()).containsExactlyInAnyOrder(first, other);
        record(again, 10, SERVER_ERROR, T0);
        assertThat(transitions).containsExactly("openai CLOSED->OPEN: failure rate 100% >= 50% over 10 calls");
    }

    @Test
    void concurrentResultsAreAllCounted() throws InterruptedException {
        CircuitBreaker breaker = breaker(policy.countWindow(100_000).minimumCalls(100_000));
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    assertThat(breaker.tryAcquire(T0)).isTrue();
                    breaker.onResult(i % 4 == 0 ? SERVER_ERROR : null, MS, null, T0);
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        CircuitBreaker.Snapshot snapshot = breaker.snapshot(T0);
        assertThat(snapshot.calls()).isEqualTo(80_000);
        assertThat(snapshot.failures()).isEqualTo(20_000);
        assertThat(snapshot.state()).isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void concurrentCallsInHalfOpenGetExactlyTheProbePermits() throws InterruptedException {
        CircuitBreaker breaker = opened(T0);
        long now = T0 + 30 * SECOND;
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1_000; i++) {
                    if (breaker.tryAcquire(now)) {
                        allowed.incrementAndGet();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(allowed).hasValue(3);
        assertThat(transitions).containsExactly(
                "p CLOSED->OPEN: failure rate 100% >= 50% over 10 calls",
                "p OPEN->HALF_OPEN: open time over");
    }
}
