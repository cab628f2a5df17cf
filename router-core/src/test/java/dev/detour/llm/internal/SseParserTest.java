package dev.detour.llm.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The server-sent-event parser against the WHATWG rules, chunked every way, and its Reactor operator. */
class SseParserTest {

    private static final String SAMPLE = "\uFEFF: hello\r\n"
            + "event: greeting\r\nid: 1\r\ndata: héllo 😀\r\ndata:second\r\n\r\n"
            + "data: plain\n\n"
            + "data\rretry: 100\rfoo: bar\r\r"
            + "id: 2\nevent: ignored\n\n"
            + "data: [DONE]\n\n";

    private static final List<SseEvent> SAMPLE_EVENTS = List.of(
            new SseEvent("greeting", "héllo 😀\nsecond", "1"),
            new SseEvent(null, "plain", "1"),
            new SseEvent(null, "", "1"),
            new SseEvent(null, "[DONE]", "2"));

    @Test
    void parsesTheSampleInOneChunk() {
        assertThat(parseWhole(SAMPLE.getBytes(UTF_8))).isEqualTo(SAMPLE_EVENTS);
        assertThat(SAMPLE_EVENTS.get(3).isDone()).isTrue();
        assertThat(SAMPLE_EVENTS.get(1).isDone()).isFalse();
    }

    @Test
    void givesTheSameEventsWhereverTheStreamIsSplit() {
        byte[] bytes = SAMPLE.getBytes(UTF_8);
        for (int i = 0; i <= bytes.length; i++) {
            for (int j = i; j <= bytes.length; j++) {
                SseParser parser = new SseParser();
                List<SseEvent> events = new ArrayList<>(parser.feed(Arrays.copyOfRange(bytes, 0, i)));
                events.addAll(parser.feed(Arrays.copyOfRange(bytes, i, j)));
                events.addAll(parser.feed(Arrays.copyOfRange(bytes, j, bytes.length)));
                events.addAll(parser.finish());
                assertThat(events).as("split at %d and %d", i, j).isEqualTo(SAMPLE_EVENTS);
                assertThat(parser.truncated()).isFalse();
            }
        }
    }

    @Test
    void givesTheSameEventsFedByteByByte() {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>();
        for (byte b : SAMPLE.getBytes(UTF_8)) {
            events.addAll(parser.feed(new byte[] {b}));
        }
        assertThat(events).isEqualTo(SAMPLE_EVENTS);
    }

    @Test
    void readsDirectBuffersSlicesAndReaderIndexesWithoutConsumingThem() {
        byte[] bytes = SAMPLE.getBytes(UTF_8);
        int half = bytes.length / 2;
        ByteBuf direct = Unpooled.directBuffer().writeBytes(bytes, 0, half);
        byte[] padded = new byte[bytes.length + 10];
        System.arraycopy(bytes, half, padded, 7, bytes.length - half);
        ByteBuf slice = Unpooled.wrappedBuffer(padded, 5, bytes.length - half + 2);
        slice.skipBytes(2);
        try {
            SseParser parser = new SseParser();
            List<SseEvent> events = new ArrayList<>(parser.feed(direct));
            events.addAll(parser.feed(slice));
            assertThat(events).isEqualTo(SAMPLE_EVENTS);
            assertThat(direct.readerIndex()).isZero();
            assertThat(slice.readerIndex()).isEqualTo(2);
            assertThat(direct.refCnt()).isEqualTo(1);
        } finally {
            direct.release();
        }
    }

    @Test
    void joinsACrlfSplitBetweenChunksIntoOneLineEnd() {
        SseParser parser = new SseParser();
        assertThat(parser.feed(bytes("data: a\r"))).isEmpty();
        assertThat(parser.feed(bytes("\n"))).isEmpty();
        assertThat(parser.feed(bytes("\r"))).containsExactly(SseEvent.of("a"));
        assertThat(parser.feed(bytes("\ndata: b\r\n\r\n"))).containsExactly(SseEvent.of("b"));
    }

    @Test
    void acceptsCrOnlyLineEnds() {
        assertThat(parseWhole(bytes("event: e\rdata: 1\rdata: 2\r\rdata: 3\r\r")))
                .containsExactly(new SseEvent("e", "1\n2", null), SseEvent.of("3"));
    }

