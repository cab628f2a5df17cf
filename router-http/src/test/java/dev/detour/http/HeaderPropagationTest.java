package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.sim.SimulatedProvider;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The request id and configured user/session headers reach providers; nothing else of the client's does. */
class HeaderPropagationTest {

    private static final String ANSWER = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}";
    private static final List<HttpHeaders> seen = new CopyOnWriteArrayList<>();
    private static DisposableServer upstream;
    private static Harness harness;

    @BeforeAll
    static void start() {
        upstream = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> {
                    seen.add(request.requestHeaders().copy());
                    return request.receive().then(response.header("content-type", "application/json")
                            .sendString(Mono.just(ANSWER)).then());
                })
                .bindNow();
        String base = "http://127.0.0.1:" + upstream.port();
        harness = new Harness(SimulatedProvider.builder(), """
                server: { port: 0, propagate-headers: [x-user-id] }
                providers:
                  capture: { type: openai, base-url: "%s/v1", api-key-env: UPSTREAM_KEY }
                  json:    { type: http, base-url: "%s" }
                routes:
                  - alias: chat
                    tiers: [ { providers: [capture] } ]
                json-routes:
                  - name: api
                    tiers: [ { providers: [json] } ]
                """.formatted(base, base), Map.of("UPSTREAM_KEY", "sk-upstream-2718"));
    }

    @AfterAll
    static void stop() {
        harness.close();
        upstream.disposeNow();
    }

    @Test
    void theRequestIdAndConfiguredHeadersReachTheProviderButTheClientsKeyDoesNot() {
        seen.clear();
        Harness.Response response = harness.post("/v1/chat/completions", Harness.chat("chat", false),
                Map.of("x-request-id", "trace-42", "x-user-id", "alice", "x-secret-internal", "no", "authorization", "Bearer client-key"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(seen).hasSize(1);
        HttpHeaders upstreamHeaders = seen.get(0);
        assertThat(upstreamHeaders.get("x-request-id")).isEqualTo("trace-42");
        assertThat(upstreamHeaders.get("x-user-id")).isEqualTo("alice");
        assertThat(upstreamHeaders.get("x-secret-internal")).isNull();
        assertThat(upstreamHeaders.get("authorization")).isEqualTo("Bearer sk-upstream-2718");
    }

    @Test
    void aPlainJsonRoutePropagatesTheSameHeadersAndAGeneratedRequestId() {
        seen.clear();
        Harness.Response response = harness.get("/routes/api/v2/things?page=2", Map.of("x-user-id", "bob"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-request-id")).isNotBlank();
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).get("x-user-id")).isEqualTo("bob");
        assertThat(seen.get(0).get("x-request-id")).isEqualTo(response.headers().get("x-request-id"));
        assertThat(seen.get(0).get("authorization")).isNull();
    }
}
