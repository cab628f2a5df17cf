package dev.detour.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * An open-loop load of in-process calls, no HTTP: the calling thread walks a fixed-rate schedule like
 * the {@link LoadGenerator}'s scheduler (park, then spin to the intended time), subscribes to a fresh
 * {@code Mono} per request and moves on; latency runs from the intended time to the answer, wherever it
 * arrives. Several {@link Variant}s of the same call are measured <em>interleaved</em>: after a warm-up of
 * each, every variant runs one slice per round (A B C, A B C …), so drift on a shared machine hits them
 * alike. Around each slice, once its last answer is in, the bytes allocated by all threads
 * ({@link AllocationMeter}) are read, so each variant's allocations are its own slices' only.
 */
final class InProcessLoad {

    private static final long HIGHEST_NANOS = LoadGenerator.HIGHEST_MICROS * 1000;
    private static final long DRAIN_NANOS = 10_000_000_000L;

    private final double rate;
    private final Duration warmup;
    private final Duration duration;
    private final int rounds;
    private final PrintStream progress;

    /** {@code rate} calls per second; each variant warms up for {@code warmup}, then runs {@code duration} over {@code rounds} slices. */
    InProcessLoad(double rate, Duration warmup, Duration duration, int rounds, PrintStream progress) {
        this.rate = rate;
        this.warmup = warmup;
        this.duration = duration;
        this.rounds = rounds;
        this.progress = progress;
    }

    /** One way of making the call under test: {@code call} returns a fresh, unsubscribed {@code Mono} per request. */
    record Variant(String name, Supplier<Mono<?>> call) {
    }

    /**
     * What one variant measured: {@code phase} in µs for the report's tables, {@code nanos} the same
     * latencies in ns for the added figures, and the bytes allocated by every thread during its slices.
     */
    record Measured(String name, Phase phase, Histogram nanos, long bytes) {

        /** Bytes allocated per call sent. */
        double bytesPerCall() {
            return phase.sent() == 0 ? Double.NaN : (double) bytes / phase.sent();
        }

        /** The latency at {@code percentile}, in µs with ns resolution. */
        double micros(double percentile) {
            return nanos.getValueAtPercentile(percentile) / 1000.0;
        }

        /** The mean latency, in µs. */
        double meanMicros() {
            return nanos.getMean() / 1000.0;
        }
    }

    /** Measures {@code variants} interleaved; {@code label} names the progress line. */
    List<Measured> run(String label, List<Variant> variants) {
        List<Tally> tallies = new ArrayList<>();
        for (Variant variant : variants) {
            tallies.add(new Tally(variant));
            slice(variant, warmup.toNanos(), null);
        }
        long sliceNanos = Math.max(1, duration.toNanos() / rounds);
        for (int round = 1; round <= rounds; round++) {
            for (Tally tally : tallies) {
                if (progress != null) {
                    progress.printf(Locale.ROOT, "\r[%s] round %d/%d %-40s", label, round, rounds, tally.variant.name());
                    progress.flush();
                }
                slice(tally.variant, sliceNanos, tally);
            }
        }
        if (progress != null) {
            progress.println();
        }
        List<Measured> measured = new ArrayList<>();
        for (Tally tally : tallies) {
            tally.phase.end(tally.measuredNanos);
            tally.phase.freeze();
            measured.add(new Measured(tally.variant.name(), tally.phase, tally.nanos.getIntervalHistogram(), tally.bytes));
        }
        return measured;
    }

    private void slice(Variant variant, long nanos, Tally tally) {
        Arrivals arrivals = Arrivals.fixed(rate);
        AtomicInteger inFlight = new AtomicInteger();
        long bytesBefore = tally == null ? 0 : AllocationMeter.allocatedBytes();
        long start = System.nanoTime() + 1_000_000L;
        long end = start + nanos;
        while (true) {
            long intended = start + arrivals.next();
            if (intended - end >= 0) {
                break;
            }
            LoadGenerator.waitUntil(intended);
            long fired = System.nanoTime();
            if (tally != null) {
                tally.phase.sent(fired - intended);
            }
            inFlight.incrementAndGet();
            variant.call().get().subscribe(new Answer(tally, intended, fired, inFlight));
        }
        long drainUntil = System.nanoTime() + DRAIN_NANOS;
        while (inFlight.get() > 0 && System.nanoTime() - drainUntil < 0) {
            LockSupport.parkNanos(100_000L);
        }
        if (tally != null) {
            tally.bytes += AllocationMeter.allocatedBytes() - bytesBefore;
            tally.measuredNanos += end - start;
            for (int unanswered = inFlight.get(); unanswered > 0; unanswered--) {
                tally.phase.error("no answer");
            }
        }
    }

    /** A variant's measurements over its slices. */
    private static final class Tally {

        final Variant variant;
        final Phase phase;
        final Recorder nanos = new Recorder(HIGHEST_NANOS, 3);
        long bytes;
        long measuredNanos;

        Tally(Variant variant) {
            this.variant = variant;
            this.phase = new Phase(variant.name(), true, 0);
        }
    }

    /** Subscribes to one call and records how it ended; never blocks. */
    private static final class Answer implements CoreSubscriber<Object> {

        private final Tally tally;
        private final long intended;
        private final long fired;
        private final AtomicInteger inFlight;
        private boolean answered;

        Answer(Tally tally, long intended, long fired, AtomicInteger inFlight) {
            this.tally = tally;
            this.intended = intended;
            this.fired = fired;
            this.inFlight = inFlight;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Object value) {
            answered = true;
        }

        @Override
        public void onError(Throwable error) {
            if (tally != null) {
                tally.phase.error(LoadGenerator.errorKind(error));
            }
            inFlight.decrementAndGet();
        }

        @Override
        public void onComplete() {
            long now = System.nanoTime();
            if (tally != null) {
                if (answered) {
                    tally.phase.ok(now - intended, now - fired);
                    tally.nanos.recordValue(Math.min(Math.max(now - intended, 0), HIGHEST_NANOS));
                } else {
                    tally.phase.error("empty");
                }
            }
            inFlight.decrementAndGet();
        }
    }
}
