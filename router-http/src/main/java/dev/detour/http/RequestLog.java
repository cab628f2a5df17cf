package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.detour.llm.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One JSON line per request (route, served-by, attempts, fallback reason, latency …), written by a
 * background thread so that no event loop ever waits on the console, nor spends its time formatting:
 * a line is handed over as it was filled and written out (its time stamp formatted, its JSON encoded)
 * on that thread, in batches. Lines beyond the queue's capacity are dropped and counted rather than
 * slowing requests. Lines hold no secrets: no headers, no bodies.
 */
public final class RequestLog implements AutoCloseable {

    private static final int BATCH = 256;

    private final BlockingQueue<ObjectNode> lines = new ArrayBlockingQueue<>(8192);
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
        if (!open || !lines.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    /** Lines dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    private void drain(PrintStream out) {
        List<ObjectNode> batch = new ArrayList<>(BATCH);
        StringBuilder text = new StringBuilder();
        try {
            while (open || !lines.isEmpty()) {
                ObjectNode line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line == null) {
                    continue;
                }
                batch.add(line);
                lines.drainTo(batch, BATCH - 1);
                for (ObjectNode queued : batch) {
                    text.append(text(queued)).append(System.lineSeparator());
                }
                batch.clear();
                out.print(text);
                out.flush();
                text.setLength(0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
