package dev.detour.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The command line: {@code [scenario …] [--rate R] [--duration D] [--warmup W] [--out DIR]
 * [--target URL] [--direct URL] [--poisson] [--seed N] [--steps N] [--connections N] [--timeout D]}.
 *
 * @param scenarios   the scenarios to run, in order
 * @param rate        requests per second offered
 * @param duration    how long each series is measured
 * @param warmup      how long each series runs before measuring
 * @param out         where the report, JSON and charts go
 * @param target      an external router's base URL to measure instead of the in-process one, or null
 * @param direct      an external provider's base URL to compare against, or null
 * @param poisson     Poisson arrivals instead of a fixed rate
 * @param seed        the seed of Poisson arrivals and of the simulator
 * @param steps       the most rate steps of {@code max-rate}
 * @param connections the generator's connection pool size
 * @param timeout     each request's timeout
 */
public record Options(List<String> scenarios, double rate, Duration duration, Duration warmup, Path out, String target,
                      String direct, boolean poisson, long seed, int steps, int connections, Duration timeout) {

    /** Every scenario, in the order they run. */
    public static final List<String> ALL = List.of("overhead", "hedging", "outage", "streaming", "max-rate", "brownout",
            "rate-limited", "library", "tracing", "fleet");
    /** The scenarios run when none is named. */
    public static final List<String> DEFAULT = List.of("overhead", "hedging", "outage", "streaming");

    static final String USAGE = """
            usage: java -jar router-bench.jar [scenario ...] [--rate R] [--duration D] [--warmup W] [--out DIR]
                   [--target URL] [--direct URL] [--poisson] [--seed N] [--steps N] [--connections N] [--timeout D]
              scenarios: overhead hedging outage streaming max-rate brownout rate-limited library tracing fleet, or all
                         (default: overhead hedging outage streaming)
              --rate R         requests per second (default 200; max-rate starts there and doubles)
              --duration D     measured time per series, e.g. 20s, 500ms, 1m (default 10s)
              --warmup W       unmeasured time before each series (default 3s)
              --out DIR        report.md, report.json and one SVG per scenario (default target/bench-report)
              --target URL     measure this router (OpenAI API, model 'bench') instead of an in-process Detour
              --direct URL     and compare it with this provider (overhead, streaming, max-rate)
              --poisson        Poisson arrivals instead of a fixed rate
            """;

    /** Parses {@code args}; throws IllegalArgumentException with a message for the user. */
    public static Options parse(String... args) {
        List<String> scenarios = new ArrayList<>();
        double rate = 200;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(3);
        Path out = Path.of("target", "bench-report");
        String target = null;
        String direct = null;
        boolean poisson = false;
        long seed = 42;
        int steps = 6;
        int connections = 512;
        Duration timeout = Duration.ofSeconds(10);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                if (arg.equals("all")) {
                    scenarios.addAll(ALL);
                } else if (ALL.contains(arg)) {
                    scenarios.add(arg);
                } else {
                    throw new IllegalArgumentException("unknown scenario '" + arg + "' (known: " + String.join(", ", ALL) + ")");
                }
                continue;
            }
            if (arg.equals("--poisson")) {
                poisson = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            String value = args[++i];
            try {
                switch (arg) {
                    case "--rate" -> rate = positive(Double.parseDouble(value), arg);
                    case "--duration" -> duration = duration(value);
                    case "--warmup" -> warmup = duration(value);
                    case "--out" -> out = Path.of(value);
                    case "--target" -> target = url(value);
                    case "--direct" -> direct = url(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--steps" -> steps = (int) positive(Integer.parseInt(value), arg);
                    case "--connections" -> connections = (int) positive(Integer.parseInt(value), arg);
                    case "--timeout" -> timeout = duration(value);
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(arg + ": '" + value + "' is not a number");
            }
        }
        if (duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive");
        }
        return new Options(scenarios.isEmpty() ? DEFAULT : List.copyOf(scenarios), rate, duration, warmup, out, target,
                direct, poisson, seed, steps, connections, timeout);
    }

    private static double positive(double value, String option) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be positive, was " + value);
        }
        return value;
    }

    private static String url(String value) {
        if (!value.startsWith("http://") && !value.startsWith("https://")) {
            throw new IllegalArgumentException("not an http(s) URL: " + value);
        }
        return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    }

    /** Parses {@code 250ms}, {@code 20s}, {@code 2m} or a number of seconds ({@code 1.5}). */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return nonNegative(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), text);
            }
            if (t.endsWith("s")) {
                return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1e9)), text);
            }
            if (t.endsWith("m")) {
                return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60e9)), text);
            }
            return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(t) * 1e9)), text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms, 20s, 1m)");
        }
    }

    private static Duration nonNegative(Duration duration, String text) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("'" + text + "' must not be negative");
        }
        return duration;
    }
}
