package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/**
 * The admin API's {@code POST …/jvm/gc}: a full collection ({@link System#gc()}), then the heap each
 * pool holds after its latest collection, read from this JVM's own memory pools (no JMX connection,
 * no attach). What a soak test compares over time to see whether live data grows.
 */
final class HeapAfterGc {

    private HeapAfterGc() {
    }

    /**
     * Collects, then reports {@code heap_used_bytes} and {@code old_gen_used_bytes} after it. Called on
     * the event loop: a full collection stops every thread anyway, so another thread would not spare it.
     */
    static ObjectNode collect() {
        System.gc();
        long heap = 0;
        long old = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage after = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (after != null) {
                heap += after.getUsed();
                old += oldGeneration(pool.getName()) ? after.getUsed() : 0;
            }
        }
        return Json.newObject().put("heap_used_bytes", heap).put("old_gen_used_bytes", old);
    }

    private static boolean oldGeneration(String pool) {
        return pool.contains("Old") || pool.contains("Tenured");
    }
}
