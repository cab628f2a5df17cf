package dev.detour.core.internal;

import java.time.Duration;
import java.util.Arrays;

/**
 * Counters over a sliding time window, kept in ten buckets keyed by their epoch (time divided by a tenth
 * of the window): a bucket is reused, and cleared, when time reaches its next epoch, and totals add up
 * the buckets of the last window. A time more than a window before the latest one counted is too old
 * and is not counted. Not thread-safe: each user holds its own lock.
 */
final class TimeBuckets {

    static final int BUCKETS = 10;

    private static final long EMPTY = Long.MIN_VALUE;

    private final long bucketNanos;
    private final int counters;
    private final long[] epochs = new long[BUCKETS];
    private final long[] counts;
    private long latest = EMPTY;

    /** {@code counters} counters over {@code window} (at least ten nanoseconds). */
    TimeBuckets(Duration window, int counters) {
        this.bucketNanos = window.toNanos() / BUCKETS;
        this.counters = counters;
        this.counts = new long[BUCKETS * counters];
        Arrays.fill(epochs, EMPTY);
    }

    /**
     * The bucket counting {@code nowNanos}, cleared if it held an older epoch; -1 when {@code nowNanos}
     * is a whole window older than the latest time counted.
     */
    int bucket(long nowNanos) {
        long epoch = Math.floorDiv(nowNanos, bucketNanos);
        if (latest != EMPTY && latest - epoch >= BUCKETS) {
            return -1;
        }
        latest = latest == EMPTY ? epoch : Math.max(latest, epoch);
        int index = (int) Math.floorMod(epoch, (long) BUCKETS);
        if (epochs[index] != epoch) {
            epochs[index] = epoch;
            Arrays.fill(counts, index * counters, (index + 1) * counters, 0);
        }
        return index;
    }

    /** Adds one to {@code counter} at {@code nowNanos}, unless that time is too old. */
    void count(long nowNanos, int counter) {
        int bucket = bucket(nowNanos);
        if (bucket >= 0) {
            counts[bucket * counters + counter]++;
        }
    }

    /** Adds one to {@code counter} in {@code bucket}, a value {@link #bucket} returned. */
    void increment(int bucket, int counter) {
        counts[bucket * counters + counter]++;
    }

    /**
     * Puts into {@code totals} each counter's sum over the window that ends at {@code nowNanos}, or at the
     * latest time counted when that is later.
     */
    void totals(long nowNanos, long[] totals) {
        long current = Math.floorDiv(nowNanos, bucketNanos);
        if (latest != EMPTY && latest > current) {
            current = latest;
        }
        Arrays.fill(totals, 0, counters, 0);
        for (int i = 0; i < BUCKETS; i++) {
            if (epochs[i] != EMPTY && epochs[i] <= current && current - epochs[i] < BUCKETS) {
                for (int c = 0; c < counters; c++) {
                    totals[c] += counts[i * counters + c];
                }
            }
        }
    }

    /** Forgets everything counted. */
    void clear() {
        Arrays.fill(epochs, EMPTY);
        Arrays.fill(counts, 0);
        latest = EMPTY;
    }
}
