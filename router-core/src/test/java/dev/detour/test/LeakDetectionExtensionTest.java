package dev.detour.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leak detection every test class runs under: a leaked buffer is reported, a released one is not.
 * Reports from elsewhere that a check here collects are put back, so the class that caused them fails.
 */
class LeakDetectionExtensionTest {

    @Test
    void reportsAPooledBufferThatWasNeverReleased() {
        leakPooledBuffer();

        List<String> mine = collectLeaksFrom("leakPooledBuffer");

        assertThat(mine).singleElement().asString()
                .startsWith("ByteBuf.release() was not called before it was garbage-collected.")
                .contains("Created at:");
    }

    @Test
    void reportsAnUnpooledDirectBufferThatWasNeverReleased() {
        leakUnpooledBuffer();

        assertThat(collectLeaksFrom("leakUnpooledBuffer")).hasSize(1);
    }

    @Test
    void reportsNothingForReleasedBuffers() {
        releaseBuffers();

        assertThat(collectLeaksFrom("releaseBuffers")).isEmpty();
    }

    private static void leakPooledBuffer() {
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        buffer.writeLong(42);
    }

    private static void leakUnpooledBuffer() {
        ByteBuf buffer = Unpooled.directBuffer(16);
        buffer.writeLong(42);
    }

    private static void releaseBuffers() {
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        pooled.writeLong(42);
        pooled.release();
        ByteBuf unpooled = Unpooled.directBuffer(16);
        unpooled.writeLong(42);
        unpooled.release();
    }

    private static List<String> collectLeaksFrom(String method) {
        List<String> mine = new ArrayList<>();
        for (String leak : LeakDetectionExtension.collectLeaks()) {
            if (leak.contains(LeakDetectionExtensionTest.class.getName() + "." + method)) {
                mine.add(leak);
            } else {
                LeakDetectionExtension.record(leak);
            }
        }
        return mine;
    }
}
