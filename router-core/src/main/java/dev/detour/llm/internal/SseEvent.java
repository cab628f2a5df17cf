package dev.detour.llm.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One server-sent event, as dispatched by {@link SseParser} or written by {@link #encode()}.
 *
 * @param event the event type, or null when the stream gave none (the type is then {@code message})
 * @param data  the data lines joined with {@code \n}; never null, may be empty
 * @param id    the last event ID the stream set, or null when it set none
 */
public record SseEvent(String event, String data, String id) {

    /** The data OpenAI-style streams send last. */
    public static final String DONE = "[DONE]";

    /**
     * Checks the fields: {@code data} is required; {@code event} and {@code id} must fit on one line,
     * and {@code id} must not contain NUL (a parser would ignore it).
     */
    public SseEvent {
        Objects.requireNonNull(data, "data");
        if (event != null && hasLineBreak(event)) {
            throw new IllegalArgumentException("event type must not contain a line break: " + quote(event));
        }
        if (id != null && (hasLineBreak(id) || id.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("event id must not contain a line break or NUL: " + quote(id));
        }
    }

    /** A {@code message} event without an ID. */
    public static SseEvent of(String data) {
        return new SseEvent(null, data, null);
    }

    /** Whether the data is exactly {@value #DONE}. */
    public boolean isDone() {
        return DONE.equals(data);
    }

    /**
     * The event as it goes on the wire: {@code event: } and {@code id: } lines when set, one
     * {@code data: } line per line of data (CRLF, CR and LF all break lines), then a blank line.
     * {@link #writeTo(ByteBuf)} writes the same bytes into a buffer.
     */
    public String encode() {
        return text(writeTo(Unpooled.buffer(data.length() + 16)));
    }

    /** Writes the event as it goes on the wire into {@code out} ({@link SseWriter}); returns {@code out}. */
    public ByteBuf writeTo(ByteBuf out) {
        return SseWriter.event(out, event, id, data);
    }

    /**
     * A comment, which parsers ignore; sent as a heartbeat to keep a connection open. Each line of
     * {@code text} becomes a {@code : } line, and a blank line follows.
     */
    public static String comment(String text) {
        Objects.requireNonNull(text, "text");
        return text(SseWriter.comment(Unpooled.buffer(text.length() + 4), text));
    }

    private static String text(ByteBuf encoded) {
        try {
            return encoded.toString(StandardCharsets.UTF_8);
        } finally {
            encoded.release();
        }
    }

    private static boolean hasLineBreak(String text) {
        return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
    }

    private static String quote(String text) {
        return '"' + text.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0") + '"';
    }
}
