package dev.detour.test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer (or any other leak-tracked resource) while
 * it ran. Registered for every test class through JUnit's extension auto-detection
 * ({@code META-INF/services} and {@code junit-platform.properties} in the test resources).
 *
 * <p>Netty's detector only logs. This extension installs, when JUnit loads it and so before any
 * allocator exists, a {@link ResourceLeakDetectorFactory} whose detectors also record each report.
 * After each class it collects garbage, makes every detector look for collected resources, and
 * throws an {@link AssertionError} naming the leaks found. A leak is found only once its resource is
 * garbage-collected, so it may be charged to a later class than the one that caused it; Netty reports
 * the same allocation path only once per JVM.
 */
public final class LeakDetectionExtension implements AfterAllCallback {

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final List<RecordingDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
        ByteBuf probe = Unpooled.directBuffer(1);
        probe.release();
        if (DETECTORS.stream().noneMatch(detector -> detector.type.equals(ByteBuf.class))) {
            throw new IllegalStateException("Netty created its ByteBuf leak detector before "
                    + LeakDetectionExtension.class.getSimpleName() + " could install its factory");
        }
    }

    /** Fails the class when leaks were reported since the last check. */
    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty leak(s) reported by the end of "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    /**
     * Collects garbage, makes Netty report the leaks it finds, and returns and forgets every report
     * received since the last call, each as the resource type followed by Netty's access records.
     * Call it from a test thread: it waits for the collector.
     */
    public static List<String> collectLeaks() {
        for (int i = 0; i < 2; i++) {
            awaitGarbageCollection();
        }
        releaseFreshBuffers();
        for (RecordingDetector<?> detector : DETECTORS) {
            detector.sweep();
        }
        List<String> leaks = new ArrayList<>();
        for (String leak = LEAKS.poll(); leak != null; leak = LEAKS.poll()) {
            leaks.add(leak);
        }
        return leaks;
    }

    static void record(String leak) {
        LEAKS.add(leak);
    }

    private static void awaitGarbageCollection() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        try {
            queue.remove(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sentinel.clear();
    }

    private static void releaseFreshBuffers() {
        PooledByteBufAllocator.DEFAULT.heapBuffer(1).release();
        PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
        Unpooled.directBuffer(1).release();
        Unpooled.buffer(1).release();
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            RecordingDetector<T> detector = new RecordingDetector<>(resource, samplingInterval);
            DETECTORS.add(detector);
            return detector;
        }

        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {

        private final Class<T> type;

        RecordingDetector(Class<T> type, int samplingInterval) {
            super(type, samplingInterval);
            this.type = type;
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            record(resourceType + ".release() was not called before it was garbage-collected." + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            record(resourceType + ".release() was not called before it was garbage-collected"
                    + " (no access records; use -Dio.netty.leakDetection.level=advanced to see where)");
            super.reportUntracedLeak(resourceType);
        }

        @SuppressWarnings("unchecked")
        void sweep() {
            T probe = (T) new Object();
            ResourceLeakTracker<T> tracker = trackForcibly(probe);
            tracker.close(probe);
        }
    }
}
