package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A server that stalls every answer for a known window: the open-loop measurement (from each request's
 * intended send time) shows the stall in its high percentiles, while the same run measured from the
 * moment each request got a connection (what a closed-loop tool with a few connections records) hides it.
 */
class NoCoordinatedOmissionTest {

    private static final long STALL_MS = 400;
    private static final double RATE = 500;

    @Test
    void aStallShowsUpInTheHighPercentilesOnlyWhenMeasuredFromTheIntendedSendTime() {
        AtomicLong requests = new AtomicLong();
        AtomicLong stallEnd = new AtomicLong(0);
        // the stall starts at the request due 1 s into the measured second (the 150 warm-up ones come first)
        long stallAt = 150 + 500;
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> request.receive().then(Mono.defer(() -> {
                    long now = System.nanoTime();
                    if (requests.incrementAndGet() == stallAt) {
                        stallEnd.set(now + STALL_MS * 1_000_000L);
                    }
                    long end = stallEnd.get();
                    long wait = end == 0 ? 0 : end - now;
                    Mono<Void> answer = response.header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .sendString(Mono.just("{\"ok\":true}")).then();
                    return wait > 0 ? Mono.delay(Duration.ofNanos(wait)).then(answer) : answer;
                })))
                .bindNow();
        Phase phase;
        try (LoadGenerator generator = new LoadGenerator(4, Duration.ofSeconds(10), null)) {
            LoadGenerator.Target target = LoadGenerator.Target.chat("http://127.0.0.1:" + server.port(), "any", false);
            phase = generator.run(new LoadGenerator.Plan("stall", target, Arrivals.fixed(RATE),
                    Duration.ofMillis(300), Duration.ofSeconds(2)), LoadGenerator.Control.NONE).first();
        } finally {
            server.disposeNow(Duration.ofSeconds(5));
        }
        assertThat(stallEnd.get()).as("the stall happened").isNotZero();
        long errors = phase.errors().values().stream().mapToLong(Long::longValue).sum();
        assertThat(errors).as("stub server errors under a loaded machine, at most 1 %%").isLessThanOrEqualTo(phase.sent() / 100);
        assertThat(phase.ok()).isEqualTo(phase.sent() - errors).isGreaterThan(900);

        // About RATE × stall = 200 requests were due during the stall; they waited up to the whole
        // stall for it to end, spread evenly, so the slowest 1 % (of ~1000) waited nearly all of it.
        Histogram open = phase.latency();
        assertThat(open.getValueAtPercentile(99)).as("open-loop p99 (µs)").isGreaterThanOrEqualTo(STALL_MS * 1000 / 2);
        assertThat(open.getMaxValue()).isGreaterThanOrEqualTo(STALL_MS * 1000 * 3 / 4);

        // Measured from the actual send, only the 4 requests holding the 4 connections saw the stall.
        Histogram closed = phase.service();
        assertThat(closed.getMaxValue()).as("the stalled connections").isGreaterThanOrEqualTo(STALL_MS * 1000 * 3 / 4);
        assertThat(closed.getValueAtPercentile(99)).as("coordinated-omission p99 (µs)").isLessThan(STALL_MS * 1000 / 4);
    }
}
