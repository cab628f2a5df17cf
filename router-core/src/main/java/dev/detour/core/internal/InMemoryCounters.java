package dev.detour.core.internal;

import dev.detour.core.spi.Counters;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.LongSupplier;
import reactor.core.publisher.Mono;

/**
 * {@link Counters} of one router, in memory and lock-free: each counter holds only its current window
 * (a window index and a total), replaced by compare-and-set when the clock has moved into a later
 * window, so an old window is dropped the moment its counter is next used. Windows are aligned to
 * multiples of their length since the epoch of {@code clock} (milliseconds: the router's scheduler, so
 * virtual time in tests moves them).
 */
public final class InMemoryCounters implements Counters {

    private final LongSupplier clock;
    private final ConcurrentHashMap<Duration, ConcurrentHashMap<String, Counter>> windows = new ConcurrentHashMap<>();

    /** Counters on {@code epochMillis}, the milliseconds since the epoch. */
    public InMemoryCounters(LongSupplier epochMillis) {
        this.clock = Objects.requireNonNull(epochMillis, "epochMillis");
    }

    @Override
    public Mono<Long> add(String key, long amount, Duration window) {
        return Mono.fromSupplier(() -> addNow(key, amount, window));
    }

    /** {@link #add}, counted and answered at once (the {@code Mono} of {@link #add} counts when subscribed). */
    public long addNow(String key, long amount, Duration window) {
        long length = length(window);
        long index = Math.floorDiv(clock.getAsLong(), length);
        Counter counter = windows.computeIfAbsent(window, w -> new ConcurrentHashMap<>())
                .computeIfAbsent(key, k -> new Counter());
        return counter.current(index).addAndGet(amount);
    }

    @Override
    public Duration untilWindowEnds(Duration window) {
        long length = length(window);
        return Duration.ofMillis(length - Math.floorMod(clock.getAsLong(), length));
    }

    private static long length(Duration window) {
        long length = window.toMillis();
        if (length < 1) {
            throw new IllegalArgumentException("a counter window must be at least 1ms, was " + window);
        }
        return length;
    }

    /** One counter: its current window. */
    private static final class Counter {

        private static final AtomicReferenceFieldUpdater<Counter, Window> WINDOW =
                AtomicReferenceFieldUpdater.newUpdater(Counter.class, Window.class, "window");

        private volatile Window window = new Window(Long.MIN_VALUE);

        /** The total of window {@code index}, started at 0 when the counter was in an earlier window. */
        AtomicLong current(long index) {
            while (true) {
                Window held = window;
                if (held.index >= index) {
                    return held.total;
                }
                Window next = new Window(index);
                if (WINDOW.compareAndSet(this, held, next)) {
                    return next.total;
                }
            }
        }
    }

    /** A window's index (its start over its length) and its total. */
    private static final class Window {

        final long index;
        final AtomicLong total = new AtomicLong();

        Window(long index) {
            this.index = index;
        }
    }
}
