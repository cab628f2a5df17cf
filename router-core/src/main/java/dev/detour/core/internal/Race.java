package dev.detour.core.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * One attempt and its hedges racing: while no racer has answered, another starts after each hedge
 * delay, up to the policy's hedges. The first valid answer wins and every other racer is cancelled; a
 * failure ends the race only when nothing else is in flight, so an attempt that fails before its hedge
 * is due falls back at once. Lock-free: one state word (ended, racers started, racers in flight) is
 * changed by compare-and-set, the result is handed over by compare-and-set, and racers and timers
 * that come too late are disposed by the race's {@link Disposable.Composite}. Internal.
 *
 * @param <O> the answer type
 */
public final class Race<O> {

    /** What a race needs of the request it runs in. */
    public interface Racers<O> {

        /** The call of racer {@code k}, from 0: the first one, then each hedge. */
        Mono<Verdict<O>> call(int k);

        /** Whether hedge racer {@code k} may start now (the deadline, the ceilings, the hedge budget). */
        boolean mayStart(int k);

        /** How long to wait before the next hedge. */
        Duration delay();

        /** Racer {@code k} starts as a hedge, {@code delay} after the one before it. */
        void hedged(int k, Duration delay);

        /** A racer's verdict that did not end the race: a failure while others were in flight, or a late answer. */
        void lost(Verdict<O> verdict);

        /** The race's result, which nobody will receive: the caller cancelled. */
        void abandoned(Verdict<O> verdict);
    }

    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<Race> STATE = AtomicLongFieldUpdater.newUpdater(Race.class, "state");
    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<Race, Object> RESULT =
            AtomicReferenceFieldUpdater.newUpdater(Race.class, Object.class, "result");
    private static final long ENDED = 1L << 62;
    private static final long STARTED = 1L << 31;
    private static final long IN_FLIGHT = STARTED - 1;
    private static final Object TAKEN = new Object();

    private final Racers<O> racers;
    private final int positions;
    private final int maxHedges;
    private final Scheduler scheduler;
    private final Disposable.Composite running = Disposables.composite();
    private MonoSink<Verdict<O>> sink;
    private volatile long state;
    private volatile Object result;

    /**
     * A race of at most {@code maxHedges} hedges over {@code positions} positions of a tier's order
     * (racers past them call its last provider again), timed on {@code scheduler}.
     */
    public Race(Racers<O> racers, int positions, int maxHedges, Scheduler scheduler) {
        this.racers = racers;
        this.positions = positions;
        this.maxHedges = maxHedges;
        this.scheduler = scheduler;
    }

    /** The winner's verdict, spanning the positions the race used; subscribe once. */
    public Mono<Verdict<O>> mono() {
        return Mono.<Verdict<O>>create(sink -> {
            this.sink = sink;
            sink.onCancel(this::cancel);
            launch(null);
        }).handle((verdict, sink) -> {
            if (RESULT.compareAndSet(this, verdict, TAKEN)) {
                sink.next(verdict);
            }
        });
    }

    private void launch(Duration after) {
        long s;
        do {
            s = state;
            if ((s & ENDED) != 0) {
                return;
            }
        } while (!STATE.compareAndSet(this, s, s + STARTED + 1));
        int k = started(s);
        if (after != null) {
            racers.hedged(k, after);
        }
        Racer racer = new Racer();
        if (!running.add(racer)) {
            return;
        }
        racers.call(k).contextWrite(sink.contextView()).subscribe(racer);
        scheduleHedge();
    }

    private void scheduleHedge() {
        long s = state;
        if ((s & ENDED) != 0 || started(s) > maxHedges) {
            return;
        }
        Duration delay = racers.delay();
        running.add(scheduler.schedule(() -> hedge(delay), delay.toNanos(), TimeUnit.NANOSECONDS));
    }

    private void hedge(Duration after) {
        long s = state;
        if ((s & ENDED) == 0 && racers.mayStart(started(s))) {
            launch(after);
        }
    }

    private void ended(Verdict<O> verdict) {
        long s;
        long next;
        do {
            s = state;
            if ((s & ENDED) != 0) {
                racers.lost(verdict);
                return;
            }
            next = s - 1;
            if (verdict.answered() || (next & IN_FLIGHT) == 0) {
                next |= ENDED;
            }
        } while (!STATE.compareAndSet(this, s, next));
        if ((next & ENDED) == 0) {
            racers.lost(verdict);
            return;
        }
        running.dispose();
        Verdict<O> won = verdict.spanning(Math.min(started(s), positions));
        if (RESULT.compareAndSet(this, null, won)) {
            sink.success(won);
        } else {
            racers.abandoned(won);
        }
    }

    private void broke(Throwable error) {
        end();
        sink.error(error);
    }

    @SuppressWarnings("unchecked")
    private void cancel() {
        end();
        Object unclaimed = RESULT.getAndSet(this, TAKEN);
        if (unclaimed instanceof Verdict<?> verdict) {
            racers.abandoned((Verdict<O>) verdict);
        }
    }

    private void end() {
        STATE.getAndAccumulate(this, ENDED, (s, ended) -> s | ended);
        running.dispose();
    }

    private static int started(long state) {
        return (int) ((state & ~ENDED) >>> 31);
    }

    private final class Racer extends BaseSubscriber<Verdict<O>> {

        @Override
        protected void hookOnNext(Verdict<O> verdict) {
            ended(verdict);
        }

        @Override
        protected void hookOnError(Throwable error) {
            broke(error);
        }
    }
}
