package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The schedule as a pure function: no clock, no timing. */
class ArrivalsTest {

    @Test
    void aFixedRateDueTimesAreExactlyIndexTimesInterval() {
        Arrivals arrivals = Arrivals.fixed(500);
        for (long i = 0; i < 100_000; i++) {
            assertThat(arrivals.next()).isEqualTo(i * 2_000_000L);
        }
    }

    @Test
    void aFixedRateThatDoesNotDivideASecondAccumulatesNoRoundingError() {
        Arrivals arrivals = Arrivals.fixed(3);
        long last = 0;
        for (long i = 0; i <= 3_000; i++) {
            last = arrivals.next();
            assertThat(Math.abs(last - i * 1e9 / 3)).isLessThanOrEqualTo(0.5);
        }
        assertThat(last).isEqualTo(1_000_000_000_000L);
    }

    @Test
    void poissonArrivalsHaveTheirMeanRateAndAreReproducibleFromTheSeed() {
        Arrivals arrivals = Arrivals.poisson(1000, 7);
        Arrivals again = Arrivals.poisson(1000, 7);
        long previous = -1;
        long n = 200_000;
        long last = 0;
        long gapsOverMean = 0;
        for (long i = 0; i < n; i++) {
            last = arrivals.next();
            assertThat(again.next()).isEqualTo(last);
            assertThat(last).isGreaterThanOrEqualTo(previous);
            if (previous >= 0 && last - previous > 1_000_000) {
                gapsOverMean++;
            }
            previous = last;
        }
        assertThat(arrivals.next()).isNotEqualTo(Arrivals.poisson(1000, 8).next() + 1);
        double rate = (n - 1) / (last / 1e9);
        assertThat(rate).isBetween(990.0, 1010.0);
        // exponential gaps: P(gap > mean) = 1/e
        assertThat(gapsOverMean / (double) (n - 1)).isBetween(Math.exp(-1) - 0.01, Math.exp(-1) + 0.01);
    }

    @Test
    void aRateMustBePositive() {
        assertThatThrownBy(() -> Arrivals.fixed(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Arrivals.poisson(-1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
