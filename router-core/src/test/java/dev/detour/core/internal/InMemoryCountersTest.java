package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class InMemoryCountersTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final AtomicLong now = new AtomicLong(Duration.ofHours(5).plusSeconds(42).toMillis());
    private final InMemoryCounters counters = new InMemoryCounters(now::get);

    @Test
    void countsOnlyWhenSubscribed() {
        Mono<Long> added = counters.add("a", 3, MINUTE);

        assertThat(counters.addNow("a", 0, MINUTE)).isZero();
        StepVerifier.create(added).expectNext(3L).verifyComplete();
    }

    @Test
    void addsWithinAWindowAndReadsWithZero() {
        StepVerifier.create(counters.add("a", 3, MINUTE)).expectNext(3L).verifyComplete();
        StepVerifier.create(counters.add("a", 4, MINUTE)).expectNext(7L).verifyComplete();
        StepVerifier.create(counters.add("a", 0, MINUTE)).expectNext(7L).verifyComplete();
    }

    @Test
    void keysAndWindowLengthsCountApart() {
        counters.addNow("a", 5, MINUTE);

        assertThat(counters.addNow("b", 1, MINUTE)).isEqualTo(1);
        assertThat(counters.addNow("a", 1, Duration.ofDays(1))).as("the same key over a day is another counter").isEqualTo(1);
        assertThat(counters.addNow("a", 0, MINUTE)).isEqualTo(5);
    }

    @Test
    void windowsAreAlignedToTheEpochAndANewWindowStartsFromZero() {
        counters.addNow("a", 10, MINUTE);
        assertThat(counters.untilWindowEnds(MINUTE)).isEqualTo(Duration.ofSeconds(18));

        now.addAndGet(Duration.ofSeconds(17).toMillis());
        assertThat(counters.addNow("a", 1, MINUTE)).as("still the same minute (5:00:59)").isEqualTo(11);
        assertThat(counters.untilWindowEnds(MINUTE)).isEqualTo(Duration.ofSeconds(1));

        now.addAndGet(Duration.ofSeconds(1).toMillis());
        assertThat(counters.untilWindowEnds(MINUTE)).as("5:01:00 starts a window of a whole minute").isEqualTo(MINUTE);
        assertThat(counters.addNow("a", 0, MINUTE)).as("the old window is gone").isZero();
    }

    @Test
    void aDayEndsAtMidnightUtc() {
        assertThat(counters.untilWindowEnds(Duration.ofDays(1))).isEqualTo(Duration.ofHours(19).minusSeconds(42));
    }

    @Test
    void anAddFromAThreadThatReadTheClockLateCountsInTheNewerWindow() {
        counters.addNow("a", 2, MINUTE);
        now.addAndGet(MINUTE.toMillis());
        counters.addNow("a", 1, MINUTE);
        now.addAndGet(-MINUTE.toMillis());

        assertThat(counters.addNow("a", 1, MINUTE)).as("never back into a window already left").isEqualTo(2);
    }

    @Test
    void concurrentAddsAreNeverLost() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        counters.addNow("shared", 1, MINUTE);
                    }
                    return null;
                });
            }
            for (Future<Void> done : threads.invokeAll(tasks)) {
                done.get();
            }
        } finally {
            threads.shutdown();
        }
        assertThat(counters.addNow("shared", 0, MINUTE)).isEqualTo(40_000);
    }

    @Test
    void aWindowShorterThanAMillisecondIsRefused() {
        assertThatThrownBy(() -> counters.addNow("a", 1, Duration.ofNanos(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1ms");
    }

    @Test
    void aRoutersDefaultCountersRunOnItsClockSoVirtualTimeMovesTheirWindows() {
        StepVerifier.withVirtualTime(() -> {
                    Router router = Router.create();
                    router.counters().add("a", 5, MINUTE).block();
                    return Mono.delay(Duration.ofSeconds(59)).then(router.counters().add("a", 1, MINUTE))
                            .concatWith(Mono.delay(Duration.ofSeconds(1)).then(router.counters().add("a", 1, MINUTE)));
                })
                .thenAwait(Duration.ofSeconds(60))
                .expectNext(6L, 1L)
                .verifyComplete();
    }

    @Test
    void spendCountsInBillionthsAgainstItsBudget() {
        SpendCounter spend = new SpendCounter(counters, "route", 1.0);

        spend.charge(0.4);
        spend.charge(0.0000025);
        StepVerifier.create(spend.reached()).expectNext(false).verifyComplete();
        assertThat(counters.addNow("route", 0, SpendCounter.DAY)).isEqualTo(400_002_500L);

        spend.charge(0.6);
        StepVerifier.create(spend.reached()).expectNext(true).verifyComplete();
        assertThat(spend.budget()).isEqualTo("1");
        assertThat(new SpendCounter(counters, "k", 0.0001).budget()).isEqualTo("0.0001");
        assertThat(spend.untilReset()).isEqualTo(Duration.ofHours(19).minusSeconds(42));
    }
}
