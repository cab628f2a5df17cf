package dev.detour.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One run of the {@link LoadGenerator}: its schedule's bounds and its {@link Phase}s. A run starts in
 * one measured phase, named after the plan's label; {@link #phase(String)} starts another.
 */
public final class Run {

    private final String label;
    private final double offeredRate;
    private final long start;
    private final long measureStart;
    private final long end;
    private final Phase warmup;
    private final List<Phase> phases = new CopyOnWriteArrayList<>();
    private volatile Phase current;
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder sent = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder errors = new LongAdder();

    Run(LoadGenerator.Plan plan, long start) {
        this.label = plan.label();
        this.offeredRate = plan.arrivals().rate();
        this.start = start;
        this.measureStart = start + plan.warmup().toNanos();
        this.end = measureStart + plan.duration().toNanos();
        this.warmup = new Phase("warm-up", false, start);
        this.current = new Phase(plan.label(), true, measureStart);
        phases.add(current);
    }

    /**
     * Ends the current phase now and starts one called {@code name}: requests fired from now on are
     * counted in it. Call it from the {@link LoadGenerator.Control} after the warm-up.
     */
    public Phase phase(String name) {
        long now = Math.max(System.nanoTime(), measureStart);
        current.end(now);
        Phase next = new Phase(name, true, now);
        phases.add(next);
        current = next;
        return next;
    }

    void sent(Phase phase, long lagNanos) {
        inFlight.incrementAndGet();
        sent.increment();
        phase.sent(lagNanos);
    }

    void answered(boolean error) {
        answered.increment();
        if (error) {
            errors.increment();
        }
        inFlight.decrementAndGet();
    }

    void finish() {
        current.end(end);
        phases.forEach(Phase::freeze);
    }

    Phase current() {
        return current;
    }

    Phase warmupPhase() {
        return warmup;
    }

    /** The plan's label. */
    public String label() {
        return label;
    }

    /** The offered rate, per second. */
    public double offeredRate() {
        return offeredRate;
    }

    /** The scheduled start, on {@link System#nanoTime()}. */
    public long start() {
        return start;
    }

    /** When measuring starts (the warm-up's end), on {@link System#nanoTime()}. */
    public long measureStart() {
        return measureStart;
    }

    /** The scheduled end, on {@link System#nanoTime()}. */
    public long end() {
        return end;
    }

    /** Whether the warm-up is over at {@code elapsedNanos} after the start. */
    public boolean measuring(long elapsedNanos) {
        return start + elapsedNanos - measureStart >= 0;
    }

    /** The measured phases, in order. */
    public List<Phase> phases() {
        return List.copyOf(phases);
    }

    /** The first measured phase. */
    public Phase first() {
        return phases.get(0);
    }

    long inFlight() {
        return inFlight.get();
    }

    long sentTotal() {
        return sent.sum();
    }

    long answeredTotal() {
        return answered.sum();
    }

    long errorsTotal() {
        return errors.sum();
    }
}