    @Test
    void joinsDataLinesAndKeepsEmptyOnes() {
        assertThat(parseWhole(bytes("data: one\ndata:\ndata:  three\n\n")))
                .containsExactly(SseEvent.of("one\n\n three"));
    }

    @Test
    void ignoresCommentsRetryAndUnknownFields() {
        assertThat(parseWhole(bytes(": heartbeat\n\n:\n\nretry: 3000\nDATA: no\nx-y: z\ndata: yes\n\n")))
                .containsExactly(SseEvent.of("yes"));
    }

    @Test
    void namesEventsAndResetsTheNameAfterEachEvent() {
        assertThat(parseWhole(bytes("event: delta\ndata: {}\n\ndata: {}\n\nevent:\ndata: x\n\n")))
                .containsExactly(new SseEvent("delta", "{}", null), SseEvent.of("{}"), SseEvent.of("x"));
    }

    @Test
    void keepsTheLastEventIdUntilAnotherIdClearsOrReplacesIt() {
        assertThat(parseWhole(bytes("id: 7\ndata: a\n\ndata: b\n\nid: 8\0\ndata: c\n\nid\ndata: d\n\n")))
                .containsExactly(new SseEvent(null, "a", "7"), new SseEvent(null, "b", "7"),
                        new SseEvent(null, "c", "7"), SseEvent.of("d"));
    }

    @Test
    void readsAFieldWithoutColonAsAnEmptyValue() {
        assertThat(parseWhole(bytes("data\ndata\n\n"))).containsExactly(SseEvent.of("\n"));
    }

    @Test
    void decodesMultiByteCharactersSplitBetweenChunks() {
        byte[] bytes = bytes("data: é😀\n\n");
        for (int i = 6; i <= 12; i++) {
            SseParser parser = new SseParser();
            List<SseEvent> events = new ArrayList<>(parser.feed(Arrays.copyOfRange(bytes, 0, i)));
            events.addAll(parser.feed(Arrays.copyOfRange(bytes, i, bytes.length)));
            assertThat(events).as("split at %d", i).containsExactly(SseEvent.of("é😀"));
        }
    }

    @Test
    void skipsOneByteOrderMarkAtTheStartOnly() {
        assertThat(parseWhole(bytes("\uFEFFdata: a\n\n"))).containsExactly(SseEvent.of("a"));
        assertThat(parseWhole(bytes("\uFEFF\uFEFFdata: a\n\n"))).isEmpty();
        assertThat(parseWhole(bytes("\ndata: \uFEFFa\n\n"))).containsExactly(SseEvent.of("\uFEFFa"));
        SseParser parser = new SseParser();
        parser.feed(new byte[] {(byte) 0xEF, (byte) 0xBB});
        assertThat(parser.truncated()).isFalse();
        assertThat(parser.feed(new byte[] {(byte) 0xBF})).isEmpty();
        assertThat(parser.feed(bytes("data: b\n\n"))).containsExactly(SseEvent.of("b"));
        SseParser split = new SseParser();
        split.feed(new byte[] {(byte) 0xEF});
        split.feed(new byte[] {(byte) 0xBB, (byte) 0xBF, 'd'});
        assertThat(split.feed(bytes("ata: c\n\n"))).containsExactly(SseEvent.of("c"));
    }

    @Test
    void dropsAnEventWithoutData() {
        assertThat(parseWhole(bytes("event: ping\n\nid: 3\n\n\n\ndata: x\n\n")))
                .containsExactly(new SseEvent(null, "x", "3"));
    }

