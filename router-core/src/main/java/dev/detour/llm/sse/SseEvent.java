package dev.detour.llm.sse;

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
     */
    public String encode() {
        StringBuilder out = new StringBuilder(data.length() + 16);
        if (event != null) {
            out.append("event: ").append(event).append('\n');
        }
        if (id != null) {
            out.append("id: ").append(id).append('\n');
        }
        appendLines(out, "data: ", data);
        return out.append('\n').toString();
    }

    /**
     * A comment, which parsers ignore; sent as a heartbeat to keep a connection open. Each line of
     * {@code text} becomes a {@code : } line, and a blank line follows.
     */
    public static String comment(String text) {
        Objects.requireNonNull(text, "text");
        StringBuilder out = new StringBuilder(text.length() + 4);
        appendLines(out, ": ", text);
        return out.append('\n').toString();
    }

    private static void appendLines(StringBuilder out, String prefix, String text) {
        int start = 0;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                out.append(prefix).append(text, start, i).append('\n');
                if (c == '\r' && i + 1 < length && text.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        out.append(prefix).append(text, start, length).append('\n');
    }

    private static boolean hasLineBreak(String text) {
        return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
    }

    private static String quote(String text) {
        return '"' + text.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0") + '"';
    }
}
