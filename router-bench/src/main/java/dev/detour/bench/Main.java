package dev.detour.bench;

import dev.detour.core.Durations;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar router-bench.jar [scenario …] [--rate R] [--duration D] [--warmup W] [--out DIR] …}
 * ({@link Options}): runs the scenarios, prints a progress line to stderr and the Markdown report to
 * stdout, and writes {@code report.md}, {@code report.json} and one SVG chart per scenario to DIR.
 */
public final class Main {

    private Main() {
    }

    /** Runs the benchmark and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the benchmark: 0 when done, 2 for a bad command line, 1 when a scenario could not run or the
     * report could not be written, 3 when a scenario's bound was exceeded (e.g. the soak's memory growth).
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.print(Options.USAGE);
            return 2;
        }
        List<Report.Scenario> scenarios = new ArrayList<>();
        try (LoadGenerator generator = new LoadGenerator(options.connections(), options.timeout(), err)) {
            Scenarios runner = new Scenarios(options, generator);
            for (String name : options.scenarios()) {
                try {
                    scenarios.add(runner.run(name));
                } catch (RuntimeException e) {
                    err.println("scenario " + name + " could not run: " + e.getMessage());
                    return 1;
                }
            }
        }
        Report report = new Report(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), machine(options),
                settings(options), scenarios);
        try {
            write(report, options);
        } catch (IOException e) {
            err.println("cannot write the report to " + options.out() + ": " + e.getMessage());
            return 1;
        }
        out.print(report.toMarkdown());
        out.flush();
        List<String> failures = scenarios.stream().flatMap(s -> s.failures().stream().map(f -> s.name() + ": " + f)).toList();
        failures.forEach(failure -> err.println("FAILED " + failure));
        return failures.isEmpty() ? 0 : 3;
    }

    /** Writes {@code report.md}, {@code report.json} and the charts to the output directory. */
    static void write(Report report, Options options) throws IOException {
        Files.createDirectories(options.out());
        Files.writeString(options.out().resolve("report.md"), report.toMarkdown(), StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("report.json"), report.toJson(), StandardCharsets.UTF_8);
        for (Report.Scenario scenario : report.scenarios()) {
            Files.writeString(options.out().resolve(scenario.chart()), SvgChart.render(scenario), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, String> machine(Options options) {
        Map<String, String> machine = new LinkedHashMap<>();
        machine.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        machine.put("layout", options.target() != null
                ? "load generator only; target " + options.target() + (options.direct() == null ? "" : ", direct " + options.direct())
                : options.lineup().inProcess() ? "one JVM: load generator, Detour router and simulator on loopback"
                : "separate JVMs on loopback: load generator, Detour router (" + String.join(" ", DetourUnderTest.ROUTER_FLAGS)
                + "), upstream simulator; fault scenarios in the generator's JVM");
        return machine;
    }

    private static Map<String, String> settings(Options options) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("rate", Report.number(options.rate()) + "/s");
        settings.put("arrivals", options.poisson() ? "poisson" : "fixed");
        settings.put("duration", Durations.format(options.duration()));
        settings.put("warmup", Durations.format(options.warmup()));
        settings.put("connections", Integer.toString(options.connections()));
        settings.put("timeout", Durations.format(options.timeout()));
        if (!options.lineup().peers().isEmpty()) {
            settings.put("peers", String.join(", ", options.lineup().peers().stream().map(p -> p.name() + "=" + p.url()).toList()));
        }
        if (options.lineup().reference() != null) {
            settings.put("reference", options.lineup().reference());
        }
        settings.put("turns", Durations.format(options.lineup().slice()));
        return settings;
    }
}
