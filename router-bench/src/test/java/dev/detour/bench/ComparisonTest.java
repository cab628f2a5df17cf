package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Added latency over direct and its ratio to the reference, from series with known percentiles. */
class ComparisonTest {

    private static Report.Series series(String name, double p50, double p90, double p99, double p999) {
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put("p50", p50);
        ms.put("p90", p90);
        ms.put("p99", p99);
        ms.put("p99.9", p999);
        return new Report.Series(name, "latency", 500, 500, 500, 20, 10_000, 10_000, Map.of(), ms, Map.of(), Map.of(), List.of());
    }

    @Test
    void eachTargetsAddedLatencyIsDividedByTheReferences() {
        Report.Series direct = series("direct", 0.300, 0.500, 1.000, 4.000);
        Report.Series detour = series("detour", 0.450, 0.700, 1.600, 3.800);
        Report.Series nginx = series("nginx", 0.350, 0.600, 1.400, 4.100);

        Comparison comparison = Comparison.added("added over direct", direct, List.of(detour, nginx),
                List.of("detour", "nginx"), "nginx");

        Comparison.Row row = comparison.rows().get(0);
        assertThat(row.target()).isEqualTo("detour");
        assertThat(row.values()).containsExactly(Map.entry("p50", 0.15), Map.entry("p90", 0.2), Map.entry("p99", 0.6),
                Map.entry("p99.9", -0.2));
        assertThat(row.ratios().get("p50")).isEqualTo(3.0);
        assertThat(row.ratios().get("p90")).isEqualTo(2.0);
        assertThat(row.ratios().get("p99")).isEqualTo(1.5);
        assertThat(row.ratios().get("p99.9")).isEqualTo(-2.0);
        assertThat(comparison.rows().get(1).ratios()).containsEntry("p50", 1.0);
        assertThat(comparison.toMarkdown())
                .contains("| added over direct | p50 ms | p90 ms | p99 ms | p99.9 ms | p50 ×nginx |")
                .contains("| detour | 0.150 | 0.200 | 0.600 | -0.200 | 3 | 2 | 1.500 | -2 |");
    }

    @Test
    void aReferenceThatAddsNothingGivesNoRatio() {
        Report.Series direct = series("direct", 0.300, 0.500, 1.000, 4.000);
        Comparison comparison = Comparison.added("added", direct, List.of(series("detour", 0.4, 0.6, 1.2, 4.2),
                series("nginx", 0.3, 0.4, 1.0, 5.0)), List.of("detour", "nginx"), "nginx");

        Map<String, Double> ratios = comparison.rows().get(0).ratios();
        assertThat(ratios.get("p50")).as("nginx adds 0 at p50").isNaN();
        assertThat(ratios.get("p90")).as("nginx adds -0.1 at p90").isNaN();
        assertThat(ratios.get("p99.9")).isEqualTo(0.2);
        assertThat(comparison.toMarkdown()).contains("| n/a | n/a | n/a | 0.200 |");
    }

    @Test
    void withoutAReferenceThereAreNoRatioColumns() {
        Comparison comparison = Comparison.of("highest rate held", "/s", null, List.of("max rate"),
                Map.of("detour", Map.of("max rate", 3051.8)));

        assertThat(comparison.reference()).isNull();
        assertThat(comparison.toMarkdown()).isEqualTo("| highest rate held | max rate /s |\n|---|---:|\n| detour | 3051.8 |\n");
    }
}
