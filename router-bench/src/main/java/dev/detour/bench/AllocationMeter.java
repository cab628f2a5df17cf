package dev.detour.bench;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated on the Java heap by every live thread of this JVM, from HotSpot's per-thread
 * counters ({@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long[])}).
 *
 * <p>Summed over all threads rather than the calling one, because the calls measured hop threads (a
 * timeout's timer, a backoff, an event loop, an exporter's batch thread), and all of that is the cost of
 * a call. The price is that anything else running in the JVM counts too, so a series is only ever read
 * against a baseline series measured the same way in the same run. A thread that ends between two
 * readings takes its count with it (an underestimate); the benchmark's threads live for the whole run.
 */
final class AllocationMeter {

    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private AllocationMeter() {
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported()) {
            threads.setThreadAllocatedMemoryEnabled(true);
            return threads;
        }
        return null;
    }

    /** Whether this JVM counts allocations per thread. */
    static boolean supported() {
        return THREADS != null;
    }

    /** The bytes allocated so far by the threads alive now; -1 when not {@linkplain #supported() supported}. */
    static long allocatedBytes() {
        if (THREADS == null) {
            return -1;
        }
        long total = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            if (bytes > 0) {
                total += bytes;
            }
        }
        return total;
    }
}
