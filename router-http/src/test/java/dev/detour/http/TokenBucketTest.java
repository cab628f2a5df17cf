package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The client rate's token bucket, on a clock the test moves: no sleeps. */
class TokenBucketTest {

    private final AtomicLong now = new AtomicLong(-5_000_000_000L);

    private void advance(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aFullBucketGivesAMinutesWorthThenOneTokenPerInterval() {
        TokenBucket bucket = new TokenBucket(60, now::get);

        for (int i = 0; i < 60; i++) {
            assertThat(bucket.tryTake()).as("token %d", i + 1).isZero();
        }
        assertThat(bucket.tryTake()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        advance(400);
        assertThat(bucket.tryTake()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(600));
        advance(600);
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void aRefusalTakesNothing() {
        TokenBucket bucket = new TokenBucket(2, now::get);
        bucket.tryTake();
        bucket.tryTake();

        for (int i = 0; i < 10; i++) {
            assertThat(bucket.tryTake()).isEqualTo(TimeUnit.SECONDS.toNanos(30));
        }
        advance(30_000);
        assertThat(bucket.tryTake()).isZero();
    }

    @Test
    void anIdleBucketRefillsToItsCapacityAndNoFurther() {
        TokenBucket bucket = new TokenBucket(3, now::get);
        for (int i = 0; i < 3; i++) {
            bucket.tryTake();
        }
        advance(TimeUnit.HOURS.toMillis(5));

        assertThat(List.of(bucket.tryTake(), bucket.tryTake(), bucket.tryTake())).containsOnly(0L);
        assertThat(bucket.tryTake()).isEqualTo(TimeUnit.SECONDS.toNanos(20));
    }

    @Test
    void retryAfterIsTheWaitInWholeSecondsRoundedUp() {
        assertThat(TokenBucket.retryAfterSeconds(1)).isEqualTo(1);
        assertThat(TokenBucket.retryAfterSeconds(TimeUnit.SECONDS.toNanos(1))).isEqualTo(1);
        assertThat(TokenBucket.retryAfterSeconds(TimeUnit.SECONDS.toNanos(1) + 1)).isEqualTo(2);
        assertThat(TokenBucket.retryAfterSeconds(TimeUnit.MILLISECONDS.toNanos(29_001))).isEqualTo(30);
    }

    @Test
    void concurrentTakersGetExactlyTheTokensThereAre() throws Exception {
        TokenBucket bucket = new TokenBucket(1000, now::get);
        AtomicInteger taken = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Void>> takers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            takers.add(CompletableFuture.runAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < 500; i++) {
                    if (bucket.tryTake() == 0) {
                        taken.incrementAndGet();
                    }
                }
            }));
        }
        go.countDown();
        CompletableFuture.allOf(takers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertThat(taken.get()).isEqualTo(1000);
    }

    @Test
    void aRateBelowOneIsRefused() {
        assertThatThrownBy(() -> new TokenBucket(0, now::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
