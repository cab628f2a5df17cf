package dev.detour.bench;

import dev.detour.core.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scenarios that put servers side by side: {@code overhead}, {@code streaming} and
 * {@code max-rate}. Each measures the upstream directly, Detour (or {@code --target URL}) and the
 * peers named with {@code --target NAME=URL}, in turns ({@link Interleaved}), and reports each
 * target's added latency over direct with its ratio to {@code --reference}.
 */
final class SideBySide {

    private static final String[] ADDED = {"p50", "p90", "p99", "p99.9", "max"};

    private final Options options;
    private final LoadGenerator generator;

    SideBySide(Options options, LoadGenerator generator) {
        this.options = options;
        this.generator = generator;
    }

    private Interleaved interleaved(Entrants entrants) {
        return new Interleaved(generator::run, rate -> options.poisson() ? Arrivals.poisson(rate, options.seed())
                : Arrivals.fixed(rate), entrants.processes, entrants.detour == null ? null : entrants.detour.heap);
    }

    /** Throwaway runs through every router measured, alike, so that no JVM among them is measured cold. */
    private void warmUp(Entrants entrants, String scenario, boolean stream) {
        entrants.targets.forEach(peer -> warmUp(generator, options, peer, scenario, stream));
    }

    /**
     * Throwaway runs through {@code peer} so that neither its JVM (Detour's, a JVM peer's) nor the upstream's is measured
     * cold: the warm-up's length (at most 5 s) at up to 200/s (a cold JVM at full rate queues thousands
     * of requests it then takes long to work off), its connections then closed (so that the JIT has compiled
     * a connection's close before the measured turns, in which the generator closes idle ones), then the
     * warm-up and a series' length at the full rate.
     */
    static void warmUp(LoadGenerator generator, Options options, Peer peer, String scenario, boolean stream) {
        generator.run(new LoadGenerator.Plan(scenario + ": JVM warm-up", peer.chat(stream),
                Arrivals.fixed(Math.min(options.rate(), 200)), Duration.ZERO, ramp(options.warmup())), LoadGenerator.Control.NONE);
        generator.closeConnections(peer.url());
        generator.run(new LoadGenerator.Plan(scenario + ": JVM warm-up", peer.chat(stream),
                Arrivals.fixed(options.rate()), options.warmup(), options.duration()), LoadGenerator.Control.NONE);
    }

    private static Duration ramp(Duration warmup) {
        return warmup.isZero() ? Duration.ofMillis(100) : warmup.compareTo(Duration.ofSeconds(5)) < 0 ? warmup : Duration.ofSeconds(5);
    }

    private List<Interleaved.Result> measure(Entrants entrants, String scenario, List<Peer> peers, boolean stream, double rate) {
        return interleaved(entrants).run(scenario, peers, stream, rate, options.warmup(), options.duration(),
                options.lineup().slice());
    }

