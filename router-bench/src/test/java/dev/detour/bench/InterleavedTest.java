package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Series take turns A B C A B C with the same arrivals per turn, and each series' turns add up. */
class InterleavedTest {

    private static final Peer A = new Peer("direct", "http://a", Map.of());
    private static final Peer B = new Peer("detour", "http://b", Map.of());
    private static final Peer C = new Peer("nginx", "http://c", Map.of("x-config", "1"));

    @Test
    void turnsGoRoundByRoundAndOnlyTheFirstHasAWarmUp() {
        List<Interleaved.Turn> turns = Interleaved.turns(List.of(A, B, C), Duration.ofSeconds(3), Duration.ofSeconds(20),
                Duration.ofSeconds(6));

        assertThat(turns).extracting(t -> t.peer().name())
                .containsExactly("direct", "detour", "nginx", "direct", "detour", "nginx", "direct", "detour", "nginx",
                        "direct", "detour", "nginx");
        assertThat(turns).extracting(Interleaved.Turn::duration).containsOnly(Duration.ofSeconds(5));
        assertThat(turns).extracting(Interleaved.Turn::warmup)
                .containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3),
                        Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO,
                        Duration.ZERO, Duration.ZERO, Duration.ZERO);
        assertThat(Interleaved.turns(List.of(A), Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(5)))
                .as("a series shorter than a turn is one turn").hasSize(1);
    }

    @Test
    void eachTurnGetsTheSameArrivalsAndTheSeriesMergesItsTurns() {
        List<String> urls = new ArrayList<>();
        List<List<Long>> schedules = new ArrayList<>();
        List<Map<String, String>> headers = new ArrayList<>();
        Interleaved.Runner runner = (plan, control) -> {
            urls.add(plan.target().url());
            headers.add(plan.target().headers());
            List<Long> offsets = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                offsets.add(plan.arrivals().next());
            }
            schedules.add(offsets);
            Run run = new Run(plan, 0);
            long micros = plan.target().url().startsWith("http://c/") ? 2_000 : 1_000;
            for (int i = 0; i < 100; i++) {
                run.first().sent(0);
                run.first().ok(micros * 1000, micros * 1000);
            }
            run.first().error("status 503");
            run.finish();
            return run;
        };
        Interleaved interleaved = new Interleaved(runner, rate -> Arrivals.poisson(rate, 7), Map.of(), null);

        List<Interleaved.Result> results = interleaved.run("overhead", List.of(A, B, C), false, 500, Duration.ofMillis(100),
                Duration.ofSeconds(3), Duration.ofSeconds(1));

        assertThat(urls).containsExactly("http://a/v1/chat/completions", "http://b/v1/chat/completions",
                "http://c/v1/chat/completions", "http://a/v1/chat/completions", "http://b/v1/chat/completions",
                "http://c/v1/chat/completions", "http://a/v1/chat/completions", "http://b/v1/chat/completions",
                "http://c/v1/chat/completions");
        assertThat(schedules).as("the same schedule every turn").containsOnly(schedules.get(0));
        assertThat(schedules.get(0).get(4)).isPositive();
        assertThat(headers.get(2)).containsEntry("x-config", "1");
        assertThat(headers.get(1)).isEmpty();
        assertThat(results).extracting(r -> r.peer().name()).containsExactly("direct", "detour", "nginx");
        Phase nginx = results.get(2).phase();
        assertThat(nginx.sent()).isEqualTo(300);
        assertThat(nginx.ok()).isEqualTo(300);
        assertThat(nginx.errors()).containsExactly(Map.entry("status 503", 3L));
        assertThat(nginx.latency().getTotalCount()).isEqualTo(300);
        assertThat(nginx.latency().getValueAtPercentile(50)).isBetween(1_999L, 2_001L);
        assertThat(nginx.seconds()).isEqualTo(3.0);
        assertThat(results.get(0).phase().latency().getMaxValue()).isBetween(999L, 1_001L);
    }
}
