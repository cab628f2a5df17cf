package dev.detour.core.policy;

import java.util.Arrays;

/**
 * The latest latencies of one provider, in a ring of fixed size, with percentiles computed from them.
 * A computed percentile is reused until a sixteenth of the ring has been replaced, so asking per
 * request stays cheap. Thread-safe.
 */
public final class LatencyWindow {

    private final long[] samples;
    private final int refreshEvery;
    private int next;
    private int count;
    private int sinceRefresh;
    private double cachedPercentile = Double.NaN;
    private long cachedValue;

    /** A window over the latest {@code size} latencies. */
    public LatencyWindow(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("latency window size must be at least 1, was " + size);
        }
        this.samples = new long[size];
        this.refreshEvery = Math.max(1, size / 16);
    }

    /** Adds a latency. */
    public synchronized void record(long nanos) {
        samples[next] = nanos;
        next = (next + 1) % samples.length;
        if (count < samples.length) {
            count++;
        }
        sinceRefresh++;
    }

    /** How many latencies the window holds. */
    public synchronized int count() {
        return count;
    }

    /**
     * The latency at {@code percentile} (0 to 1, e.g. 0.95) in nanoseconds, or -1 while the window
     * holds fewer than {@code minSamples}.
     */
    public synchronized long percentile(double percentile, int minSamples) {
        if (count < Math.max(1, minSamples)) {
            return -1;
        }
        if (percentile != cachedPercentile || sinceRefresh >= refreshEvery) {
            long[] sorted = Arrays.copyOf(samples, count);
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(percentile * count) - 1;
            cachedValue = sorted[Math.max(0, Math.min(count - 1, rank))];
            cachedPercentile = percentile;
            sinceRefresh = 0;
        }
        return cachedValue;
    }
}
