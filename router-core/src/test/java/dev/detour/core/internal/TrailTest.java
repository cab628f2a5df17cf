package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Attempt;
import dev.detour.core.Failure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TrailTest {

    private static Attempt attempt(String provider, Failure failure) {
        return new Attempt(provider, 0, 1, Duration.ZERO, Duration.ZERO,
                failure == null ? Attempt.Result.SUCCESS : Attempt.Result.FAILURE, failure, null);
    }

    private static Verdict<String> rejected(String value, double score) {
        return new Verdict<>("p", 0, 1, 0, 0, false, value, Failure.invalid("no"), score, 1);
    }

    @Test
    void numbersEachProvidersAttemptsFromOne() {
        Trail<String> trail = new Trail<>(Integer.MAX_VALUE, Double.POSITIVE_INFINITY);
        assertThat(trail.number("a")).isEqualTo(1);
        assertThat(trail.number("b")).isEqualTo(1);
        assertThat(trail.number("a")).isEqualTo(2);
    }

    @Test
    void namesTheCeilingACallWouldPass() {
        Trail<String> trail = new Trail<>(2, 1.0);
        assertThat(trail.ceiling(0.5)).isNull();
        trail.charge(1, 0.5);
        assertThat(trail.ceiling(0.5)).isNull();
        assertThat(trail.ceiling(0.6)).isEqualTo("cost ceiling 1.0 (spent 0.5)");
        trail.charge(0, 0.1);
        assertThat(trail.ceiling(0.5)).isEqualTo("cost ceiling 1.0 (spent 0.6)");
        trail.charge(1, 0);
        assertThat(trail.ceiling(0)).isEqualTo("attempt ceiling 2");
    }

    @Test
    void keepsTheHighestScoredRejectedAnswerElseTheLatest() {
        Trail<String> trail = new Trail<>(Integer.MAX_VALUE, Double.POSITIVE_INFINITY);
        Verdict<String> first = rejected("first", Double.NaN);
        Verdict<String> second = rejected("second", Double.NaN);
        Verdict<String> scored = rejected("scored", 0.4);
        Verdict<String> lower = rejected("lower", 0.3);
        Verdict<String> higher = rejected("higher", 0.4);

        assertThat(trail.keep(first)).isNull();
        assertThat(trail.keep(second)).isSameAs(first);
        assertThat(trail.keep(scored)).isSameAs(second);
        assertThat(trail.keep(rejected("unscored", Double.NaN))).extracting(Verdict::value).isEqualTo("unscored");
        assertThat(trail.keep(lower)).isSameAs(lower);
        assertThat(trail.keep(higher)).isSameAs(scored);
        assertThat(trail.best()).isSameAs(higher);
    }

    @Test
    void endsOnce() {
        Trail<String> trail = new Trail<>(Integer.MAX_VALUE, Double.POSITIVE_INFINITY);
        trail.add(attempt("a", null));
        List<Attempt> ended = trail.end();
        assertThat(ended).extracting(Attempt::provider).containsExactly("a");
        assertThat(trail.end()).isNull();
        assertThat(trail.attempts()).isEqualTo(ended);
    }

    @Test
    void findsTheFirstProviderThatHasNotRefusedTheContext() {
        Trail<String> trail = new Trail<>(Integer.MAX_VALUE, Double.POSITIVE_INFINITY);
        trail.add(attempt("b", Failure.contextWindow(400, "too long")));
        trail.add(attempt("c", Failure.status(503, null, "busy")));
        List<String> names = List.of("a", "b", "c");
        int[] order = {1, 2, 0};
        assertThat(trail.notRefused(order, 0, names::get)).isEqualTo(1);
        assertThat(trail.notRefused(new int[] {1}, 0, names::get)).isEqualTo(1);
        assertThat(trail.notRefused(order, 3, names::get)).isEqualTo(3);
    }

    @Test
    void keepsEveryAttemptAndCallFromManyThreads() throws InterruptedException {
        Trail<String> trail = new Trail<>(4000, 4000.5);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch done = new CountDownLatch(4);
        for (int t = 0; t < 4; t++) {
            pool.execute(() -> {
                for (int i = 0; i < 1000; i++) {
                    trail.number("a");
                    trail.charge(1, 1);
                    trail.add(attempt("a", null));
                    trail.keep(rejected("r", Math.random()));
                }
                done.countDown();
            });
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        pool.shutdown();
        assertThat(trail.attempts()).hasSize(4000);
        assertThat(trail.number("a")).isEqualTo(4001);
        assertThat(trail.ceiling(0)).isEqualTo("attempt ceiling 4000");
    }
}
