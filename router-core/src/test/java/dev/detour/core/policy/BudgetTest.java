package dev.detour.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.internal.BudgetTracker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BudgetTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void retriesAreCappedAtTheRatioOfRecentCalls() {
        BudgetTracker tracker = new BudgetTracker(Budget.ratio(0.2));
        for (int i = 0; i < 10; i++) {
            tracker.recordCall(0);
        }
        assertThat(tracker.tryExtra(0)).isTrue();
        assertThat(tracker.tryExtra(0)).isTrue();
        assertThat(tracker.tryExtra(0)).isFalse();
    }

    @Test
    void theFloorAllowsRetriesOnAQuietProvider() {
        BudgetTracker tracker = new BudgetTracker(Budget.ratio(0.2).minExtra(2));
        tracker.recordCall(0);
        assertThat(tracker.tryExtra(0)).isTrue();
        assertThat(tracker.tryExtra(0)).isTrue();
        assertThat(tracker.tryExtra(0)).isFalse();
    }

    @Test
    void oldCallsAndRetriesLeaveTheWindow() {
        BudgetTracker tracker = new BudgetTracker(Budget.ratio(0.5).window(Duration.ofSeconds(10)));
        tracker.recordCall(0);
        tracker.recordCall(0);
        assertThat(tracker.tryExtra(0)).isTrue();
        assertThat(tracker.tryExtra(5 * SECOND)).isFalse();
        assertThat(tracker.tryExtra(11 * SECOND)).as("the calls at 0 have left the window").isFalse();
        tracker.recordCall(11 * SECOND);
        tracker.recordCall(11 * SECOND);
        assertThat(tracker.tryExtra(12 * SECOND)).as("the retry at 0 has left the window too").isTrue();
    }

    @Test
    void anUnlimitedBudgetAlwaysAllows() {
        BudgetTracker tracker = new BudgetTracker(Budget.unlimited());
        for (int i = 0; i < 100; i++) {
            assertThat(tracker.tryExtra(0)).isTrue();
        }
    }

    @Test
    void concurrentRetriesNeverExceedTheBudget() throws InterruptedException {
        BudgetTracker tracker = new BudgetTracker(Budget.ratio(0.1));
        for (int i = 0; i < 1000; i++) {
            tracker.recordCall(0);
        }
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 100; i++) {
                    if (tracker.tryExtra(0)) {
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
        assertThat(allowed).hasValue(100);
    }
}
