package dev.detour.bench;

import dev.detour.core.Durations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The {@code soak} scenario: Detour alone at a fixed rate for {@code --soak} (10 minutes unless
 * set), after a throwaway run that warms its JVM and opens its connections, its old generation
 * after a full GC and its open file descriptors sampled ten times. It fails
 * (exit status 3) when either grows past its bound from the start of the measured run to its end;
 * growth is the median of the last three samples minus the median of the first three, so that one
 * sample caught with a burst of connections open decides nothing.
 */
final class Soak {

    /** The most the old generation after a full GC may grow over the soak. */
    static final long OLD_GEN_GROWTH_BOUND_BYTES = 8L << 20;
    /** The most open file descriptors may grow over the soak. */
    static final long OPEN_FILES_GROWTH_BOUND = 64;

    /** One look at the router, {@code seconds} into the measured run. */
    record Sample(double seconds, long oldGenBytes, long heapBytes, long openFiles, long rssBytes) {
    }

    private final Options options;
    private final LoadGenerator generator;

    Soak(Options options, LoadGenerator generator) {
        this.options = options;
        this.generator = generator;
    }

    Report.Scenario run() {
        String description = "Detour alone at " + Report.number(options.rate()) + "/s for " + Durations.format(options.soak())
                + ": its old generation after a full GC and its open file descriptors, sampled ten times; the run fails "
                + "when either grows by more than " + (OLD_GEN_GROWTH_BOUND_BYTES >> 20) + " MB or " + OPEN_FILES_GROWTH_BOUND
                + " descriptors.";
        if (options.target() != null || !ProcessStats.available()) {
            return new Report.Scenario("soak", description, List.of(), Map.of(), List.of(), "soak.svg", List.of(),
                    List.of("the soak needs the Detour router this benchmark starts, on Linux (it reads the router's heap "
                            + "over its admin API and its descriptors from /proc); nothing was measured"));
        }
        try (Entrants entrants = Entrants.open(options, false)) {
            DetourUnderTest detour = entrants.detour;
            SideBySide.warmUp(generator, options, entrants.targets.get(0), "soak", false);
            ProcessStats router = detour.processes.getOrDefault("router", ProcessStats.self());
            List<Sample> samples = new ArrayList<>();
            long every = Math.max(options.soak().toNanos() / 10, 200_000_000L);
            long[] next = {0};
            Run run = generator.run(new LoadGenerator.Plan("soak", entrants.targets.get(0).chat(false),
                    options.poisson() ? Arrivals.poisson(options.rate(), options.seed()) : Arrivals.fixed(options.rate()),
                    options.warmup(), options.soak()), (r, elapsed) -> {
                        long measured = r.start() + elapsed - r.measureStart();
                        if (measured >= next[0]) {
                            samples.add(sample(measured / 1e9, router, detour.heap));
                            next[0] = measured + every;
                        }
                    });
            samples.add(sample((run.end() - run.measureStart()) / 1e9, router, detour.heap));
            Report.Series series = Report.Series.of("detour", "latency", options.rate(), run.first());
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("old_gen_after_gc_start_mb", mb(median(samples, true, Sample::oldGenBytes)));
            figures.put("old_gen_after_gc_end_mb", mb(median(samples, false, Sample::oldGenBytes)));
            figures.put("old_gen_growth_bound_mb", mb(OLD_GEN_GROWTH_BOUND_BYTES));
            figures.put("open_files_start", (double) median(samples, true, Sample::openFiles));
            figures.put("open_files_end", (double) median(samples, false, Sample::openFiles));
            figures.put("open_files_growth_bound", (double) OPEN_FILES_GROWTH_BOUND);
            figures.put("rss_start_mb", mb(samples.get(0).rssBytes()));
            figures.put("rss_end_mb", mb(samples.get(samples.size() - 1).rssBytes()));
            List<String> notes = List.of("Samples (s: old gen MB / heap MB after GC, open files, RSS MB): " + describe(samples) + ".",
                    "Layout: " + entrants.layout() + ". Each sample runs a full GC in the router (a pause the latency above includes).");
            return new Report.Scenario("soak", description, List.of(series), figures, notes, "soak.svg", List.of(),
                    check(samples));
        }
    }

    private static Sample sample(double seconds, ProcessStats router, HeapProbe heap) {
        long openFiles = router.openFiles();
        HeapProbe.Heap after = heap.collect();
        return new Sample(Report.round(seconds), after.oldGenBytes(), after.usedBytes(), openFiles, router.rssBytes());
    }

    /** The bounds {@code samples} exceed, each as a sentence; empty when the soak passed. */
    static List<String> check(List<Sample> samples) {
        List<String> failures = new ArrayList<>();
        long oldGrowth = median(samples, false, Sample::oldGenBytes) - median(samples, true, Sample::oldGenBytes);
        if (oldGrowth > OLD_GEN_GROWTH_BOUND_BYTES) {
            failures.add(String.format(Locale.ROOT, "the old generation after GC grew by %.1f MB (bound %d MB)",
                    oldGrowth / 1048576.0, OLD_GEN_GROWTH_BOUND_BYTES >> 20));
        }
        long fileGrowth = median(samples, false, Sample::openFiles) - median(samples, true, Sample::openFiles);
        if (fileGrowth > OPEN_FILES_GROWTH_BOUND) {
            failures.add("open file descriptors grew by " + fileGrowth + " (bound " + OPEN_FILES_GROWTH_BOUND + ")");
        }
        return failures;
    }

    /** The median of the first (or last) three samples' {@code value}. */
    private static long median(List<Sample> samples, boolean first, ToLongFunction<Sample> value) {
        int n = Math.min(3, samples.size());
        List<Sample> end = first ? samples.subList(0, n) : samples.subList(samples.size() - n, samples.size());
        long[] values = end.stream().mapToLong(value).sorted().toArray();
        return values[values.length / 2];
    }

    private static double mb(long bytes) {
        return Report.round(bytes / 1048576.0);
    }

    private static String describe(List<Sample> samples) {
        StringBuilder text = new StringBuilder();
        for (Sample s : samples) {
            text.append(text.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT, "%.1f: %.1f / %.1f, %d, %.1f",
                    s.seconds(), s.oldGenBytes() / 1048576.0, s.heapBytes() / 1048576.0, s.openFiles(),
                    s.rssBytes() / 1048576.0));
        }
        return text.toString();
    }
}
