package dev.detour.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * Several series measured in turns, A B C A B C …, so that whatever drifts on a shared machine (a
 * neighbour's load, CPU frequency, the page cache) hits every series alike. Each turn is a run of
 * its own with the same arrival schedule from its start; the first turn of each series has the
 * warm-up before it; a series' turns are merged into one phase. Between turns, CPU time of the
 * watched processes is read, and after a series' last turn their memory.
 */
final class Interleaved {

    /** Runs one plan: {@link LoadGenerator#run}, or a stand-in in tests. */
    @FunctionalInterface
    interface Runner {
        Run run(LoadGenerator.Plan plan, LoadGenerator.Control control);
    }

    /** One turn: the {@code round}-th of {@code peer}'s series. */
    record Turn(int round, Peer peer, Duration warmup, Duration duration) {
    }

    /** A series' merged phase and what the processes used during its turns ({@code <process>_cpu_pct}, {@code _rss_mb} …). */
    record Result(Peer peer, Phase phase, Map<String, Double> resources) {
    }

    private final Runner runner;
    private final DoubleFunction<Arrivals> arrivals;
    private final Map<String, ProcessStats> processes;
    private final HeapProbe heap;

    /**
     * @param arrivals  the schedule at a rate (a fresh one per turn)
     * @param processes whose CPU and memory to report
     * @param heap      the router's heap, read after the {@code detour} series' last turn, or null
     */
    Interleaved(Runner runner, DoubleFunction<Arrivals> arrivals, Map<String, ProcessStats> processes, HeapProbe heap) {
        this.runner = runner;
        this.arrivals = arrivals;
        this.processes = processes;
        this.heap = heap;
    }

    /**
     * The turns of {@code peers}' series: {@code duration} cut into equal turns of at most {@code slice},
     * round by round in the peers' order; only the first round has a warm-up.
     */
    static List<Turn> turns(List<Peer> peers, Duration warmup, Duration duration, Duration slice) {
        long rounds = Math.max(1, (duration.toNanos() + slice.toNanos() - 1) / slice.toNanos());
        Duration turn = Duration.ofNanos(duration.toNanos() / rounds);
        List<Turn> turns = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (Peer peer : peers) {
                turns.add(new Turn(round, peer, round == 0 ? warmup : Duration.ZERO, turn));
            }
        }
        return turns;
    }

    /** Runs the series of {@code peers} in turns at {@code rate}; one result per peer, in order. */
    List<Result> run(String label, List<Peer> peers, boolean stream, double rate, Duration warmup, Duration duration,
                     Duration slice) {
        List<Turn> turns = turns(peers, warmup, duration, slice);
        long rounds = turns.size() / peers.size();
        Map<String, List<Phase>> phases = new LinkedHashMap<>();
        Map<String, Map<String, Double>> cpu = new LinkedHashMap<>();
        Map<String, Double> wall = new LinkedHashMap<>();
        Map<String, Map<String, Double>> resources = new LinkedHashMap<>();
        for (Turn turn : turns) {
            String name = turn.peer().name();
            Map<String, Double> before = cpuSeconds();
            long start = System.nanoTime();
            Run run = runner.run(new LoadGenerator.Plan(label + ": " + name + (rounds > 1 ? " " + (turn.round() + 1) + "/" + rounds : ""),
                    turn.peer().chat(stream), arrivals.apply(rate), turn.warmup(), turn.duration()), LoadGenerator.Control.NONE);
            wall.merge(name, (System.nanoTime() - start) / 1e9, Double::sum);
            Map<String, Double> used = cpu.computeIfAbsent(name, k -> new LinkedHashMap<>());
            cpuSeconds().forEach((process, seconds) -> used.merge(process, seconds - before.get(process), Double::sum));
            phases.computeIfAbsent(name, k -> new ArrayList<>()).add(run.first());
            if (turn.round() == rounds - 1) {
                resources.put(name, memory(name));
            }
        }
        List<Result> results = new ArrayList<>();
        for (Peer peer : peers) {
            String name = peer.name();
            Map<String, Double> figures = new LinkedHashMap<>();
            cpu.get(name).forEach((process, seconds) -> figures.put(process + "_cpu_pct", Report.round(100 * seconds / wall.get(name))));
            figures.putAll(resources.get(name));
            results.add(new Result(peer, Phase.merged(name, phases.get(name)), figures));
        }
        return results;
    }

    private Map<String, Double> cpuSeconds() {
        Map<String, Double> seconds = new LinkedHashMap<>();
        processes.forEach((name, stats) -> seconds.put(name, stats.cpuSeconds()));
        return seconds;
    }

    private Map<String, Double> memory(String series) {
        Map<String, Double> memory = new LinkedHashMap<>();
        processes.forEach((name, stats) -> memory.put(name + "_rss_mb", Report.round(stats.rssBytes() / 1048576.0)));
        if (heap != null && series.equals(Peer.DETOUR)) {
            HeapProbe.Heap after = heap.collect();
            memory.put("router_heap_after_gc_mb", Report.round(after.usedBytes() / 1048576.0));
            memory.put("router_old_gen_after_gc_mb", Report.round(after.oldGenBytes() / 1048576.0));
        }
        return memory;
    }
}
