package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.sim.Behaviour;
import dev.detour.sim.ModelStats;
import dev.detour.sim.SimulatedProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * {@code max-in-flight} is a hard limit: bursts of concurrent requests against a model that never answers
 * reach the provider exactly as many times as the limit, every other request is refused (429), and the slots
 * come back when the requests end.
 */
class InFlightLimitTest {

    private static final int LIMIT = 4;
    private static final int BURST = 40;

    @Test
    void burstsNeverPassTheLimit() {
        ConnectionProvider connections = ConnectionProvider.builder("burst").maxConnections(BURST * 2).build();
        try (Harness h = new Harness(SimulatedProvider.builder().model("stuck", Behaviour.stall()).model("fast", Behaviour.answer("quick")),
                """
                server: { port: 0, max-in-flight: 4 }
                providers:
                  stuck: { type: openai, base-url: "${simulator}/v1", model: stuck }
                  fast:  { type: openai, base-url: "${simulator}/v1", model: fast }
                routes:
                  - alias: stuck
                    tiers: [ { providers: [stuck] } ]
                  - alias: fast
                    tiers: [ { providers: [fast] } ]
                """, Map.of())) {
            HttpClient http = HttpClient.create(connections).baseUrl(h.router.baseUrl());
            for (int round = 1; round <= 3; round++) {
                List<CompletableFuture<Integer>> answered = new ArrayList<>();
                List<Disposable> requests = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    CompletableFuture<Integer> status = new CompletableFuture<>();
                    answered.add(status);
                    requests.add(http.headers(headers -> headers.set("content-type", "application/json"))
                            .post().uri("/v1/chat/completions")
                            .send(ByteBufFlux.fromString(Mono.just(Harness.chat("stuck", false))))
                            .response()
                            .subscribe(response -> status.complete(response.status().code()), status::completeExceptionally));
                }
                Harness.await((BURST - LIMIT) + " refusals", () -> answered.stream().filter(CompletableFuture::isDone).count() == BURST - LIMIT);

                ModelStats stuck = h.simulator.awaitStats("stuck", stats -> stats.inFlight() == LIMIT).block(Harness.WAIT);
                System.out.printf("EDGE burst round %d: %d requests, %d reached the provider, %d refused%n", round, BURST,
                        stuck.requests() - (long) (round - 1) * LIMIT, answered.stream().filter(CompletableFuture::isDone).count());
                assertThat(stuck.requests()).isEqualTo((long) round * LIMIT);
                assertThat(answered.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join)).containsOnly(429);

                requests.forEach(Disposable::dispose);
                h.simulator.awaitStats("stuck", stats -> stats.inFlight() == 0).block(Harness.WAIT);
                // the slots are released: a request is served again (the releases may trail the disconnects a little)
                Harness.await("a request served after the burst",
                        () -> h.post("/v1/chat/completions", Harness.chat("fast", false), Map.of("content-type", "application/json")).status() == 200);
            }
        } finally {
            connections.disposeLater().block(Harness.WAIT);
        }
    }
}
