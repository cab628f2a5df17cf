package dev.detour.bench;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The measurements of one stretch of a run (e.g. "before the outage", "breaker open"): the requests
 * whose send was due in it. Event loops record into wait-free {@link Recorder}s; {@link #freeze()}
 * turns them into histograms once the run is over.
 */
public final class Phase {

    private final String name;
    private final boolean recording;
    private final long startNanos;
    private volatile long endNanos;
    private final Recorder latency = recorder();
    private final Recorder service = recorder();
    private final Recorder ttft = recorder();
    private final Recorder gap = recorder();
    private final Recorder lag = recorder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private Histogram latencyHistogram;
    private Histogram serviceHistogram;
    private Histogram ttftHistogram;
    private Histogram gapHistogram;
    private Histogram lagHistogram;

    Phase(String name, boolean recording, long startNanos) {
        this.name = name;
        this.recording = recording;
        this.startNanos = startNanos;
    }

    private static Recorder recorder() {
        return new Recorder(LoadGenerator.HIGHEST_MICROS, 3);
    }

    static long micros(long nanos) {
        return Math.min(Math.max((nanos + 500) / 1000, 0), LoadGenerator.HIGHEST_MICROS);
    }

    void sent(long lagNanos) {
        if (recording) {
            sent.increment();
            lag.recordValue(micros(lagNanos));
        }
    }

    void ok(long latencyNanos, long serviceNanos) {
        if (recording) {
            ok.increment();
            latency.recordValue(micros(latencyNanos));
            service.recordValue(micros(serviceNanos));
        }
    }

    void ttft(long nanos) {
        if (recording) {
            ttft.recordValue(micros(nanos));
        }
    }

    void gap(long nanos) {
        if (recording) {
            gap.recordValue(micros(nanos));
        }
    }

    void error(String kind) {
        if (recording) {
            errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
        }
    }

    void end(long nanos) {
        endNanos = nanos;
    }

    void freeze() {
        latencyHistogram = latency.getIntervalHistogram();
        serviceHistogram = service.getIntervalHistogram();
        ttftHistogram = ttft.getIntervalHistogram();
        gapHistogram = gap.getIntervalHistogram();
        lagHistogram = lag.getIntervalHistogram();
    }

    /**
     * One phase holding the requests of {@code parts} (frozen phases, e.g. the turns of one series):
     * counts and histograms added, lengths summed.
     */
    static Phase merged(String name, List<Phase> parts) {
        Phase merged = new Phase(name, true, parts.get(0).startNanos);
        merged.freeze();
        long nanos = 0;
        for (Phase part : parts) {
            nanos += part.endNanos - part.startNanos;
            merged.sent.add(part.sent());
            merged.ok.add(part.ok());
            part.errors.forEach((kind, count) -> merged.errors.computeIfAbsent(kind, k -> new LongAdder()).add(count.sum()));
            merged.latencyHistogram.add(part.latencyHistogram);
            merged.serviceHistogram.add(part.serviceHistogram);
            merged.ttftHistogram.add(part.ttftHistogram);
            merged.gapHistogram.add(part.gapHistogram);
            merged.lagHistogram.add(part.lagHistogram);
        }
        merged.endNanos = merged.startNanos + nanos;
        return merged;
    }

    /** The phase's name. */
    public String name() {
        return name;
    }

    /** How long the phase lasted, in seconds of scheduled time. */
    public double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** When the phase started, on {@link System#nanoTime()}. */
    public long startNanos() {
        return startNanos;
    }

    /** Requests sent. */
    public long sent() {
        return sent.sum();
    }

    /** Requests answered successfully. */
    public long ok() {
        return ok.sum();
    }

    /** Failed requests by kind ({@code status 503}, {@code timeout}, {@code connection} …), sorted by kind. */
    public Map<String, Long> errors() {
        Map<String, Long> copy = new TreeMap<>();
        errors.forEach((kind, count) -> copy.put(kind, count.sum()));
        return copy;
    }

    /** Failed requests. */
    public long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Latency of successful requests from their intended send time, in µs. */
    public Histogram latency() {
        return latencyHistogram;
    }

    /** Latency of successful requests from the moment they were written to a connection, in µs (coordinated omission). */
    public Histogram service() {
        return serviceHistogram;
    }

    /** Time to the first streamed token from the intended send time, in µs. */
    public Histogram ttft() {
        return ttftHistogram;
    }

    /** Gaps between streamed tokens, in µs. */
    public Histogram gap() {
        return gapHistogram;
    }

    /** How late the scheduler fired each request, in µs: the generator's own floor. */
    public Histogram lag() {
        return lagHistogram;
    }
}
