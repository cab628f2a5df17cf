package dev.detour.bench;

import dev.detour.core.policy.BreakerState;
import dev.detour.http.DetourServer;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Latency;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's scenarios. The side-by-side ones ({@code overhead}, {@code streaming},
 * {@code max-rate}) are {@link SideBySide}'s and {@code soak} is {@link Soak}'s; the fault scenarios
 * ({@code hedging}, {@code outage}, {@code brownout}, {@code rate-limited}) script the simulator and
 * read the breaker in-process, so each starts its own {@link SimulatedProvider} and Detour router in
 * this JVM, on loopback, and closes them after.
 */
final class Scenarios {

    private static final Behaviour HEALTHY = Behaviour.answer("The next town is twelve kilometres away.")
            .latency(Latency.fixed(Duration.ofMillis(1)));

    private final Options options;
    private final LoadGenerator generator;
    private final SideBySide sideBySide;

    Scenarios(Options options, LoadGenerator generator) {
        this.options = options;
        this.generator = generator;
        this.sideBySide = new SideBySide(options, generator);
    }

    Report.Scenario run(String name) {
        return switch (name) {
            case "hedging" -> hedging();
            case "outage" -> faultMidRun("outage", "The primary goes hard down (every call a 503) a third of the way into the"
                    + " measured run; the route falls back to the secondary. Client-visible errors, the time until the"
                    + " primary's breaker opens, and p99 once it is open against the secondary called alone.",
                    Behaviour.status(503), "timeout: 1s");
            case "brownout" -> faultMidRun("brownout", "The primary slows down (200 ms instead of 1 ms) a third of the way"
                    + " in; its tier times out after 25 ms and the route falls back to the secondary until the breaker"
                    + " opens on the timeouts.", HEALTHY.latency(Latency.fixed(Duration.ofMillis(200))), "timeout: 25ms");
            case "rate-limited" -> faultMidRun("rate-limited", "The primary answers 429 with Retry-After: 5 a third of the"
                    + " way in; its tier would retry once, but a Retry-After longer than the 2 s deadline moves the"
                    + " route on at once to the secondary.", Behaviour.rateLimited(Duration.ofSeconds(5)),
                    "timeout: 1s, retry: { attempts: 2, backoff: 20ms }");
            case "overhead" -> sideBySide.overhead();
            case "streaming" -> sideBySide.streaming();
            case "max-rate" -> sideBySide.maxRate();
            case "library" -> new LibraryScenario(options, generator.progress()).run();
            case "tracing" -> new TracingScenario(options, generator).run();
            case "fleet" -> new FleetScenario(options, generator).run();
            case "soak" -> new Soak(options, generator).run();
            default -> throw new IllegalArgumentException("unknown scenario " + name);
        };
    }

    /** A simulator and a router in this JVM. */
    private static final class Stack implements AutoCloseable {

        final SimulatedProvider sim;
        final DetourServer router;

        Stack(SimulatedProvider.Builder simulator, String yaml) {
            this.sim = simulator.start();
            DetourServer started;
            try {
                started = DetourUnderTest.server(yaml.replace("${simulator}", sim.baseUrl()), name -> null);
            } catch (RuntimeException e) {
                sim.close();
                throw e;
            }
            this.router = started;
        }

        @Override
        public void close() {
            router.close();
            sim.close();
        }
    }

    private static String provider(String name, String model) {
        return "  " + name + ": { type: openai, base-url: \"${simulator}/v1\", model: " + model + ", max-connections: 512 }\n";
    }

    private static final String SERVER = "server: { port: 0, shutdown-grace: 1s }\n";

    private SimulatedProvider.Builder simulator() {
        return SimulatedProvider.builder().seed(options.seed());
    }

    private LoadGenerator.Plan plan(String label, LoadGenerator.Target target, double rate) {
        Arrivals arrivals = options.poisson() ? Arrivals.poisson(rate, options.seed()) : Arrivals.fixed(rate);
        return new LoadGenerator.Plan(label, target, arrivals, options.warmup(), options.duration());
    }

    private Run run(String label, LoadGenerator.Target target, double rate, LoadGenerator.Control control) {
        return generator.run(plan(label, target, rate), control);
    }

    private Report.Scenario hedging() {
        Latency tail = Latency.withStragglers(Latency.lognormal(Duration.ofMillis(2), 0.25), 0.02, Duration.ofSeconds(1));
        Behaviour heavy = Behaviour.answer("The next town is twelve kilometres away.").latency(tail);
        try (Stack stack = new Stack(simulator().model("tail-plain", heavy).model("tail-hedged", heavy),
                SERVER + "providers:\n" + provider("plain", "tail-plain") + provider("hedged", "tail-hedged")
                        + "routes:\n"
                        + "  - alias: no-hedge\n    tiers: [ { providers: [plain] } ]\n"
                        + "  - alias: hedge-p95\n    tiers: [ { providers: [hedged], hedge: { percentile: 0.95 } } ]\n")) {
            double rate = options.rate();
            Report.Series plain = hedgeSeries(stack, "no hedge", "no-hedge", "tail-plain", rate);
            Report.Series hedged = hedgeSeries(stack, "hedge at p95", "hedge-p95", "tail-hedged", rate);
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("no_hedge_p99_ms", plain.ms("p99"));
            figures.put("hedge_p99_ms", hedged.ms("p99"));
            figures.put("no_hedge_p99.9_ms", plain.ms("p99.9"));
            figures.put("hedge_p99.9_ms", hedged.ms("p99.9"));
            figures.put("p99.9_reduction_pct", Report.round(100 * (1 - hedged.ms("p99.9") / plain.ms("p99.9"))));
            figures.put("extra_calls_no_hedge_pct", extra.remove("no hedge"));
            figures.put("extra_calls_hedge_pct", extra.remove("hedge at p95"));
            return new Report.Scenario("hedging", "A heavy-tailed provider (log-normal around 2 ms, 2 % stragglers of 1 s), "
                    + "without hedging and hedged at its observed p95 (the hedge goes to the same provider). Extra calls "
                    + "are the simulator's request count over the requests sent, minus one.",
                    List.of(plain, hedged), figures, List.of("The adaptive hedge delay is the provider's p95 over its"
                            + " latest 256 answers; the warm-up fills that window before measuring."), "hedging.svg");
        }
    }