    @Test
    void failsWhenAnEventGrowsOverTheBound() {
        SseParser parser = new SseParser(16);
        assertThat(parser.feed(bytes("data: 0123456789\n\n"))).containsExactly(SseEvent.of("0123456789"));
        assertThat(parser.feed(bytes("data: 0123456789\n"))).isEmpty();
        assertThatThrownBy(() -> parser.feed(bytes("data: x\n")))
                .isInstanceOf(SseException.class)
                .hasMessage("server-sent event larger than 16 bytes");
        assertThatThrownBy(() -> parser.feed(bytes("\n")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("parser already failed");
    }

    @Test
    void failsOnALongLineBeforeItEnds() {
        SseParser parser = new SseParser();
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'a');
        assertThatThrownBy(() -> {
            for (int i = 0; i < 17; i++) {
                parser.feed(chunk);
            }
        }).isInstanceOf(SseException.class).hasMessage("server-sent event larger than 1048576 bytes");
    }

    @Test
    void rejectsANonPositiveBound() {
        assertThatThrownBy(() -> new SseParser(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxEventBytes must be at least 1, was 0");
    }

    @Test
    void tellsAStreamCutInsideAnEvent() {
        assertThat(truncatedAfter("data: a\n\n")).isFalse();
        assertThat(truncatedAfter("data: a\n\nevent: x\n")).isFalse();
        assertThat(truncatedAfter("data: a\n")).isTrue();
        assertThat(truncatedAfter("data: a\n\ndata: b")).isTrue();
        assertThat(truncatedAfter(": ping")).isTrue();
        SseParser parser = new SseParser();
        assertThat(parser.feed(bytes("data: a"))).isEmpty();
        assertThat(parser.finish()).isEmpty();
        assertThat(parser.truncated()).isTrue();
        assertThatThrownBy(() -> parser.feed(bytes("\n\n")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("parser already finished");
    }

    @Test
    void decodeLeavesTheBuffersToTheirOwner() {
        List<ByteBuf> buffers = chunks("event: a\ndata: 1\n", "\ndata: 2\n\n", "data: [DONE]\n\n");
        try {
            StepVerifier.create(SseParser.decode(Flux.fromIterable(buffers), 1024))
                    .expectNext(new SseEvent("a", "1", null), SseEvent.of("2"), SseEvent.of("[DONE]"))
                    .expectComplete()
                    .verify(Duration.ofSeconds(5));
            assertThat(buffers).allSatisfy(buffer -> assertThat(buffer.refCnt()).isEqualTo(1));
        } finally {
            buffers.forEach(ByteBuf::release);
        }
    }

    @Test
    void decodeReadsEachBufferBeforeItsOwnerReleasesIt() {
        List<ByteBuf> buffers = chunks("data: 1\n\ndata: 2\n\n", "data: 3\n\n");
        Flux<ByteBuf> releasedAfterOnNext = Flux.from(releasingAfterOnNext(Flux.fromIterable(buffers)));
        StepVerifier.create(SseParser.decode(releasedAfterOnNext, 1024), 0)
                .thenRequest(1)
                .expectNext(SseEvent.of("1"))
                .thenRequest(2)
                .expectNext(SseEvent.of("2"), SseEvent.of("3"))
                .expectComplete()
                .verify(Duration.ofSeconds(5));
        assertThat(buffers).allSatisfy(buffer -> assertThat(buffer.refCnt()).isZero());
    }

    @Test
    void decodeFailsWhenTheBodyEndsInsideAnEvent() {
        List<ByteBuf> buffers = chunks("data: 1\n\n", "data: 2\n");
        try {
            StepVerifier.create(SseParser.decode(Flux.fromIterable(buffers), 1024))
                    .expectNext(SseEvent.of("1"))
                    .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(SseException.class)
                            .hasMessage("stream ended inside an event"))
                    .verify(Duration.ofSeconds(5));
            assertThat(buffers).allSatisfy(buffer -> assertThat(buffer.refCnt()).isEqualTo(1));
        } finally {
            buffers.forEach(ByteBuf::release);
        }
    }

    @Test
    void decodeFailsOnAnEventOverTheBoundAndCancelsTheBody() {
        List<ByteBuf> buffers = chunks("data: 1\n\n", "data: 0123456789\n", "data: 3\n\n");
        List<String> signals = new ArrayList<>();
        try {
            Flux<ByteBuf> body = Flux.fromIterable(buffers).doOnCancel(() -> signals.add("cancel"));
            StepVerifier.create(SseParser.decode(body, 8))
                    .expectNext(SseEvent.of("1"))
                    .expectErrorMessage("server-sent event larger than 8 bytes")
                    .verify(Duration.ofSeconds(5));
            assertThat(signals).containsExactly("cancel");
            assertThat(buffers).allSatisfy(buffer -> assertThat(buffer.refCnt()).isEqualTo(1));
        } finally {
            buffers.forEach(ByteBuf::release);
        }
    }

    @Test
    void decodeParsesEachSubscriptionAfresh() {
        Flux<ByteBuf> body = Flux.defer(() -> Flux.just(Unpooled.wrappedBuffer(bytes("data: x\n")),
                Unpooled.wrappedBuffer(bytes("\n"))));
        Flux<SseEvent> events = SseParser.decode(body, 64);
        StepVerifier.create(events.concatWith(events)).expectNext(SseEvent.of("x"), SseEvent.of("x"))
                .expectComplete().verify(Duration.ofSeconds(5));
    }

    @Test
    void encodesEventsTheParserReadsBack() {
        List<SseEvent> events = List.of(
                new SseEvent("delta", "{\"a\":1}", "42"),
                SseEvent.of("line one\nline two\r\nline three\rend"),
                SseEvent.of(""),
                SseEvent.of("\n"),
                SseEvent.of(" leading space, trailing newline\n"),
                new SseEvent("done", SseEvent.DONE, "43"));
        StringBuilder stream = new StringBuilder(SseEvent.comment("keep-alive"));
        events.forEach(event -> stream.append(event.encode()).append(SseEvent.comment("")));
        List<SseEvent> read = parseWhole(bytes(stream.toString()));
        assertThat(read).hasSize(events.size());
        assertThat(read.get(0)).isEqualTo(events.get(0));
        assertThat(read.get(1)).isEqualTo(new SseEvent(null, "line one\nline two\nline three\nend", "42"));
        assertThat(read.subList(2, 5)).containsExactly(new SseEvent(null, "", "42"), new SseEvent(null, "\n", "42"),
                new SseEvent(null, " leading space, trailing newline\n", "42"));
        assertThat(read.get(5)).isEqualTo(events.get(5));
    }

    @Test
    void encodesTheWireFormat() {
        assertThat(new SseEvent("e", "a\nb", "7").encode()).isEqualTo("event: e\nid: 7\ndata: a\ndata: b\n\n");
        assertThat(SseEvent.of("[DONE]").encode()).isEqualTo("data: [DONE]\n\n");
        assertThat(SseEvent.comment("ping")).isEqualTo(": ping\n\n");
        assertThat(SseEvent.comment("a\nb")).isEqualTo(": a\n: b\n\n");
    }

    @Test
    void rejectsFieldsThatCannotBeEncoded() {
        assertThatThrownBy(() -> new SseEvent(null, null, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("data");
        assertThatThrownBy(() -> new SseEvent("a\nb", "x", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("event type must not contain a line break: \"a\\nb\"");
        assertThatThrownBy(() -> new SseEvent(null, "x", "1\0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("event id must not contain a line break or NUL: \"1\\0\"");
    }

    @Test
    void parsesPooledBuffers() {
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(bytes("data: pooled\n\n"));
        try {
            assertThat(new SseParser().feed(pooled)).containsExactly(SseEvent.of("pooled"));
        } finally {
            pooled.release();
        }
    }

    private static List<SseEvent> parseWhole(byte[] bytes) {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>(parser.feed(bytes));
        events.addAll(parser.finish());
        return events;
    }

    private static boolean truncatedAfter(String text) {
        SseParser parser = new SseParser();
        parser.feed(bytes(text));
        parser.finish();
        return parser.truncated();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    private static List<ByteBuf> chunks(String... texts) {
        List<ByteBuf> buffers = new ArrayList<>();
        for (String text : texts) {
            buffers.add(Unpooled.directBuffer().writeBytes(bytes(text)));
        }
        return buffers;
    }

    /** Models Reactor Netty's {@code receive()}: each buffer is released as soon as onNext returns. */
    private static Publisher<ByteBuf> releasingAfterOnNext(Publisher<ByteBuf> source) {
        return subscriber -> source.subscribe(new Subscriber<ByteBuf>() {
            @Override
            public void onSubscribe(Subscription subscription) {
                subscriber.onSubscribe(subscription);
            }

            @Override
            public void onNext(ByteBuf buffer) {
                try {
                    subscriber.onNext(buffer);
                } finally {
                    buffer.release();
                }
            }

            @Override
            public void onError(Throwable error) {
                subscriber.onError(error);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
    }
}
