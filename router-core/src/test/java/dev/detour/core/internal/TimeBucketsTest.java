package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimeBucketsTest {

    private static final long SECOND = 1_000_000_000L;

    private final TimeBuckets window = new TimeBuckets(Duration.ofSeconds(10), 2);
    private final long[] totals = new long[2];

    private long[] totals(long nowNanos) {
        window.totals(nowNanos, totals);
        return totals.clone();
    }

    @Test
    void countsWithinTheWindowAndForgetsWhatLeftIt() {
        window.count(0, 0);
        window.count(0, 1);
        window.count(5 * SECOND, 0);
        assertThat(totals(9 * SECOND)).containsExactly(2, 1);
        assertThat(totals(10 * SECOND)).as("the bucket of 0 s has left").containsExactly(1, 0);
        assertThat(totals(15 * SECOND)).containsExactly(0, 0);
    }

    @Test
    void aReusedBucketStartsAtZero() {
        window.count(SECOND, 0);
        window.count(11 * SECOND, 0);
        assertThat(totals(11 * SECOND)).containsExactly(1, 0);
    }

    @Test
    void timesAWindowOlderThanTheLatestAreNotCounted() {
        window.count(20 * SECOND, 0);
        window.count(5 * SECOND, 0);
        assertThat(window.bucket(10 * SECOND)).isEqualTo(-1);
        window.count(11 * SECOND, 1);
        assertThat(totals(0)).as("totals end at the latest time counted").containsExactly(1, 1);
    }

    @Test
    void negativeTimesAndClearing() {
        window.count(-SECOND, 0);
        window.count(-SECOND / 2, 1);
        assertThat(totals(0)).containsExactly(1, 1);
        window.clear();
        assertThat(totals(0)).containsExactly(0, 0);
        window.count(-100 * SECOND, 0);
        assertThat(totals(-100 * SECOND)).as("cleared, nothing is too old").containsExactly(1, 0);
    }
}