    private final Map<String, Double> extra = new LinkedHashMap<>();

    private Report.Series hedgeSeries(Stack stack, String name, String alias, String model, double rate) {
        boolean[] reset = {false};
        Run run = run("hedging: " + name, LoadGenerator.Target.chat(stack.router.baseUrl(), alias, false), rate,
                (r, elapsed) -> {
                    if (!reset[0] && r.measuring(elapsed)) {
                        stack.sim.reset();
                        reset[0] = true;
                    }
                });
        Phase phase = run.first();
        long calls = stack.sim.stats(model).requests();
        extra.put(name, phase.sent() == 0 ? Double.NaN : Report.round(100.0 * (calls - phase.sent()) / phase.sent()));
        return Report.Series.of(name, "latency", rate, phase);
    }

    private Report.Scenario faultMidRun(String name, String description, Behaviour fault, String primaryTier) {
        String yaml = SERVER
                + "breaker: { window: 20, minimum-calls: 10, failure-rate: 0.5, open-for: 60s }\n"
                + "providers:\n" + provider("primary", "primary") + provider("secondary", "secondary")
                + "routes:\n"
                + "  - alias: main\n    deadline: 2s\n"
                + "    tiers: [ { providers: [primary], " + primaryTier + " }, { providers: [secondary], timeout: 1s } ]\n"
                + "  - alias: secondary-only\n    tiers: [ { providers: [secondary], timeout: 1s } ]\n";
        try (Stack stack = new Stack(simulator().model("primary", HEALTHY).model("secondary", HEALTHY), yaml)) {
            double rate = options.rate();
            long faultAt = options.warmup().toNanos() + options.duration().toNanos() / 3;
            long[] times = {0, 0, 0, 0};
            Run run = run(name + ": before", LoadGenerator.Target.chat(stack.router.baseUrl(), "main", false), rate,
                    (r, elapsed) -> {
                        if (times[3] == 0 && r.measuring(elapsed)) {
                            resetBreakers(stack);
                            times[3] = 1;
                        }
                        if (times[0] == 0 && elapsed >= faultAt) {
                            stack.sim.behaviour("primary", fault);
                            times[0] = System.nanoTime();
                            r.phase(name + ", breaker closed");
                        } else if (times[0] != 0 && times[1] == 0 && System.nanoTime() - times[2] >= 1_000_000) {
                            times[2] = System.nanoTime();
                            if (stack.router.gateway().router().status("primary").breaker().state() == BreakerState.OPEN) {
                                times[1] = times[2];
                                r.phase(name + ", breaker open");
                            }
                        }
                    });
            resetBreakers(stack);
            Run alone = run(name + ": secondary alone", LoadGenerator.Target.chat(stack.router.baseUrl(), "secondary-only", false),
                    rate, LoadGenerator.Control.NONE);
            List<Report.Series> series = new ArrayList<>();
            long errors = 0;
            long faultErrors = 0;
            List<Phase> phases = run.phases();
            for (int i = 0; i < phases.size(); i++) {
                Phase phase = phases.get(i);
                series.add(Report.Series.of(i == 0 ? "before" : phase.name(), "latency", rate, phase));
                errors += phase.errorCount();
                faultErrors += i == 0 ? 0 : phase.errorCount();
            }
            Report.Series secondary = Report.Series.of("secondary alone", "latency", rate, alone.first());
            series.add(secondary);
            Report.Series open = series.stream().filter(s -> s.name().endsWith("breaker open")).findFirst().orElse(null);
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("client_errors", (double) errors);
            figures.put("client_errors_after_fault", (double) faultErrors);
            figures.put("breaker_open_after_ms", times[1] == 0 ? Double.NaN : Report.round((times[1] - times[0]) / 1e6));
            figures.put("p99_before_ms", series.get(0).ms("p99"));
            figures.put("p99_breaker_open_ms", open == null ? Double.NaN : open.ms("p99"));
            figures.put("p99_secondary_alone_ms", secondary.ms("p99"));
            figures.put("p99_open_minus_secondary_ms", open == null ? Double.NaN : Report.round(open.ms("p99") - secondary.ms("p99")));
            List<String> notes = List.of("Both providers answer after 1 ms when healthy; the breaker opens at 50 % failures "
                    + "over the last 20 calls (at least 10) and stays open 60 s. Its state is polled in-process every "
                    + "millisecond, so the open time is accurate to about 1 ms. Both breakers are reset when the warm-up ends, "
                    + "so a cold JVM's slow first calls cannot leave one open.");
            return new Report.Scenario(name, description, series, figures, notes, name + ".svg");
        }
    }

    /** Closes both breakers: a cold JVM's first calls may time out during the warm-up and open them. */
    private static void resetBreakers(Stack stack) {
        stack.router.gateway().router().resetBreaker("primary");
        stack.router.gateway().router().resetBreaker("secondary");
    }
}