    Report.Scenario overhead() {
        try (Entrants entrants = Entrants.open(options, true)) {
            warmUp(entrants, "overhead", false);
            double rate = options.rate();
            List<Report.Series> series = new ArrayList<>();
            for (Interleaved.Result result : measure(entrants, "overhead", entrants.all(), false, rate)) {
                series.add(Report.Series.of(result.peer().name(), "latency", rate, result.phase()).withResources(result.resources()));
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            List<String> notes = new ArrayList<>();
            List<Comparison> comparisons = new ArrayList<>();
            if (entrants.direct != null) {
                Report.Series direct = series.get(0);
                List<Report.Series> targets = series.subList(1, series.size());
                for (String p : ADDED) {
                    figures.put("added_" + p + "_ms", Report.round(targets.get(0).ms(p) - direct.ms(p)));
                }
                comparisons.add(Comparison.added("added over direct", direct, targets, names(entrants), options.lineup().reference()));
                notes.add("The direct series is the floor of the generator, the upstream and loopback together: its p99 is "
                        + Report.number(direct.ms("p99")) + " ms, and the generator fired its requests at most "
                        + Report.number(direct.lagMs().get("max")) + " ms late.");
            }
            notes.addAll(common(entrants));
            return new Report.Scenario("overhead", "The same open-loop load straight at the upstream (direct) and through "
                    + "each router; the added latency is the router's minus direct at each percentile.", series, figures,
                    notes, "overhead.svg", comparisons, List.of());
        }
    }

    Report.Scenario streaming() {
        try (Entrants entrants = Entrants.open(options, true)) {
            warmUp(entrants, "streaming", true);
            double rate = options.rate();
            List<Interleaved.Result> results = measure(entrants, "streaming", entrants.all(), true, rate);
            List<Report.Series> series = new ArrayList<>();
            Map<String, Double> figures = new LinkedHashMap<>();
            List<Comparison> comparisons = new ArrayList<>();
            for (String metric : List.of("ttft", "gap", "latency")) {
                String label = metric.equals("latency") ? "whole stream" : metric;
                List<Report.Series> of = new ArrayList<>();
                for (Interleaved.Result result : results) {
                    Report.Series s = Report.Series.of(result.peer().name() + " " + label, metric, rate, result.phase());
                    of.add(metric.equals("latency") ? s.withResources(result.resources()) : s);
                }
                series.addAll(of);
                if (entrants.direct != null) {
                    List<Report.Series> targets = of.subList(1, of.size());
                    comparisons.add(Comparison.added("added over direct (" + label + ")", of.get(0), targets,
                            names(entrants), options.lineup().reference()));
                    if (!metric.equals("latency")) {
                        for (String p : List.of("p50", "p99", "p99.9")) {
                            figures.put("added_" + metric + "_" + p + "_ms", Report.round(targets.get(0).ms(p) - of.get(0).ms(p)));
                        }
                    }
                }
            }
            List<String> notes = new ArrayList<>(List.of("The upstream sends the first token at once, then one word token per "
                    + "millisecond (17 tokens). Gaps are measured between network reads carrying a token event."));
            notes.addAll(common(entrants));
            return new Report.Scenario("streaming", "Streamed completions (SSE): time to first token from the intended send"
                    + " time, and the gaps between token events, direct and through each router.", series, figures, notes,
                    "streaming.svg", comparisons, List.of());
        }
    }

    Report.Scenario maxRate() {
        try (Entrants entrants = Entrants.open(options, true)) {
            warmUp(entrants, "max-rate", false);
            List<Peer> running = new ArrayList<>(entrants.all());
            Map<String, Double> held = new LinkedHashMap<>();
            running.forEach(peer -> held.put(peer.name(), 0.0));
            List<Report.Series> series = new ArrayList<>();
            double rate = options.rate();
            for (int step = 0; step < options.steps() && running.stream().anyMatch(p -> !p.name().equals(Peer.DIRECT));
                    step++, rate = Math.round(rate * 1.25)) {
                List<Peer> broke = new ArrayList<>();
                for (Interleaved.Result result : measure(entrants, "max-rate " + Report.number(rate) + "/s", running, false, rate)) {
                    Report.Series s = Report.Series.of(result.peer().name() + " @ " + Report.number(rate) + "/s", "latency",
                            rate, result.phase()).withResources(result.resources());
                    series.add(s);
                    if (held(s)) {
                        held.put(result.peer().name(), rate);
                    } else {
                        broke.add(result.peer());
                    }
                }
                running.removeAll(broke);
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            held.forEach((name, value) -> figures.put("max_rate_" + name, Report.round(value)));
            double direct = held.getOrDefault(Peer.DIRECT, 0.0);
            if (direct > 0) {
                String first = entrants.targets.get(0).name();
                figures.put(first + "_to_direct", Report.round(held.get(first) / direct));
            }
            Map<String, Map<String, Double>> values = new LinkedHashMap<>();
            entrants.targets.forEach(peer -> values.put(peer.name(), Map.of("max rate", Report.round(held.get(peer.name())))));
            List<String> notes = new ArrayList<>(List.of("A rate still held at the last step means the ceiling is higher than measured.",
                    "When direct breaks at a rate, the upstream (or the generator) is the limit there, not the router."));
            if (held.values().stream().allMatch(value -> value == 0)) {
                notes.add("Nothing held the first rate, direct included: start lower (--rate), or the machine is too noisy "
                        + "for a p99 under 10 ms.");
            }
            notes.addAll(common(entrants));
            return new Report.Scenario("max-rate", "Rates from --rate, ×1.25 per step while any router holds (at most --steps "
                    + "steps), until p99 reaches 10 ms, an error appears or fewer than 95 % of the offered requests are "
                    + "answered; the highest rate each held.", series, figures, notes, "max-rate.svg",
                    List.of(Comparison.of("highest rate held", "/s", options.lineup().reference(), List.of("max rate"), values)),
                    List.of());
        }
    }

    static boolean held(Report.Series s) {
        return s.errors().isEmpty() && s.ms("p99") < 10 && s.achievedRps() >= 0.95 * s.offeredRps();
    }

    private static List<String> names(Entrants entrants) {
        return entrants.targets.stream().map(Peer::name).toList();
    }

    private List<String> common(Entrants entrants) {
        List<String> notes = new ArrayList<>();
        notes.add("Layout: " + entrants.layout() + ".");
        notes.add("Series take turns of at most " + Durations.format(options.lineup().slice())
                + " each (direct, then each router, again and again) with the same arrival schedule per turn; the first "
                + "turn of each has the warm-up, and a throwaway run through each router first (its connections closed "
                + "once in it) warms the JVMs.");
        if (!entrants.processes.isEmpty()) {
            notes.add("CPU is % of one core over a series' turns (warm-up and drain included), from /proc/PID/stat; RSS from "
                    + "/proc/PID/status after the series' last turn; the router's heap after a full GC asked over its admin API.");
        }
        return notes;
    }
}
