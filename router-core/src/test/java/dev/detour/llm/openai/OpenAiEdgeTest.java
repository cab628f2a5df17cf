package dev.detour.llm.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.RouteFailedException;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.internal.HttpFailures;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The client's edges: connection reuse after [DONE], a JSON error in a 200 to a stream request, echoed keys, huge Retry-After. */
class OpenAiEdgeTest {

    private static final String KEY = "sk-live-abcdef123456";
    private static final AttemptContext CONTEXT = new AttemptContext("test", 0, 1, Duration.ofSeconds(5));

    private static DisposableServer serve(int status, String contentType, String body, AtomicInteger connections) {
        return HttpServer.create().host("127.0.0.1").port(0)
                .doOnChannelInit((observer, channel, remote) -> connections.incrementAndGet())
                .route(routes -> routes.post("/v1/chat/completions", (request, response) -> request.receive().then()
                        .then(response.status(status).header("content-type", contentType).sendString(Mono.just(body)).then())))
                .bindNow();
    }

    private static Throwable streamError(DisposableServer server) {
        OpenAiProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1"))
                .apiKey(ApiKey.of(KEY)).build();
        return openai.stream(ChatRequest.user("m", "hi"), CONTEXT).then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just).block(Duration.ofSeconds(5));
    }

    @Test
    void streamsInARowReuseTheirConnection() {
        AtomicInteger connections = new AtomicInteger();
        String sse = "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n"
                + "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        DisposableServer server = serve(200, "text/event-stream", sse, connections);
        try {
            OpenAiProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1")).build();
            for (int i = 0; i < 20; i++) {
                assertThat(openai.stream(ChatRequest.user("m", "hi"), CONTEXT).collectList().block(Duration.ofSeconds(5))).hasSize(2);
            }
            assertThat(connections.get()).as("one connection per stream would be 20").isLessThan(10);
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void anAnswerIsPassedOnAsTheBytesItCameIn() {
        String body = "{ \"id\": \"1\", \"choices\": [ { \"index\": 0, \"message\": { \"role\": \"assistant\","
                + " \"content\": \"caf\\u00e9\" }, \"finish_reason\": \"stop\" } ], \"x_vendor\": 1.50 }";
        DisposableServer server = serve(200, "application/json", body, new AtomicInteger());
        try {
            // a base URL with a trailing slash still reaches /v1/chat/completions (the only route the server has)
            OpenAiProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1/"))
                    .build();
            ChatResponse answer = openai.call(ChatRequest.user("m", "hi"), CONTEXT).block(Duration.ofSeconds(5));
            assertThat(answer.content()).isEqualTo("caf\u00e9");
            assertThat(new String(answer.bytes(), StandardCharsets.UTF_8)).as("not re-serialised").isEqualTo(body);
            ChatResponse built = ChatResponse.of((ObjectNode) answer.json());
            assertThat(new String(built.bytes(), StandardCharsets.UTF_8)).as("an answer built here is written")
                    .isEqualTo("{\"id\":\"1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"caf\u00e9\"},"
                            + "\"finish_reason\":\"stop\"}],\"x_vendor\":1.5}");
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void anAnswerFollowedByMoreJsonIsMalformedNotPassedOn() {
        String answer = "{\"id\":\"1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},"
                + "\"finish_reason\":\"stop\"}]}";
        DisposableServer server = serve(200, "application/json", answer + "{\"error\":{\"message\":\"upstream reset\"}}", new AtomicInteger());
        try {
            OpenAiProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1")).build();
            Throwable error = catchThrowable(() -> openai.call(ChatRequest.user("m", "hi"), CONTEXT).block(Duration.ofSeconds(5)));
            assertThat(Failure.of(error).status()).isEqualTo(502);
            assertThat(error.getMessage()).contains("malformed answer");
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void anAnswerWithAByteOrderMarkIsWrittenAgainNotPassedOn() {
        String answer = "{\"id\":\"1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},"
                + "\"finish_reason\":\"stop\"}]}";
        DisposableServer server = serve(200, "application/json", "\uFEFF" + answer, new AtomicInteger());
        try {
            OpenAiProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1")).build();
            ChatResponse served = openai.call(ChatRequest.user("m", "hi"), CONTEXT).block(Duration.ofSeconds(5));
            assertThat(served.content()).isEqualTo("hello");
            assertThat(new String(served.bytes(), StandardCharsets.UTF_8)).isEqualTo(answer);
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void aJsonErrorIn200ToAStreamRequestKeepsItsClass() {
        DisposableServer server = serve(200, "application/json",
                "{\"error\":{\"message\":\"model 'x' does not exist\",\"type\":\"invalid_request_error\"}}", new AtomicInteger());
        try {
            Throwable error = streamError(server);
            assertThat(Failure.of(error).kind()).isEqualTo(FailureKind.CLIENT_ERROR);
            assertThat(error.getMessage()).contains("model 'x' does not exist");
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void aKeyTheProviderEchoesDoesNotReachTheMessage() {
        DisposableServer server = serve(401, "application/json",
                "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}", new AtomicInteger());
        try {
            Throwable error = streamError(server);
            assertThat(Failure.of(error).status()).isEqualTo(401);
            assertThat(error.getMessage()).doesNotContain(KEY).contains("***");
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void aHugeRetryAfterIsCappedAndTheRouteStillFailsCleanly() {
        assertThat(HttpFailures.retryAfter("99999999999")).isEqualTo(Duration.ofDays(1));
        Provider<String, String> limited = Provider.of("a", (request, context) ->
                Mono.error(HttpFailures.status(429, "99999999999", new byte[0])));
        Route<String, String> route = Router.create().<String, String>route("r")
                .tier(Tier.of(limited).retry(RetryPolicy.backoff(3, Duration.ofMillis(10))))
                .build();

        Throwable error = route.call("x").then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(Duration.ofSeconds(5));
        assertThat(error).isInstanceOf(RouteFailedException.class).hasMessageContaining("> deadline");
    }
}
