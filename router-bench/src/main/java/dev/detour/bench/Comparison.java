package dev.detour.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Peers side by side on one figure: each target's value per column (e.g. the latency it adds over
 * direct at p50 … p99.9, or the highest rate it held) and its ratio to the reference target's. A
 * ratio is n/a when the reference's value is not positive (an added latency inside the noise can be
 * negative, and a ratio to it means nothing).
 *
 * @param title     what is compared, e.g. {@code added over direct (latency)}
 * @param unit      the values' unit, e.g. {@code ms}
 * @param reference the target the ratios divide by, or null for none
 * @param columns   the columns, e.g. {@code p50}
 * @param rows      one per target, in order
 */
public record Comparison(String title, String unit, String reference, List<String> columns, List<Row> rows) {

    /** The percentiles an added-latency comparison shows. */
    static final List<String> PERCENTILES = List.of("p50", "p90", "p99", "p99.9");

    /**
     * One target's values.
     *
     * @param target the target's name
     * @param values by column
     * @param ratios by column: value over the reference's value (NaN when there is none)
     */
    public record Row(String target, Map<String, Double> values, Map<String, Double> ratios) {
    }

    /** The latency each of {@code targets} adds over {@code direct} at {@link #PERCENTILES}. */
    static Comparison added(String title, Report.Series direct, List<Report.Series> targets, List<String> names,
                            String reference) {
        Map<String, Map<String, Double>> values = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            Map<String, Double> added = new LinkedHashMap<>();
            for (String p : PERCENTILES) {
                added.put(p, Report.round(targets.get(i).ms(p) - direct.ms(p)));
            }
            values.put(names.get(i), added);
        }
        return of(title, "ms", reference, PERCENTILES, values);
    }

    /** {@code values} by target and column, with ratios to {@code reference}'s. */
    static Comparison of(String title, String unit, String reference, List<String> columns,
                         Map<String, Map<String, Double>> values) {
        Map<String, Double> base = reference == null ? null : values.get(reference);
        List<Row> rows = new ArrayList<>();
        values.forEach((target, row) -> {
            Map<String, Double> ratios = new LinkedHashMap<>();
            for (String column : columns) {
                Double denominator = base == null ? null : base.get(column);
                ratios.put(column, denominator == null || !(denominator > 0) ? Double.NaN
                        : Report.round(row.get(column) / denominator));
            }
            rows.add(new Row(target, row, ratios));
        });
        return new Comparison(title, unit, base == null ? null : reference, List.copyOf(columns), rows);
    }

    /** The comparison as a Markdown table: values, then ratios to the reference. */
    String toMarkdown() {
        StringBuilder md = new StringBuilder("| ").append(title).append(" |");
        StringBuilder rule = new StringBuilder("|---|");
        for (String column : columns) {
            md.append(' ').append(column).append(' ').append(unit).append(" |");
            rule.append("---:|");
        }
        if (reference != null) {
            for (String column : columns) {
                md.append(' ').append(column).append(" ×").append(reference).append(" |");
                rule.append("---:|");
            }
        }
        md.append('\n').append(rule).append('\n');
        for (Row row : rows) {
            md.append("| ").append(row.target()).append(" |");
            columns.forEach(c -> md.append(' ').append(Report.number(row.values().get(c))).append(" |"));
            if (reference != null) {
                columns.forEach(c -> md.append(' ').append(Report.number(row.ratios().get(c))).append(" |"));
            }
            md.append('\n');
        }
        return md.toString();
    }
}
