package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A seconds-long run of every scenario, Detour in this JVM: the report's structure, never its timings. */
class ScenarioSmokeTest {

    @Test
    void everyScenarioWritesItsSeriesFiguresAndChart(@TempDir Path out) throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"all", "--in-process", "--rate", "100", "--duration", "1s", "--warmup", "500ms",
                "--steps", "1", "--soak", "1s", "--out", out.toString()}, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        assertThat(status).as(stderr.toString(StandardCharsets.UTF_8)).isZero();
        String markdown = stdout.toString(StandardCharsets.UTF_8);
        assertThat(Files.readString(out.resolve("report.md"))).isEqualTo(markdown);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("[overhead: direct]", "[soak]", "sent");

        JsonNode json = Report.MAPPER.readTree(out.resolve("report.json").toFile());
        assertThat(json.has("machine") && json.has("settings") && json.has("generated_at")).isTrue();
        List<String> names = new ArrayList<>();
        json.get("scenarios").forEach(s -> names.add(s.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(Options.ALL);
        for (JsonNode scenario : json.get("scenarios")) {
            String name = scenario.get("name").asText();
            assertThat(markdown).contains("## " + name);
            assertThat(scenario.get("series").size()).as(name).isGreaterThanOrEqualTo(name.equals("soak") ? 1 : 2);
            for (JsonNode series : scenario.get("series")) {
                for (String key : List.of("name", "metric", "offered_rps", "achieved_rps", "sent", "ok", "errors", "lag_ms",
                        "distribution")) {
                    assertThat(series.has(key)).as(name + " " + series.path("name") + " " + key).isTrue();
                }
                for (String p : List.of("p50", "p90", "p99", "p99.9", "max")) {
                    assertThat(series.get("latency_ms").has(p)).as(name + " " + p).isTrue();
                }
            }
            Path chart = out.resolve(scenario.get("chart").asText());
            assertThat(chart).exists();
            assertThat(ReportTest.parse(Files.readString(chart)).getDocumentElement().getNodeName()).isEqualTo("svg");
        }
        assertThat(figures(json, "overhead")).contains("added_p50_ms", "added_p99_ms", "added_p99.9_ms", "added_max_ms");
        assertThat(figures(json, "hedging")).contains("no_hedge_p99.9_ms", "hedge_p99.9_ms", "extra_calls_hedge_pct");
        assertThat(figures(json, "outage")).contains("client_errors", "breaker_open_after_ms", "p99_breaker_open_ms",
                "p99_secondary_alone_ms");
        assertThat(figures(json, "streaming")).contains("added_ttft_p99_ms", "added_gap_p99_ms");
        assertThat(figures(json, "max-rate")).contains("max_rate_direct", "max_rate_detour");
        assertThat(figures(json, "soak")).contains("old_gen_after_gc_start_mb", "old_gen_after_gc_end_mb", "open_files_start",
                "open_files_end");
        assertThat(markdown).contains("| added over direct | p50 ms | p90 ms | p99 ms | p99.9 ms |", "| detour |");
        assertThat(figures(json, "library")).contains("healthy_detour_added_p50_us", "healthy_resilience4j_added_bytes_per_call",
                "healthy_reactor_added_p90_us", "healthy_detour_to_resilience4j_bytes_per_call", "down_detour_added_p50_us",
                "down_detour_to_resilience4j_p50");
        assertThat(figures(json, "tracing")).contains("off_bytes_per_request", "ratio_1.0_added_p50_ms",
                "ratio_1.0_added_bytes_per_request", "ratio_0.1_added_p99_ms");
        assertThat(figures(json, "fleet")).contains("redis_added_p99_ms", "down_failed_calls_per_instance_breakers",
                "down_failed_calls_shared_breakers");
    }

    @Test
    void aBadCommandLineSaysWhatIsWrong() {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"nosuch"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("unknown scenario 'nosuch'", "usage:");
    }

    private static List<String> figures(JsonNode json, String scenario) {
        List<String> keys = new ArrayList<>();
        for (JsonNode s : json.get("scenarios")) {
            if (s.get("name").asText().equals(scenario)) {
                s.get("figures").fieldNames().forEachRemaining(keys::add);
            }
        }
        return keys;
    }
}
