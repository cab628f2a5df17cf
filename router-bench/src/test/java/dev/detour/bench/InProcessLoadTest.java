package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The in-process generator behind the {@code library} scenario: its counts, its allocation figures, its errors. */
class InProcessLoadTest {

    private static final int BLOCK = 64 * 1024;

    private final InProcessLoad load = new InProcessLoad(200, Duration.ofMillis(100), Duration.ofMillis(500), 2, null);

    @Test
    void bytesPerCallAreEachVariantsOwnEvenWhenTheWorkHopsThreads() {
        AtomicLong sink = new AtomicLong();
        List<InProcessLoad.Measured> measured = load.run("alloc", List.of(
                new InProcessLoad.Variant("lean", () -> Mono.just("answer")),
                new InProcessLoad.Variant("heavy", () -> Mono.fromCallable(() -> {
                    byte[] block = new byte[BLOCK];
                    sink.addAndGet(block.length);
                    return block;
                }).subscribeOn(Schedulers.parallel()))));
        InProcessLoad.Measured lean = measured.get(0);
        InProcessLoad.Measured heavy = measured.get(1);
        assertThat(AllocationMeter.supported()).isTrue();
        assertThat(lean.phase().ok()).isEqualTo(lean.phase().sent()).as("200/s over two slices of 250 ms").isEqualTo(100);
        assertThat(heavy.phase().ok()).isEqualTo(heavy.phase().sent()).isEqualTo(100);
        assertThat(heavy.bytesPerCall()).as("the block, allocated on a parallel thread").isGreaterThanOrEqualTo(BLOCK);
        assertThat(lean.bytesPerCall()).as("none of the heavy variant's blocks").isLessThan(BLOCK / 4.0);
        assertThat(heavy.nanos().getTotalCount()).isEqualTo(heavy.phase().ok());
    }

    @Test
    void anErrorOrAnEmptyAnswerIsNeverCountedAsAnAnswer() {
        List<InProcessLoad.Measured> measured = load.run("errors", List.of(
                new InProcessLoad.Variant("failing", () -> Mono.error(new IllegalStateException("down"))),
                new InProcessLoad.Variant("empty", Mono::empty)));
        InProcessLoad.Measured failing = measured.get(0);
        InProcessLoad.Measured empty = measured.get(1);
        assertThat(failing.phase().ok()).isZero();
        assertThat(failing.phase().errors()).isEqualTo(Map.of("IllegalStateException", failing.phase().sent()));
        assertThat(empty.phase().ok()).isZero();
        assertThat(empty.phase().errors()).isEqualTo(Map.of("empty", empty.phase().sent()));
        assertThat(failing.nanos().getTotalCount()).isZero();
    }
}
