package dev.detour.llm.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ByteProcessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An incremental parser of a {@code text/event-stream} body, following the "event stream
 * interpretation" of the WHATWG HTML standard. Bytes arrive in chunks of any size: a line, a CRLF
 * pair or a UTF-8 character may be split between two chunks.
 *
 * <ul>
 *   <li>Lines end in LF, CR or CRLF. One UTF-8 byte order mark at the start of the stream is skipped.</li>
 *   <li>{@code field: value} lines (one space after the colon is dropped); a line without a colon is a
 *       field with an empty value; lines starting with {@code :} are comments and are ignored.</li>
 *   <li>{@code data} lines are joined with {@code \n}; {@code event} sets the type of the event;
 *       {@code id} sets the last event ID, which every later event carries until another {@code id}
 *       (an empty one clears it; one containing NUL is ignored); {@code retry} and unknown fields are
 *       ignored.</li>
 *   <li>A blank line dispatches the event if it has data (an event without {@code data} lines is
 *       dropped), then clears the type and the data.</li>
 *   <li>At the end of the stream an event not closed by a blank line is not dispatched;
 *       {@link #truncated()} tells whether the stream was cut that way.</li>
 * </ul>
 *
 * <p>Memory is bounded: when the line being read plus the data of the event being read grow over
 * {@code maxEventBytes}, {@code feed} throws {@link SseException} and the parser is unusable.
 *
 * <p>A parser reads one stream and is not thread-safe.
 */
public final class SseParser {

    /** The default bound of one event: 1 MiB. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;

    private static final int INITIAL_CAPACITY = 256;
    private static final int RETAINED_CAPACITY = 64 * 1024;

    private final int maxEventBytes;

    private byte[] line = new byte[INITIAL_CAPACITY];
    private int lineLength;
    private byte[] data = new byte[INITIAL_CAPACITY];
    private int dataLength;
    private boolean hasData;
    private String eventType;
    private String lastEventId;
    private boolean skipLf;
    private boolean firstLine = true;
    private boolean finished;
    private boolean failed;

    /** A parser whose events may be up to {@value #DEFAULT_MAX_EVENT_BYTES} bytes. */
    public SseParser() {
        this(DEFAULT_MAX_EVENT_BYTES);
    }

    /** A parser whose events (the pending line plus the data read so far) may be up to {@code maxEventBytes}. */
    public SseParser(int maxEventBytes) {
        this.maxEventBytes = requirePositive(maxEventBytes);
    }

    /**
     * Parses the readable bytes of {@code body} into events. Each buffer is read within its
     * {@code onNext} and neither retained nor released: buffers stay owned by the source (Reactor
     * Netty's {@code receive()} releases them after {@code onNext} returns; any other source must
     * release them itself).
     *
     * <p>Each subscription parses afresh. When the body completes inside an event, the flux fails with
     * {@code SseException("stream ended inside an event")}; an event over {@code maxEventBytes} fails
     * it with the {@code SseException} of {@link #feed(ByteBuf)} and cancels the body.
     */
    public static Flux<SseEvent> decode(Flux<ByteBuf> body, int maxEventBytes) {
        Objects.requireNonNull(body, "body");
        requirePositive(maxEventBytes);
        return Flux.defer(() -> {
            SseParser parser = new SseParser(maxEventBytes);
            // hide() stops fusion, which would move feed() from onNext to a later poll().
            return body.hide()
                    .map(parser::feed)
                    .concatMapIterable(Function.identity())
                    .concatWith(Mono.defer(() -> {
                        parser.finish();
                        return parser.truncated()
                                ? Mono.error(new SseException("stream ended inside an event"))
                                : Mono.empty();
                    }));
        });
    }

    /**
     * Parses the readable bytes of {@code chunk} and returns the events they complete, in order (often
     * none). The reader index is not moved and the buffer is not released: the caller owns it.
     *
     * @throws SseException when an event grows over the bound
     * @throws IllegalStateException after {@link #finish()} or after an {@code SseException}
     */
    public List<SseEvent> feed(ByteBuf chunk) {
        Objects.requireNonNull(chunk, "chunk");
        if (finished) {
            throw new IllegalStateException("parser already finished");
        }
        if (failed) {
            throw new IllegalStateException("parser already failed");
        }
        try {
            return parse(chunk, chunk.readerIndex(), chunk.writerIndex());
        } catch (SseException e) {
            failed = true;
            throw e;
        }
    }

    /**
     * Parses {@code chunk} and returns the events it completes, in order (often none).
     *
     * @throws SseException when an event grows over the bound
     * @throws IllegalStateException after {@link #finish()} or after an {@code SseException}
     */
    public List<SseEvent> feed(byte[] chunk) {
        return feed(Unpooled.wrappedBuffer(chunk));
    }

    /**
     * Ends the stream. An event not closed by a blank line is discarded, as the standard says, so the
     * list is always empty; {@link #truncated()} then tells whether one was. Later calls to
     * {@code feed} throw {@link IllegalStateException}.
     */
    public List<SseEvent> finish() {
        finished = true;
        return List.of();
    }

    /**
     * Whether the bytes fed so far end inside an event: after data lines not yet closed by a blank
     * line, or inside a line. Checked after {@link #finish()}, it tells a cut stream from a whole one.
     */
    public boolean truncated() {
        return hasData || pendingLineLength() > 0;
    }

    private List<SseEvent> parse(ByteBuf chunk, int index, int end) {
        List<SseEvent> events = null;
        if (skipLf && index < end) {
            if (chunk.getByte(index) == '\n') {
                index++;
            }
            skipLf = false;
        }
        while (index < end) {
            int lineEnd = chunk.forEachByte(index, end - index, ByteProcessor.FIND_CRLF);
            if (lineEnd < 0) {
                append(chunk, index, end - index);
                break;
            }
            SseEvent event;
            int length = lineEnd - index;
            if (lineLength == 0 && chunk.hasArray()) {
                checkBound(length);
                event = line(chunk.array(), chunk.arrayOffset() + index, length);
            } else {
                append(chunk, index, length);
                event = line(line, 0, lineLength);
                lineLength = 0;
            }
            if (event != null) {
                if (events == null) {
                    events = new ArrayList<>(2);
                }
                events.add(event);
            }
            index = lineEnd + 1;
            if (chunk.getByte(lineEnd) == '\r') {
                if (index < end) {
                    if (chunk.getByte(index) == '\n') {
                        index++;
                    }
                } else {
                    skipLf = true;
                }
            }
        }
        return events == null ? List.of() : events;
    }

    private void append(ByteBuf chunk, int index, int length) {
        checkBound(lineLength + length);
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, grow(line.length, lineLength + length));
        }
        chunk.getBytes(index, line, lineLength, length);
        lineLength += length;
    }

    private void checkBound(int pendingLine) {
        if ((long) pendingLine + dataLength > maxEventBytes) {
            throw new SseException("server-sent event larger than " + maxEventBytes + " bytes");
        }
    }

    private int grow(int capacity, int needed) {
        return (int) Math.min(Math.max(needed, 2L * capacity), Math.max(needed, maxEventBytes + 1L));
    }

    private SseEvent line(byte[] bytes, int offset, int length) {
        if (firstLine) {
            firstLine = false;
            if (startsWithBom(bytes, offset, length)) {
                offset += 3;
                length -= 3;
            }
        }
        if (length == 0) {
            return dispatch();
        }
        if (bytes[offset] == ':') {
            return null;
        }
        int end = offset + length;
        int colon = offset;
        while (colon < end && bytes[colon] != ':') {
            colon++;
        }
        int nameLength = colon - offset;
        int valueStart = Math.min(colon + 1, end);
        if (valueStart < end && bytes[valueStart] == ' ') {
            valueStart++;
        }
        int valueLength = end - valueStart;
        if (is("data", bytes, offset, nameLength)) {
            appendData(bytes, valueStart, valueLength);
        } else if (is("event", bytes, offset, nameLength)) {
            eventType = valueLength == 0 ? null : new String(bytes, valueStart, valueLength, UTF_8);
        } else if (is("id", bytes, offset, nameLength) && !containsNul(bytes, valueStart, valueLength)) {
            lastEventId = valueLength == 0 ? null : new String(bytes, valueStart, valueLength, UTF_8);
        }
        return null;
    }

    private void appendData(byte[] bytes, int offset, int length) {
        int separator = hasData ? 1 : 0;
        int needed = dataLength + separator + length;
        if (needed > data.length) {
            data = Arrays.copyOf(data, grow(data.length, needed));
        }
        if (hasData) {
            data[dataLength] = '\n';
        }
        System.arraycopy(bytes, offset, data, dataLength + separator, length);
        dataLength = needed;
        hasData = true;
    }

    private SseEvent dispatch() {
        SseEvent event = hasData ? new SseEvent(eventType, new String(data, 0, dataLength, UTF_8), lastEventId) : null;
        eventType = null;
        dataLength = 0;
        hasData = false;
        if (data.length > RETAINED_CAPACITY) {
            data = new byte[INITIAL_CAPACITY];
        }
        if (line.length > RETAINED_CAPACITY) {
            line = new byte[INITIAL_CAPACITY];
        }
        return event;
    }

    private int pendingLineLength() {
        if (firstLine && isBomPrefix(line, lineLength)) {
            return 0;
        }
        return lineLength;
    }

    private static boolean startsWithBom(byte[] bytes, int offset, int length) {
        return length >= 3 && bytes[offset] == (byte) 0xEF && bytes[offset + 1] == (byte) 0xBB
                && bytes[offset + 2] == (byte) 0xBF;
    }

    private static boolean isBomPrefix(byte[] bytes, int length) {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        if (length > 3) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (bytes[i] != bom[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean is(String name, byte[] bytes, int offset, int length) {
        if (name.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (bytes[offset + i] != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean containsNul(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        return false;
    }

    private static int requirePositive(int maxEventBytes) {
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes must be at least 1, was " + maxEventBytes);
        }
        return maxEventBytes;
    }
}
