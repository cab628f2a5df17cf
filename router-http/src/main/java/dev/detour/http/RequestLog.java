package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.detour.llm.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One JSON line per request (route, served-by, attempts, fallback reason, latency …), written by a
 * background thread so that no event loop ever waits on the console, nor spends its time formatting:
 * a line is handed over as it was filled and written out (its time stamp formatted, its JSON encoded)
 * on that thread, in batches. The queue takes a line without a lock (an event loop never parks on it);
 * lines beyond its capacity are dropped and counted rather than slowing requests. Lines hold no secrets:
 * no headers, no bodies.
 */
public final class RequestLog implements AutoCloseable {

    private static final int CAPACITY = 8192;
    private static final int BATCH = 256;
    private static final long IDLE_NANOS = 20_000_000L;

    private final Queue<ObjectNode> lines = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean open = true;

    /** A log writing to {@code out}. */
    public RequestLog(PrintStream out) {
        writer = new Thread(() -> drain(out), "detour-request-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Starts a line stamped with the time now; fill it and {@link #write} it. */
    public ObjectNode line() {
        ObjectNode line = Json.newObject();
        line.putPOJO("ts", Instant.now());
        return line;
    }

    /** Queues a line, which its caller no longer touches; never blocks. */
    public void write(ObjectNode line) {
        if (!open || queued.incrementAndGet() > CAPACITY) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        lines.offer(line);
    }

    /** Lines dropped because the queue was full, or because they could not be written. */
    public long dropped() {
        return dropped.get();
    }

    private void drain(PrintStream out) {
        StringBuilder text = new StringBuilder();
        while (open || !lines.isEmpty()) {
            int batched = 0;
            for (ObjectNode line = lines.poll(); line != null; line = batched < BATCH ? lines.poll() : null) {
                queued.decrementAndGet();
                try {
                    text.append(text(line)).append(System.lineSeparator());
                } catch (RuntimeException unwritable) {
                    dropped.incrementAndGet();
                }
                batched++;
            }
            if (batched > 0) {
                out.print(text);
                out.flush();
                text.setLength(0);
            } else {
                LockSupport.parkNanos(IDLE_NANOS);
            }
        }
        out.flush();
    }

    /** The line as one line of JSON, its time stamp in ISO-8601. */
    static String text(ObjectNode line) {
        if (line.get("ts") instanceof POJONode stamp && stamp.getPojo() instanceof Instant at) {
            line.put("ts", at.toString());
        }
        return new String(Json.bytes(line), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        open = false;
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
