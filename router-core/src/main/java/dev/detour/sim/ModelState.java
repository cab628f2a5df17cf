package dev.detour.sim;

import java.io.IOException;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.netty.channel.AbortedException;

/** The counters, script position and random generator of one model of a simulator. */
final class ModelState {

    private final String model;
    private final Long seed;
    private final Random seeded;
    private final AtomicLong position = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private volatile long generation;

    ModelState(String model, Long seed) {
        this.model = model;
        this.seed = seed;
        this.seeded = seed == null ? null : new Random(seedFor(model, seed));
    }

    private static long seedFor(String model, long seed) {
        return seed ^ model.hashCode() * 0x9E3779B97F4A7C15L;
    }

    /** The generator for this model's draws: seeded per model when the simulator has a seed. */
    RandomGenerator random() {
        return seeded != null ? seeded : ThreadLocalRandom.current();
    }

    /** The 0-based number of the next scripted request. */
    long nextPosition() {
        return position.getAndIncrement();
    }

    /** Starts counting one exchange. */
    Ticket open() {
        Ticket ticket = new Ticket(this, generation);
        requests.incrementAndGet();
        inFlight.incrementAndGet();
        changed();
        return ticket;
    }

    private void ended(Ticket ticket, boolean finished) {
        inFlight.decrementAndGet();
        if (ticket.openedIn == generation) {
            (finished ? completed : disconnects).incrementAndGet();
        }
        changed();
    }

    ModelStats snapshot() {
        return new ModelStats(model, requests.get(), completed.get(), disconnects.get(), inFlight.get());
    }

    /** Clears the counters (not the in-flight gauge), the script position and the random sequence. */
    void reset() {
        generation++;
        requests.set(0);
        completed.set(0);
        disconnects.set(0);
        position.set(0);
        if (seeded != null) {
            seeded.setSeed(seedFor(model, seed));
        }
        changed();
    }

    /** Starts the script again from its first step. */
    void restartScript() {
        position.set(0);
    }

    Mono<ModelStats> await(Predicate<? super ModelStats> condition) {
        return Mono.create(sink -> {
            Waiter waiter = new Waiter(condition, sink);
            waiters.add(waiter);
            sink.onDispose(() -> waiters.remove(waiter));
            waiter.check(snapshot());
        });
    }

    private void changed() {
        if (waiters.isEmpty()) {
            return;
        }
        ModelStats now = snapshot();
        for (Waiter waiter : waiters) {
            waiter.check(now);
        }
    }

    /**
     * One exchange, which ends once: as completed when the simulator produced all it meant to send
     * (or closed the connection on purpose), as a disconnect when it ended before that.
     */
    static final class Ticket {

        /** A ticket that counts nothing, for requests that name no model. */
        static final Ticket NONE = new Ticket(null, 0);

        private final ModelState state;
        private final long openedIn;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile boolean sent;

        private Ticket(ModelState state, long openedIn) {
            this.state = state;
            this.openedIn = openedIn;
        }

        /** The simulator has produced the whole response (or is about to close the connection on purpose). */
        void sent() {
            sent = true;
        }

        /** The exchange ended without an error: completed if everything was produced, a disconnect otherwise. */
        void ended() {
            end(sent);
        }

        /** The exchange failed: a disconnect when the connection broke before everything was produced. */
        void failed(Throwable error) {
            end(sent || !(error instanceof AbortedException || error instanceof IOException));
        }

        private void end(boolean completed) {
            if (state != null && ended.compareAndSet(false, true)) {
                state.ended(this, completed);
            }
        }
    }

    private static final class Waiter {

        private final Predicate<? super ModelStats> condition;
        private final MonoSink<ModelStats> sink;
        private final AtomicBoolean done = new AtomicBoolean();

        Waiter(Predicate<? super ModelStats> condition, MonoSink<ModelStats> sink) {
            this.condition = condition;
            this.sink = sink;
        }

        void check(ModelStats stats) {
            boolean met;
            try {
                met = condition.test(stats);
            } catch (RuntimeException e) {
                if (done.compareAndSet(false, true)) {
                    sink.error(e);
                }
                return;
            }
            if (met && done.compareAndSet(false, true)) {
                sink.success(stats);
            }
        }
    }
}
