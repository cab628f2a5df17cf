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

/** The Anthropic door passes the client's {@code anthropic-version} and {@code anthropic-beta} on, never its key. */
class AnthropicDoorHeadersTest {

    private static final String MESSAGE = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}";
    private static final List<HttpHeaders> seen = new CopyOnWriteArrayList<>();
    private static DisposableServer upstream;
    private static Harness harness;

    @BeforeAll
    static void start() {
        upstream = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> {
                    seen.add(request.requestHeaders().copy());
                    return request.receive().then(response.header("content-type", "application/json")
                            .sendString(Mono.just(MESSAGE)).then());
                })
                .bindNow();
        harness = new Harness(SimulatedProvider.builder(), """
                server: { port: 0 }
                client-key-envs: [CLIENT]
                providers:
                  claude: { type: anthropic, base-url: "http://127.0.0.1:%d/v1", api-key-env: UPSTREAM_KEY }
                routes:
                  - alias: claude
                    tiers: [ { providers: [claude] } ]
                """.formatted(upstream.port()), Map.of("UPSTREAM_KEY", "sk-upstream-31", "CLIENT", "sk-client-9"));
    }

    @AfterAll
    static void stop() {
        harness.close();
        upstream.disposeNow();
    }

    @Test
    void versionAndBetaHeadersReachTheAnthropicProvider() {
        seen.clear();
        Harness.Response response = harness.post("/v1/messages",
                "{\"model\":\"claude\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-api-key", "sk-client-9", "anthropic-version", "2023-06-01", "anthropic-beta", "prompt-caching-2024-07-31"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("content").get(0).path("text").asText()).isEqualTo("hi");
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).get("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(seen.get(0).get("anthropic-beta")).isEqualTo("prompt-caching-2024-07-31");
        assertThat(seen.get(0).get("x-api-key")).isEqualTo("sk-upstream-31");
    }

    @Test
    void routerErrorsOnTheDoorAreInAnthropicsShape() {
        Harness.Response notJson = harness.post("/v1/messages", "{nope", Map.of("x-api-key", "sk-client-9"));
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().path("type").asText()).isEqualTo("error");
        assertThat(notJson.json().path("error").path("type").asText()).isEqualTo("invalid_request_error");

        Harness.Response noKey = harness.post("/v1/messages", "{}", Map.of());
        assertThat(noKey.status()).isEqualTo(401);
        assertThat(noKey.json().path("error").path("type").asText()).isEqualTo("authentication_error");
        assertThat(noKey.json().path("error").path("message").asText()).contains("x-api-key");

        Harness.Response unknownPath = harness.post("/v1/messages/batches", "{}", Map.of());
        assertThat(unknownPath.status()).isEqualTo(404);
        assertThat(unknownPath.json().path("error").path("type").asText()).isEqualTo("not_found_error");
    }
}
