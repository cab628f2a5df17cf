package dev.detour.llm.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Writes server-sent events straight into a Netty {@link ByteBuf}, for every Detour component that sends
 * them (the router's stream relay, the simulator, {@link SseEvent#encode()}). An event is an
 * {@code event:} line when it has a type, an {@code id:} line when it has an ID, one {@code data:} line
 * per line of its data (CRLF, CR and LF all break lines), then a blank line; a comment, which parsers
 * ignore, is one {@code :} line per line of its text, then a blank line. Data given as bytes is copied
 * once, into the buffer, and never decoded.
 */
public final class SseWriter {

    private static final byte[] EVENT = ascii("event: ");
    private static final byte[] ID = ascii("id: ");
    private static final byte[] DATA = ascii("data: ");
    private static final byte[] COMMENT = ascii(": ");

    private SseWriter() {
    }

    /**
     * A buffer from {@code alloc}, sized for the event, holding the event of type {@code event} (null for
     * none) whose data is the UTF-8 {@code data}.
     */
    public static ByteBuf event(ByteBufAllocator alloc, String event, byte[] data) {
        int size = DATA.length + data.length + 2 + (event == null ? 0 : EVENT.length + ByteBufUtil.utf8Bytes(event) + 1);
        return event(alloc.buffer(size), event, data);
    }

    /** Writes into {@code out} the event of type {@code event} (null for none) whose data is the UTF-8 {@code data}; returns {@code out}. */
    public static ByteBuf event(ByteBuf out, String event, byte[] data) {
        Objects.requireNonNull(data, "data");
        field(out, EVENT, event);
        int start = 0;
        int length = data.length;
        for (int i = 0; i < length; i++) {
            byte b = data[i];
            if (b == '\n' || b == '\r') {
                out.writeBytes(DATA).writeBytes(data, start, i - start).writeByte('\n');
                if (b == '\r' && i + 1 < length && data[i + 1] == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        out.writeBytes(DATA).writeBytes(data, start, length - start).writeByte('\n');
        return out.writeByte('\n');
    }

    /**
     * Writes into {@code out} the event of type {@code event} and ID {@code id} (each null for none) whose
     * data is {@code data}; returns {@code out}.
     */
    public static ByteBuf event(ByteBuf out, String event, String id, CharSequence data) {
        Objects.requireNonNull(data, "data");
        field(out, EVENT, event);
        field(out, ID, id);
        lines(out, DATA, data);
        return out.writeByte('\n');
    }

    /** Writes into {@code out} a comment of {@code text}, a line of it per line; returns {@code out}. */
    public static ByteBuf comment(ByteBuf out, CharSequence text) {
        lines(out, COMMENT, Objects.requireNonNull(text, "text"));
        return out.writeByte('\n');
    }

    private static void field(ByteBuf out, byte[] name, String value) {
        if (value == null) {
            return;
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("an SSE field must fit on one line: " + value.replace("\n", "\\n").replace("\r", "\\r"));
        }
        out.writeBytes(name);
        ByteBufUtil.writeUtf8(out, value);
        out.writeByte('\n');
    }

    private static void lines(ByteBuf out, byte[] prefix, CharSequence text) {
        int start = 0;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                out.writeBytes(prefix);
                ByteBufUtil.writeUtf8(out, text, start, i);
                out.writeByte('\n');
                if (c == '\r' && i + 1 < length && text.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        out.writeBytes(prefix);
        ByteBufUtil.writeUtf8(out, text, start, length);
        out.writeByte('\n');
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
