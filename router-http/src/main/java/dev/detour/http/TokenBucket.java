package dev.detour.http;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.LongSupplier;

/**
 * A token bucket of {@code capacity} tokens refilled at {@code perMinute} a minute, in memory and lock-free:
 * its whole state is one {@code long} (the time at which the bucket would be empty again if nothing more were
 * taken, the "theoretical arrival time" of GCRA), changed by compare-and-set, so taking a token never blocks.
 * Time comes from a nanosecond clock ({@link System#nanoTime} in service, any counter in a test).
 */
final class TokenBucket {

    private static final AtomicLongFieldUpdater<TokenBucket> FULL_AT =
            AtomicLongFieldUpdater.newUpdater(TokenBucket.class, "fullAt");

    private final int perMinute;
    private final long interval;
    private final long burst;
    private final LongSupplier clock;
    /** When the bucket is full again: at or before now, it is full; each token taken moves it one interval later. */
    private volatile long fullAt;

    /** A bucket of {@code perMinute} tokens, full, refilled evenly at {@code perMinute} a minute. */
    TokenBucket(int perMinute, LongSupplier nanoClock) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("requests-per-minute must be at least 1, was " + perMinute);
        }
        this.perMinute = perMinute;
        this.interval = TimeUnit.MINUTES.toNanos(1) / perMinute;
        this.burst = interval * perMinute;
        this.clock = nanoClock;
        this.fullAt = nanoClock.getAsLong();
    }

    /** The rate, in tokens a minute (also the capacity). */
    int perMinute() {
        return perMinute;
    }

    /** Takes a token: 0 when there was one, else the nanoseconds until the next one (nothing taken). */
    long tryTake() {
        long now = clock.getAsLong();
        while (true) {
            long current = fullAt;
            long from = current - now > 0 ? current : now;
            long next = from + interval;
            long over = next - now - burst;
            if (over > 0) {
                return over;
            }
            if (FULL_AT.compareAndSet(this, current, next)) {
                return 0;
            }
        }
    }

    /** {@code nanos} as whole seconds, rounded up, at least 1: what a {@code retry-after} header says. */
    static long retryAfterSeconds(long nanos) {
        return Math.max(1, (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
    }
}
