package dev.detour.llm.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class SseWriterTest {

    private static String written(Function<ByteBuf, ByteBuf> write) {
        ByteBuf out = Unpooled.buffer();
        try {
            assertThat(write.apply(out)).isSameAs(out);
            return out.toString(UTF_8);
        } finally {
            out.release();
        }
    }

    @Test
    void writesDataBytesAsOneLineOrOneLinePerLine() {
        assertThat(written(out -> SseWriter.event(out, null, "{\"a\":1}".getBytes(UTF_8)))).isEqualTo("data: {\"a\":1}\n\n");
        assertThat(written(out -> SseWriter.event(out, "error", "é\r\nb\rc\n".getBytes(UTF_8))))
                .isEqualTo("event: error\ndata: é\ndata: b\ndata: c\ndata: \n\n");
        assertThat(written(out -> SseWriter.event(out, null, new byte[0]))).isEqualTo("data: \n\n");
    }

    @Test
    void writesTextEventsAndCommentsLikeSseEvent() {
        assertThat(written(out -> SseWriter.event(out, "e", "7", "a\nb"))).isEqualTo(new SseEvent("e", "a\nb", "7").encode());
        assertThat(written(out -> SseWriter.comment(out, "detour failover from=a to=b"))).isEqualTo(": detour failover from=a to=b\n\n");
        assertThat(written(out -> SseWriter.comment(out, "a\r\nb"))).isEqualTo(": a\n: b\n\n");
        SseEvent event = new SseEvent("ü", "x", null);
        assertThat(written(event::writeTo)).isEqualTo("event: ü\ndata: x\n\n");
    }

    @Test
    void sizesTheBufferItAllocatesForOneLineOfData() {
        byte[] data = "{\"choices\":[]}".getBytes(UTF_8);
        ByteBuf plain = SseWriter.event(ByteBufAllocator.DEFAULT, null, data);
        ByteBuf named = SseWriter.event(ByteBufAllocator.DEFAULT, "error", data);
        try {
            assertThat(plain.readableBytes()).isEqualTo(plain.capacity());
            assertThat(named.readableBytes()).isEqualTo(named.capacity());
            assertThat(named.toString(UTF_8)).isEqualTo("event: error\ndata: {\"choices\":[]}\n\n");
        } finally {
            plain.release();
            named.release();
        }
    }

    @Test
    void refusesAFieldThatDoesNotFitOnOneLine() {
        ByteBuf out = Unpooled.buffer();
        try {
            assertThatThrownBy(() -> SseWriter.event(out, "a\nb", new byte[0])).isInstanceOf(IllegalArgumentException.class);
        } finally {
            out.release();
        }
    }
}
