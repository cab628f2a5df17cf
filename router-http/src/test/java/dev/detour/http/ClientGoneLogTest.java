package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.test.StepVerifier;

/** A request whose client hung up is logged as 499, with how far its answer got. */
class ClientGoneLogTest {

    private static final String YAML = """
            server: { port: 0, max-in-flight: 2 }
            providers:
              slow:  { type: openai, base-url: "${simulator}/v1", model: slow }
              paced: { type: openai, base-url: "${simulator}/v1", model: paced }
            routes:
              - alias: slow
                tiers: [ { providers: [slow], timeout: 30s } ]
              - alias: paced
                deadline: 60s
                tiers: [ { providers: [paced], timeout: 30s } ]
            """;

    private Harness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private Harness start() {
        h = new Harness(SimulatedProvider.builder()
                .model("slow", Behaviour.answer("too late").latency(Duration.ofSeconds(30)))
                .model("paced", Behaviour.answer(IntStream.rangeClosed(1, 40).mapToObj(i -> "w" + i)
                        .collect(Collectors.joining(" "))).pacing(Duration.ofMillis(300))), YAML, Map.of());
        return h;
    }

    private ObjectNode onlyLine() {
        Harness.await("a log line", () -> !Harness.lines(h.logText()).isEmpty());
        List<ObjectNode> lines = Harness.lines(h.logText());
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    @Test
    void aClientGoneBeforeTheAnswerIsLogged499WithNoHeadersSent() {
        start();
        Disposable request = h.http.post().uri("/v1/chat/completions")
                .send(ByteBufFlux.fromString(Mono.just(Harness.chat("slow", false))))
                .response().subscribe();
        h.simulator.awaitStats("slow", stats -> stats.inFlight() == 1).block(Harness.WAIT);
        request.dispose();
        h.simulator.awaitStats("slow", stats -> stats.disconnects() == 1).block(Harness.WAIT);

        ObjectNode line = onlyLine();
        assertThat(line.path("status").asInt()).as(line.toString()).isEqualTo(499);
        assertThat(line.path("client").asText()).isEqualTo("disconnected");
        assertThat(line.path("headers_sent").asBoolean()).isFalse();
        // both slots are free again
        assertThat(h.post("/v1/chat/completions", "{}", Map.of()).status()).isEqualTo(400);
    }

    @Test
    void aClientGoneMidStreamIsLogged499WithHeadersSentAndTheChunksRelayed() {
        start();
        Flux<String> stream = h.http.post().uri("/v1/chat/completions")
                .send(ByteBufFlux.fromString(Mono.just(Harness.chat("paced", true))))
                .response((response, content) -> content.asString());
        StepVerifier.create(stream, 1).expectNextCount(1).thenCancel().verify(Harness.WAIT);
        h.simulator.awaitStats("paced", stats -> stats.disconnects() == 1).block(Harness.WAIT);

        ObjectNode line = onlyLine();
        assertThat(line.path("status").asInt()).as(line.toString()).isEqualTo(499);
        assertThat(line.path("headers_sent").asBoolean()).isTrue();
        assertThat(line.path("chunks").asLong()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aClientGoneHalfWayThroughItsBodyIsLogged499() throws Exception {
        start();
        try (RawClient client = new RawClient(h.router.port(), Duration.ofSeconds(5))) {
            client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":");
        }
        ObjectNode line = onlyLine();
        assertThat(line.path("status").asInt()).as(line.toString()).isEqualTo(499);
        assertThat(line.path("headers_sent").asBoolean()).isFalse();
    }
}
