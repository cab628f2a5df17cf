package dev.detour.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HedgePolicyTest {

    private static final long MS = 1_000_000;

    @Test
    void aFixedDelayIgnoresLatency() {
        LatencyWindow window = new LatencyWindow(10);
        window.record(5 * MS);
        assertThat(HedgePolicy.after(Duration.ofMillis(40)).delay(window)).isEqualTo(Duration.ofMillis(40));
    }

    @Test
    void anAdaptiveDelayUsesItsInitialDelayUntilEnoughSamplesThenThePercentileAboveTheFloor() {
        HedgePolicy policy = HedgePolicy.atPercentile(0.9).untilSamples(10, Duration.ofMillis(500)).floor(Duration.ofMillis(3));
        LatencyWindow window = new LatencyWindow(100);
        for (int i = 1; i <= 9; i++) {
            window.record(i * MS);
        }
        assertThat(policy.delay(window)).isEqualTo(Duration.ofMillis(500));
        window.record(10 * MS);
        assertThat(policy.delay(window)).isEqualTo(Duration.ofMillis(9));

        LatencyWindow fast = new LatencyWindow(100);
        for (int i = 0; i < 10; i++) {
            fast.record(MS);
        }
        assertThat(policy.delay(fast)).isEqualTo(Duration.ofMillis(3));
    }

    @Test
    void theWindowForgetsOldLatencies() {
        LatencyWindow window = new LatencyWindow(16);
        for (int i = 0; i < 16; i++) {
            window.record(100 * MS);
        }
        assertThat(window.percentile(0.5, 1)).isEqualTo(100 * MS);
        for (int i = 0; i < 16; i++) {
            window.record(7 * MS);
        }
        assertThat(window.percentile(0.5, 1)).isEqualTo(7 * MS);
        assertThat(window.count()).isEqualTo(16);
    }

    @Test
    void badValuesAreRefused() {
        assertThatThrownBy(() -> HedgePolicy.after(Duration.ZERO)).hasMessage("hedge delay must be positive, was PT0S");
        assertThatThrownBy(() -> HedgePolicy.atPercentile(1.0)).hasMessage("hedge percentile must be between 0 and 1, was 1.0");
        assertThatThrownBy(() -> HedgePolicy.after(Duration.ofMillis(1)).maxHedges(0)).hasMessage("maxHedges must be at least 1, was 0");
    }

    @Test
    void theBuilderNeedsExactlyOneDelayAndAFloorOnlyForPercentiles() {
        HedgePolicy adaptive = HedgePolicy.builder().percentile(0.95).build();
        assertThat(adaptive.adaptive()).isTrue();
        assertThat(adaptive.floor()).isEqualTo(Duration.ofMillis(1));
        assertThat(adaptive.maxHedges()).isEqualTo(1);
        assertThat(HedgePolicy.builder().after(Duration.ofMillis(300)).maxHedges(2).build().floor()).isEqualTo(Duration.ZERO);
        assertThat(HedgePolicy.atPercentile(0.9).maxHedges(2).percentile()).isEqualTo(0.9);
        assertThatThrownBy(() -> HedgePolicy.builder().maxHedges(2).build())
                .hasMessage("give one of after (a fixed delay, e.g. 300ms) or percentile (an adaptive delay, e.g. 0.95)");
        assertThatThrownBy(() -> HedgePolicy.builder().after(Duration.ofMillis(300)).percentile(0.95).build())
                .hasMessage("give only one of after (a fixed delay) and percentile (an adaptive delay)");
        assertThatThrownBy(() -> HedgePolicy.builder().after(Duration.ofMillis(300)).floor(Duration.ofMillis(10)).build())
                .hasMessage("floor applies only to a percentile hedge; a fixed delay has no floor");
    }
}
