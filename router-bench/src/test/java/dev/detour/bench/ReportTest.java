package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** Histogram → report → JSON → report: the same figures; the chart is well-formed SVG. */
class ReportTest {

    static Phase phaseWith(long... micros) {
        Phase phase = new Phase("routed", true, 0);
        for (long value : micros) {
            phase.sent(1_000);
            phase.ok(value * 1000, value * 1000);
        }
        phase.error("status 503");
        phase.error("status 503");
        phase.error("timeout");
        phase.end(2_000_000_000L);
        phase.freeze();
        return phase;
    }

    static Report report() {
        long[] values = new long[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1000 + i;   // 1.000 … 10.999 ms
        }
        values[values.length - 1] = 2_000_000;   // one 2 s straggler
        Phase phase = phaseWith(values);
        Report.Series series = Report.Series.of("routed", "latency", 5000, phase);
        Report.Scenario scenario = new Report.Scenario("overhead", "test", List.of(series),
                Map.of("added_p99_ms", 0.25), List.of("a note"), "overhead.svg");
        return new Report("2025-01-01T00:00:00Z", Map.of("cores", "2"), Map.of("rate", "5000/s"), List.of(scenario));
    }

    @Test
    void theSeriesHoldsTheHistogramsFigures() {
        Report.Series series = report().scenarios().get(0).series().get(0);
        assertThat(series.sent()).isEqualTo(10_000);
        assertThat(series.ok()).isEqualTo(10_000);
        assertThat(series.sentRps()).isEqualTo(5000.0);
        assertThat(series.errors()).containsExactly(Map.entry("status 503", 2L), Map.entry("timeout", 1L));
        assertThat(series.ms("p50")).isBetween(5.99, 6.01);
        assertThat(series.ms("p99")).isBetween(10.89, 10.91);
        assertThat(series.ms("max")).isBetween(1999.0, 2001.0);
        assertThat(series.latencyMs()).containsKeys("p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "count");
        assertThat(series.distribution().get(0).get(0)).isEqualTo(0.0);
        assertThat(series.distribution().get(series.distribution().size() - 1).get(1)).isEqualTo(series.ms("max"));
    }

    @Test
    void aReportSurvivesAJsonRoundTrip() throws Exception {
        Report report = report();
        String json = report.toJson();
        Report back = Report.fromJson(json);
        assertThat(back).isEqualTo(report);
        assertThat(Report.MAPPER.readTree(json).at("/scenarios/0/series/0/latency_ms/p99").asDouble())
                .isEqualTo(report.scenarios().get(0).series().get(0).ms("p99"));
        assertThat(back.toMarkdown()).isEqualTo(report.toMarkdown()).contains("| routed | 5000 | 5000 | 10000 | 2 status 503, 1 timeout |");
    }

    @Test
    void theChartIsWellFormedSvgWithOneLinePerSeries() throws Exception {
        String svg = SvgChart.render(report().scenarios().get(0));
        Document document = parse(svg);
        assertThat(document.getDocumentElement().getNodeName()).isEqualTo("svg");
        assertThat(document.getElementsByTagName("polyline").getLength()).isEqualTo(1);
        assertThat(svg).contains(">percentile<", ">99.9<", ">99.99<", "latency (ms, log scale)", ">routed<");
    }

    static Document parse(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }
}
