package dev.detour.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A benchmark's results: every figure of every scenario, written as JSON ({@link #toJson()}) and as
 * Markdown tables ({@link #toMarkdown()}). Latencies are in milliseconds.
 *
 * @param generatedAt when the run ended (ISO-8601)
 * @param machine     the machine and JVM it ran on
 * @param settings    the command line's settings
 * @param scenarios   the scenarios, in the order run
 */
public record Report(String generatedAt, Map<String, String> machine, Map<String, String> settings, List<Scenario> scenarios) {

    /** The JSON mapper for reports: snake_case keys, indented; a figure that could not be measured is {@code NaN}. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The percentiles every series reports, by key. */
    public static final Map<String, Double> PERCENTILES = percentiles();

    private static Map<String, Double> percentiles() {
        Map<String, Double> p = new LinkedHashMap<>();
        p.put("p50", 50.0);
        p.put("p90", 90.0);
        p.put("p99", 99.0);
        p.put("p99.9", 99.9);
        p.put("p99.99", 99.99);
        return p;
    }

    /**
     * One scenario's results.
     *
     * @param name        the scenario's name, e.g. {@code overhead}
     * @param description what it measures
     * @param series      one per line of its chart
     * @param figures     the scenario's own figures, e.g. {@code added_p99_ms}
     * @param notes       anything a reader needs to judge the figures
     * @param chart       the SVG chart's file name
     * @param comparisons peers side by side (added latency over direct, ratios to a reference)
     * @param failures    bounds the run exceeded (the benchmark then exits with status 3)
     */
    public record Scenario(String name, String description, List<Series> series, Map<String, Double> figures,
                           List<String> notes, String chart, List<Comparison> comparisons, List<String> failures) {

        public Scenario {
            comparisons = comparisons == null ? List.of() : List.copyOf(comparisons);
            failures = failures == null ? List.of() : List.copyOf(failures);
        }

        /** A scenario without comparisons or failures. */
        public Scenario(String name, String description, List<Series> series, Map<String, Double> figures,
                        List<String> notes, String chart) {
            this(name, description, series, figures, notes, chart, List.of(), List.of());
        }
    }

    /**
     * One measured series: a phase of a run, for one metric.
     *
     * @param name         e.g. {@code direct}, {@code routed}, {@code routed ttft}
     * @param metric       {@code latency}, {@code ttft} or {@code gap}
     * @param offeredRps   the offered rate
     * @param sentRps      requests sent per second of the phase
     * @param achievedRps  successful answers per second of the phase
     * @param seconds      the phase's scheduled length
     * @param sent         requests sent
     * @param ok           successful answers
     * @param errors       failures by kind
     * @param latencyMs    p50 … p99.99, max, mean and count of the metric, in ms
     * @param serviceMs    the same percentiles measured from the actual send (what coordinated omission would report)
     * @param lagMs        how late the generator fired requests: p99 and max
     * @param distribution [percentile, ms] points for the chart
     * @param resources    what the processes used over the series, e.g. {@code router_cpu_pct} (% of one core),
     *                     {@code router_rss_mb}, {@code router_heap_after_gc_mb}
     */
    public record Series(String name, String metric, double offeredRps, double sentRps, double achievedRps, double seconds,
                         long sent, long ok, Map<String, Long> errors, Map<String, Double> latencyMs,
                         Map<String, Double> serviceMs, Map<String, Double> lagMs, List<List<Double>> distribution,
                         Map<String, Double> resources) {

        public Series {
            resources = resources == null ? Map.of() : resources;
        }

        /** A series without resource figures. */
        public Series(String name, String metric, double offeredRps, double sentRps, double achievedRps, double seconds,
                      long sent, long ok, Map<String, Long> errors, Map<String, Double> latencyMs,
                      Map<String, Double> serviceMs, Map<String, Double> lagMs, List<List<Double>> distribution) {
            this(name, metric, offeredRps, sentRps, achievedRps, seconds, sent, ok, errors, latencyMs, serviceMs, lagMs,
                    distribution, Map.of());
        }

        /** This series with {@code resources}. */
        public Series withResources(Map<String, Double> resources) {
            return new Series(name, metric, offeredRps, sentRps, achievedRps, seconds, sent, ok, errors, latencyMs, serviceMs,
                    lagMs, distribution, resources);
        }

        /** The series of {@code metric} ({@code latency}, {@code ttft}, {@code gap}) in {@code phase}. */
        public static Series of(String name, String metric, double offeredRps, Phase phase) {
            Histogram histogram = switch (metric) {
                case "latency" -> phase.latency();
                case "ttft" -> phase.ttft();
                case "gap" -> phase.gap();
                default -> throw new IllegalArgumentException("unknown metric " + metric);
            };
            double seconds = phase.seconds();
            return new Series(name, metric, offeredRps, round(phase.sent() / seconds), round(phase.ok() / seconds),
                    round(seconds), phase.sent(), phase.ok(), phase.errors(), summary(histogram),
                    "latency".equals(metric) ? summary(phase.service()) : Map.of(),
                    lag(phase.lag()), Report.distribution(histogram));
        }

        /** The value at {@code key} of {@link #latencyMs()}, e.g. {@code p99}; NaN when absent. */
        public double ms(String key) {
            Double value = latencyMs.get(key);
            return value == null ? Double.NaN : value;
        }
    }

    /** p50 … p99.99, max, mean and count of a histogram in µs, as ms. */
    public static Map<String, Double> summary(Histogram histogram) {
        Map<String, Double> summary = new LinkedHashMap<>();
        boolean empty = histogram.getTotalCount() == 0;
        PERCENTILES.forEach((key, p) -> summary.put(key, empty ? 0.0 : ms(histogram.getValueAtPercentile(p))));
        summary.put("max", empty ? 0.0 : ms(histogram.getMaxValue()));
        summary.put("mean", empty ? 0.0 : round(histogram.getMean() / 1000.0));
        summary.put("count", (double) histogram.getTotalCount());
        return summary;
    }

    private static Map<String, Double> lag(Histogram histogram) {
        Map<String, Double> lag = new LinkedHashMap<>();
        boolean empty = histogram.getTotalCount() == 0;
        lag.put("p99", empty ? 0.0 : ms(histogram.getValueAtPercentile(99)));
        lag.put("max", empty ? 0.0 : ms(histogram.getMaxValue()));
        return lag;
    }

    /**
     * The chart's points: the value at percentiles spaced evenly in {@code -log10(1 - p)} (0 = p0,
     * 1 = p90, 2 = p99 …) up to what the count resolves (at most p99.999), then the maximum.
     */
    public static List<List<Double>> distribution(Histogram histogram) {
        List<List<Double>> points = new ArrayList<>();
        long count = histogram.getTotalCount();
        if (count == 0) {
            return points;
        }
        double top = Math.min(5.0, Math.log10(count));
        for (int step = 0; step * 0.1 <= top + 1e-9; step++) {
            double p = 100.0 * (1 - Math.pow(10, -step * 0.1));
            points.add(List.of(round(p), ms(histogram.getValueAtPercentile(p))));
        }
        double pTop = round(100.0 * (1 - Math.pow(10, -top)));
        points.add(List.of(Math.max(pTop, points.get(points.size() - 1).get(0)), ms(histogram.getMaxValue())));
        return points;
    }

    static double ms(long micros) {
        return micros / 1000.0;
    }

    static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }

    /** The report as indented JSON. */
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the report as JSON", e);
        }
    }

    /** Reads a report written by {@link #toJson()}. */
    public static Report fromJson(String json) {
        try {
            return MAPPER.readValue(json, Report.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a benchmark report: " + e.getOriginalMessage(), e);
        }
    }

    /** The report as Markdown: per scenario, a table of its series and one of its figures. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder("# Detour benchmark\n\n");
        md.append(machine.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .reduce((a, b) -> a + "; " + b).orElse("")).append("\n\n");
        md.append(settings.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .reduce((a, b) -> a + ", " + b).orElse("")).append("\n");
        for (Scenario scenario : scenarios) {
            md.append("\n## ").append(scenario.name()).append("\n\n").append(scenario.description()).append("\n\n");
            md.append("| series | offered/s | achieved/s | answers | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n");
            md.append("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
            for (Series s : scenario.series()) {
                md.append("| ").append(s.name()).append(" | ").append(number(s.offeredRps())).append(" | ")
                        .append("latency".equals(s.metric()) ? number(s.achievedRps()) : "").append(" | ")
                        .append(s.latencyMs().getOrDefault("count", 0.0).longValue()).append(" | ")
                        .append("latency".equals(s.metric()) ? errors(s.errors()) : "").append(" | ")
                        .append(number(s.ms("p50"))).append(" | ").append(number(s.ms("p90"))).append(" | ")
                        .append(number(s.ms("p99"))).append(" | ").append(number(s.ms("p99.9"))).append(" | ")
                        .append(number(s.ms("max"))).append(" |\n");
            }
            for (Comparison comparison : scenario.comparisons()) {
                md.append('\n').append(comparison.toMarkdown());
            }
            resources(md, scenario.series());
            if (!scenario.figures().isEmpty()) {
                md.append("\n| figure | value |\n|---|---:|\n");
                scenario.figures().forEach((key, value) -> md.append("| ").append(key).append(" | ")
                        .append(number(value)).append(" |\n"));
            }
            for (String note : scenario.notes()) {
                md.append("\n- ").append(note);
            }
            if (!scenario.notes().isEmpty()) {
                md.append('\n');
            }
            for (String failure : scenario.failures()) {
                md.append("\n**FAILED:** ").append(failure).append('\n');
            }
            md.append("\nChart: `").append(scenario.chart()).append("`\n");
        }
        return md.toString();
    }

    /** A table of the series' resource figures (CPU % of one core, memory in MB), when any has some. */
    private static void resources(StringBuilder md, List<Series> series) {
        List<String> keys = series.stream().flatMap(s -> s.resources().keySet().stream()).distinct().toList();
        if (keys.isEmpty()) {
            return;
        }
        md.append("\n| series |");
        keys.forEach(key -> md.append(' ').append(key.replace('_', ' ')).append(" |"));
        md.append("\n|---|").append("---:|".repeat(keys.size())).append('\n');
        for (Series s : series) {
            if (!s.resources().isEmpty()) {
                md.append("| ").append(s.name()).append(" |");
                keys.forEach(key -> md.append(' ').append(number(s.resources().getOrDefault(key, Double.NaN))).append(" |"));
                md.append('\n');
            }
        }
    }

    private static String errors(Map<String, Long> errors) {
        if (errors.isEmpty()) {
            return "0";
        }
        StringBuilder text = new StringBuilder();
        errors.forEach((kind, count) -> text.append(text.length() == 0 ? "" : ", ").append(count).append(' ').append(kind));
        return text.toString();
    }

    static String number(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, Math.abs(value) >= 100 ? "%.1f" : "%.3f", value);
    }
}
