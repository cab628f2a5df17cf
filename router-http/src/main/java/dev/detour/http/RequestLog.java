package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One JSON line per request (route, served-by, attempts, fallback reason, latency …), written by a
 * background thread so that no event loop ever waits on the console. Lines beyond the queue's capacity
 * are dropped and counted rather than slowing requests. Lines hold no secrets: no headers, no bodies.
 */
public final class RequestLog implements AutoCloseable {

    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(8192);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean open = true;

    /** A log writing to {@code out}. */
    public RequestLog(PrintStream out) {
        writer = new Thread(() -> drain(out), "detour-request-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Starts a line; fill it and {@link #write} it. */
    public ObjectNode line() {
        ObjectNode line = Json.newObject();
        line.put("ts", java.time.Instant.now().toString());
        return line;
    }

    /** Queues a line; never blocks. */
    public void write(ObjectNode line) {
        if (!open || !lines.offer(new String(Json.bytes(line), StandardCharsets.UTF_8))) {
            dropped.incrementAndGet();
        }
    }

    /** Lines dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    private void drain(PrintStream out) {
        try {
            while (open || !lines.isEmpty()) {
                String line = lines.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (line != null) {
                    out.println(line);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.flush();
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
