package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The soak's verdict from its samples, and the /proc figures it reads. */
class SoakTest {

    private static List<Soak.Sample> samples(long oldGenStartMb, long oldGenStepKb, long filesStart, long filesStep) {
        List<Soak.Sample> samples = new ArrayList<>();
        for (int i = 0; i <= 10; i++) {
            samples.add(new Soak.Sample(i * 60, (oldGenStartMb << 20) + i * oldGenStepKb * 1024, 40L << 20,
                    filesStart + i * filesStep, 180L << 20));
        }
        return samples;
    }

    @Test
    void flatMemoryAndDescriptorsPass() {
        assertThat(Soak.check(samples(20, 100, 40, 1))).isEmpty();
    }

    @Test
    void steadyGrowthPastTheBoundsFails() {
        assertThat(Soak.check(samples(20, 1500, 40, 20)))
                .containsExactly("the old generation after GC grew by 11.7 MB (bound 8 MB)",
                        "open file descriptors grew by 160 (bound 64)");
    }

    @Test
    void oneSampleCaughtInABurstDecidesNothing() {
        List<Soak.Sample> samples = samples(20, 0, 40, 0);
        samples.set(samples.size() - 1, new Soak.Sample(600, 60L << 20, 80L << 20, 400, 180L << 20));
        assertThat(Soak.check(samples)).isEmpty();
    }

    @Test
    void procFiguresAreReadPastACommandNameWithSpacesAndParentheses() {
        String stat = "4242 (java (my app)) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 30 0 100 0 0";
        assertThat(ProcessStats.cpuTicks(stat)).isEqualTo(1234 + 567);
        assertThat(ProcessStats.rssKb("Name:\tjava\nVmPeak:\t 999 kB\nVmRSS:\t  183456 kB\nThreads:\t30\n")).isEqualTo(183456);
        assertThat(ProcessStats.rssKb("Name:\tzombie\n")).isZero();
        if (ProcessStats.available()) {
            ProcessStats self = ProcessStats.self();
            assertThat(self.cpuSeconds()).isPositive();
            assertThat(self.rssBytes()).isGreaterThan(1L << 20);
            assertThat(self.openFiles()).isPositive();
        }
    }
}
