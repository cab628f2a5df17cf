package dev.detour.bench;

import dev.detour.http.DetourServer;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The {@code tracing} scenario: the same router three times in this JVM, tracing off, on with every trace
 * kept, and on with one in ten, in front of one simulator that answers at once; the spans go over
 * OTLP/HTTP (the config's {@code tracing} section, as users run it) to a local sink that reads and
 * discards them. The three are measured interleaved, one slice each per round, with the bytes all
 * threads allocate around each slice.
 */
final class TracingScenario {

    private static final int ROUNDS = 5;
    private static final String ANSWER = "The next town is twelve kilometres away.";

    private final Options options;
    private final LoadGenerator generator;

    TracingScenario(Options options, LoadGenerator generator) {
        this.options = options;
        this.generator = generator;
    }

    /** One router of the comparison. */
    private record Setup(String name, String tracing) {
    }

    Report.Scenario run() {
        DisposableServer sink = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> request.receive().then(response.status(200).send()))
                .bindNow();
        SimulatedProvider sim = SimulatedProvider.builder().seed(options.seed()).model("bench", Behaviour.answer(ANSWER)).start();
        String endpoint = "http://127.0.0.1:" + sink.port() + "/v1/traces";
        List<Setup> setups = List.of(new Setup("tracing off", null),
                new Setup("tracing 1.0", "tracing: { otlp-endpoint: \"" + endpoint + "\", sample-ratio: 1.0 }\n"),
                new Setup("tracing 0.1", "tracing: { otlp-endpoint: \"" + endpoint + "\", sample-ratio: 0.1 }\n"));
        List<DetourServer> routers = new ArrayList<>();
        try {
            for (Setup setup : setups) {
                routers.add(router(sim, setup.tracing()));
            }
            return measure(setups, routers);
        } finally {
            routers.forEach(DetourServer::close);
            sim.close();
            sink.disposeNow();
        }
    }

    private static DetourServer router(SimulatedProvider sim, String tracing) {
        String yaml = "server: { port: 0, shutdown-grace: 1s }\n"
                + (tracing == null ? "" : tracing)
                + "providers:\n  bench: { type: openai, base-url: \"" + sim.baseUrl() + "/v1\", model: bench, max-connections: 512 }\n"
                + "routes:\n  - alias: bench\n    tiers: [ { providers: [bench] } ]\n";
        return DetourServer.start(new ConfigVersions(ConfigLoader.parse(yaml, "bench.yaml"), "bench.yaml"), name -> null,
                new PrintStream(OutputStream.nullOutputStream(), false));
    }

    private Report.Scenario measure(List<Setup> setups, List<DetourServer> routers) {
        double rate = options.rate();
        int n = setups.size();
        for (int i = 0; i < n; i++) {
            run(setups.get(i).name() + " warm-up", routers.get(i), options.warmup().isZero() ? Duration.ofMillis(100) : options.warmup());
        }
        List<List<Phase>> phases = new ArrayList<>();
        long[] bytes = new long[n];
        for (int i = 0; i < n; i++) {
            phases.add(new ArrayList<>());
        }
        Duration slice = options.duration().dividedBy(ROUNDS);
        for (int round = 1; round <= ROUNDS; round++) {
            for (int i = 0; i < n; i++) {
                long before = AllocationMeter.allocatedBytes();
                Run run = run(setups.get(i).name() + " " + round + "/" + ROUNDS, routers.get(i), slice);
                bytes[i] += AllocationMeter.allocatedBytes() - before;
                phases.get(i).add(run.first());
            }
        }
        List<Report.Series> series = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            series.add(merged(setups.get(i).name(), rate, phases.get(i)));
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        Report.Series off = series.get(0);
        double offBytes = perRequest(bytes[0], off);
        figures.put("off_bytes_per_request", Report.round(offBytes));
        for (int i = 1; i < n; i++) {
            Report.Series on = series.get(i);
            String key = on.name().replace("tracing ", "ratio_") + "_";
            for (String p : new String[] {"p50", "p90", "p99", "p99.9"}) {
                figures.put(key + "added_" + p + "_ms", Report.round(on.ms(p) - off.ms(p)));
            }
            figures.put(key + "added_mean_ms", Report.round(on.ms("mean") - off.ms("mean")));
            figures.put(key + "added_bytes_per_request", Report.round(perRequest(bytes[i], on) - offBytes));
        }
        return new Report.Scenario("tracing", "The router with tracing off, and on (OpenTelemetry through Micrometer's "
                + "bridge, OTLP/HTTP export in batches to a local sink that discards) keeping every trace or one in ten: "
                + "added latency and bytes allocated per request over tracing off.", series, figures, List.of(
                "The three routers run in this JVM with the generator and the simulator (which answers at once); they "
                        + "are measured interleaved, " + ROUNDS + " rounds of one slice each, after a warm-up of each.",
                "Bytes per request are all threads' allocation counters (generator, routers, simulator, span export) "
                        + "read around each slice, over the requests sent; only the differences are the tracing's. "
                        + "Spans batched near a slice's end may be exported during the next slice."),
                "tracing.svg");
    }

    private Run run(String label, DetourServer router, Duration duration) {
        return generator.run(new LoadGenerator.Plan("tracing: " + label, LoadGenerator.Target.chat(router.baseUrl(), "bench", false),
                Arrivals.fixed(options.rate()), Duration.ZERO, duration), LoadGenerator.Control.NONE);
    }

    private static double perRequest(long bytes, Report.Series series) {
        return series.sent() == 0 ? Double.NaN : (double) bytes / series.sent();
    }

    /** One series of several phases of the same target, measured in separate slices. */
    static Report.Series merged(String name, double offeredRps, List<Phase> phases) {
        Histogram latency = new Histogram(LoadGenerator.HIGHEST_MICROS, 3);
        Histogram service = new Histogram(LoadGenerator.HIGHEST_MICROS, 3);
        Histogram lag = new Histogram(LoadGenerator.HIGHEST_MICROS, 3);
        Map<String, Long> errors = new TreeMap<>();
        long sent = 0;
        long ok = 0;
        double seconds = 0;
        for (Phase phase : phases) {
            latency.add(phase.latency());
            service.add(phase.service());
            lag.add(phase.lag());
            phase.errors().forEach((kind, count) -> errors.merge(kind, count, Long::sum));
            sent += phase.sent();
            ok += phase.ok();
            seconds += phase.seconds();
        }
        Map<String, Double> lagMs = new LinkedHashMap<>();
        lagMs.put("p99", lag.getTotalCount() == 0 ? 0.0 : Report.ms(lag.getValueAtPercentile(99)));
        lagMs.put("max", lag.getTotalCount() == 0 ? 0.0 : Report.ms(lag.getMaxValue()));
        return new Report.Series(name, "latency", offeredRps, Report.round(sent / seconds), Report.round(ok / seconds),
                Report.round(seconds), sent, ok, errors, Report.summary(latency), Report.summary(service), lagMs,
                Report.distribution(latency));
    }
}
