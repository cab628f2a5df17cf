package dev.detour.bench;

import java.util.List;
import java.util.Locale;

/**
 * A percentile-distribution chart drawn by hand as SVG: latency (log scale) by percentile, with the
 * percentiles spaced by {@code -log10(1 - p)} so that 90, 99, 99.9 and 99.99 are equally far apart;
 * one line per series, and a legend.
 */
public final class SvgChart {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final String[] X_LABELS = {"0", "90", "99", "99.9", "99.99", "99.999"};
    private static final int WIDTH = 820;
    private static final int HEIGHT = 480;
    private static final int LEFT = 80;
    private static final int RIGHT = 200;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private SvgChart() {
    }

    /** The chart of {@code scenario}'s series. */
    public static String render(Report.Scenario scenario) {
        List<Report.Series> series = scenario.series().stream().filter(s -> !s.distribution().isEmpty()).toList();
        double xMax = 4;
        double yLow = Double.MAX_VALUE;
        double yHigh = 0;
        for (Report.Series s : series) {
            for (List<Double> point : s.distribution()) {
                xMax = Math.max(xMax, Math.min(5, x(point.get(0))));
                if (point.get(1) > 0) {
                    yLow = Math.min(yLow, point.get(1));
                }
                yHigh = Math.max(yHigh, point.get(1));
            }
        }
        xMax = Math.ceil(xMax);
        if (yHigh <= 0) {
            yLow = 0.01;
            yHigh = 1;
        }
        double decadeLow = Math.floor(Math.log10(Math.max(yLow, 0.001)));
        double decadeHigh = Math.max(decadeLow + 1, Math.ceil(Math.log10(yHigh)));
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;

        StringBuilder svg = new StringBuilder();
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                LEFT, escape(scenario.name() + ": latency by percentile")));
        for (int i = 0; i <= (int) xMax; i++) {
            double px = LEFT + plotWidth * i / xMax;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
                    px, TOP, px, TOP + plotHeight));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    px, TOP + plotHeight + 18, X_LABELS[i]));
        }
        double x50 = LEFT + plotWidth * x(50) / xMax;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n",
                x50, TOP, x50, TOP + plotHeight));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">50</text>\n",
                x50, TOP + plotHeight + 18));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n",
                LEFT + plotWidth / 2, HEIGHT - 15));
        for (int d = (int) decadeLow; d <= (int) decadeHigh; d++) {
            double py = y(Math.pow(10, d), decadeLow, decadeHigh, plotHeight);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    LEFT, py, LEFT + plotWidth, py));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    LEFT - 6, py + 4, Report.number(Math.pow(10, d))));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 18 %d)\">latency (ms, log scale)</text>\n", TOP + plotHeight / 2, TOP + plotHeight / 2));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n",
                LEFT, TOP, plotWidth, plotHeight));
        for (int i = 0; i < series.size(); i++) {
            Report.Series s = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder points = new StringBuilder();
            for (List<Double> point : s.distribution()) {
                double px = LEFT + plotWidth * Math.min(x(point.get(0)), xMax) / xMax;
                double py = y(Math.max(point.get(1), Math.pow(10, decadeLow)), decadeLow, decadeHigh, plotHeight);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n",
                    colour, points.toString().trim()));
            int ly = TOP + 10 + i * 20;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                    LEFT + plotWidth + 12, ly, LEFT + plotWidth + 32, ly, colour));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n",
                    LEFT + plotWidth + 38, ly + 4, escape(s.name())));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** The x position of percentile {@code p} (0–100): {@code -log10(1 - p / 100)}. */
    static double x(double p) {
        return p >= 100 ? 5 : -Math.log10(1 - p / 100.0);
    }

    private static double y(double ms, double decadeLow, double decadeHigh, int plotHeight) {
        double fraction = (Math.log10(ms) - decadeLow) / (decadeHigh - decadeLow);
        return TOP + plotHeight * (1 - fraction);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
