package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.Latency;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible API over real sockets: status paths, headers, JSON and streamed fallbacks, mid-stream modes. */
class ChatApiTest {

    private static final String KEY = "client-key-31415";
    private static final Map<String, String> AUTH = Map.of("authorization", "Bearer " + KEY, "content-type", "application/json");
    private static Harness harness;

    @BeforeAll
    static void start() {
        harness = new Harness(SimulatedProvider.builder()
                .model("ok", Behaviour.answer("All good here."))
                .model("down", Behaviour.status(503))
                .model("bad-request", Behaviour.status(400))
                .model("stuck", Behaviour.stall())
                .model("dies", Behaviour.answer("one two three four five").fault(Fault.cutAfter(2)))
                .model("resumes", Behaviour.answer("one two three four five"))
                .model("slow", Behaviour.answer("slow").latency(Latency.fixed(Duration.ofSeconds(5)))),
                """
                server: { port: 0, max-body-bytes: 2048 }
                client-key-envs: [CLIENT_KEY]
                providers:
                  ok:          { type: openai, base-url: "${simulator}/v1", model: ok }
                  down:        { type: openai, base-url: "${simulator}/v1", model: down }
                  bad-request: { type: openai, base-url: "${simulator}/v1", model: bad-request }
                  stuck:       { type: anthropic, base-url: "${simulator}/v1", model: stuck }
                  dies:        { type: openai, base-url: "${simulator}/v1", model: dies }
                  slow:        { type: openai, base-url: "${simulator}/v1", model: slow }
                  resumes:     { type: openai, base-url: "${simulator}/v1", model: resumes }
                  weather:     { type: http, base-url: "${simulator}" }
                routes:
                  - alias: plain
                    tiers: [ { providers: [ok] } ]
                  - alias: fallback
                    tiers: [ { providers: [down] }, { providers: [ok] } ]
                  - alias: all-down
                    tiers: [ { providers: [down] } ]
                  - alias: passes-400
                    tiers: [ { providers: [bad-request] }, { providers: [ok] } ]
                  - alias: deadline
                    deadline: 1s
                    tiers: [ { providers: [slow] } ]
                  - alias: first-token
                    tiers: [ { providers: [stuck], timeout: 500ms }, { providers: [ok] } ]
                  - alias: cut-error
                    mid-stream: error
                    tiers: [ { providers: [dies] }, { providers: [ok] } ]
                  - alias: cut-continue
                    mid-stream: continue
                    tiers: [ { providers: [dies] }, { providers: [resumes] } ]
                json-routes:
                  - name: health
                    tiers: [ { providers: [weather] } ]
                """,
                Map.of("CLIENT_KEY", KEY));
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static Harness.Response chat(String model, boolean stream) {
        return harness.post("/v1/chat/completions", Harness.chat(model, stream), AUTH);
    }

    @Test
    void aPlainCompletionIsServedWithDetoursHeaders() {
        Harness.Response response = harness.post("/v1/chat/completions", Harness.chat("plain", false),
                Map.of("authorization", "Bearer " + KEY, "x-request-id", "req-123"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("choices").path(0).path("message").path("content").asText()).isEqualTo("All good here.");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("ok");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("1");
        assertThat(response.headers().get("x-detour-fallback")).isNull();
        assertThat(response.headers().get("x-request-id")).isEqualTo("req-123");
    }

    @Test
    void aFailingPrimaryFallsBackAndTheHeadersSaySo() {
        Harness.Response response = chat("fallback", false);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("ok");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("server_error");
        assertThat(response.headers().get("x-request-id")).isNotBlank();
    }

    @Test
    void whenEveryProviderFailsTheAnswerIs502WithTheTrail() {
        Harness.Response response = chat("all-down", false);

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.json().path("error").path("message").asText())
                .isEqualTo("route 'all-down' failed after 1 attempt: down#1 503");
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aProvidersBadRequestPassesThroughAs400() {
        Harness.Response response = chat("passes-400", false);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(harness.simulator.stats("ok").requests()).isZero();
    }

    @Test
    void anExpiredDeadlineIs504() {
        Harness.Response response = chat("deadline", false);

        assertThat(response.status()).isEqualTo(504);
        assertThat(response.json().path("error").path("message").asText()).startsWith("route 'deadline' deadline 1s exceeded");
    }

    @Test
    void badRequestsGetPreciseErrors() {
        assertThat(harness.post("/v1/chat/completions", "{not json", AUTH).status()).isEqualTo(400);
        Harness.Response noMessages = harness.post("/v1/chat/completions", "{\"model\":\"plain\"}", AUTH);
        assertThat(noMessages.status()).isEqualTo(400);
        assertThat(noMessages.json().path("error").path("message").asText()).contains("'messages'");
        Harness.Response unknown = chat("no-such-model", false);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("error").path("code").asText()).isEqualTo("model_not_found");
        Harness.Response tooLarge = harness.post("/v1/chat/completions", "{\"model\":\"" + "x".repeat(4096) + "\"}", AUTH);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(harness.get("/no/such/path", AUTH).status()).isEqualTo(404);
    }

    @Test
    void aMissingOrWrongKeyIs401() {
        Harness.Response missing = harness.post("/v1/chat/completions", Harness.chat("plain", false), Map.of());
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.json().path("error").path("type").asText()).isEqualTo("authentication_error");
        Harness.Response wrong = harness.post("/v1/chat/completions", Harness.chat("plain", false),
                Map.of("authorization", "Bearer nope"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(harness.get("/v1/models", Map.of()).status()).isEqualTo(401);
    }

    @Test
    void theModelsListNamesEveryAlias() {
        Harness.Response models = harness.get("/v1/models", AUTH);
        assertThat(models.status()).isEqualTo(200);
        assertThat(models.json().path("data").findValuesAsText("id")).contains("plain", "fallback", "cut-continue");
    }

    @Test
    void aStreamFallsBackBeforeItsFirstTokenInvisibly() {
        Harness.Response response = chat("first-token", true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("content-type")).startsWith("text/event-stream");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("ok");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("timeout");
        assertThat(response.body()).contains("\"content\":\"All\"").endsWith("data: [DONE]\n\n");
        assertThat(harness.simulator.awaitStats("stuck", stats -> stats.disconnects() == 1).block(Harness.WAIT)).isNotNull();
    }

    @Test
    void aStreamCutMidAnswerEndsWithAnExplicitErrorEventInErrorMode() {
        Harness.Response response = chat("cut-error", true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).contains("\"content\":\"one\"").contains("event: error\ndata: {\"error\"")
                .doesNotContain("[DONE]");
    }

    @Test
    void aStreamCutMidAnswerIsContinuedInContinueMode() {
        Harness.Response response = chat("cut-continue", true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).contains("\"content\":\"one\"")
                .contains("\n: detour failover from=dies to=resumes reason=connection\n\n")
                .contains("\"content\":\" three\"").endsWith("data: [DONE]\n\n")
                .doesNotContain("event: error").doesNotContain("x_detour");
    }

    @Test
    void aPlainJsonRouteForwardsToItsHttpProvider() {
        Harness.Response response = harness.get("/routes/health/health", AUTH);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("weather");
        assertThat(harness.get("/routes/nope/x", AUTH).status()).isEqualTo(404);
    }

    @Test
    void metricsShowFallbackCounters() {
        chat("fallback", false);
        Harness.Response metrics = harness.get("/metrics", Map.of());

        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("detour_fallbacks_total{from=\"down\",reason=\"server_error\",route=\"fallback\",to=\"ok\"}");
        assertThat(harness.get("/healthz", Map.of()).status()).isEqualTo(200);
        assertThat(harness.get("/readyz", Map.of()).status()).isEqualTo(200);
    }

    @Test
    void beyondItsRequestsInFlightTheRouterAnswers429WithoutCallingAProvider() {
        try (Harness busy = new Harness(SimulatedProvider.builder().model("stuck", Behaviour.stall()).model("ok", Behaviour.answer("ok")),
                """
                server: { port: 0, max-in-flight: 1 }
                providers:
                  stuck: { type: openai, base-url: "${simulator}/v1", model: stuck }
                  ok:    { type: openai, base-url: "${simulator}/v1", model: ok }
                routes:
                  - alias: stuck
                    tiers: [ { providers: [stuck] } ]
                  - alias: ok
                    tiers: [ { providers: [ok] } ]
                """, Map.of())) {
            reactor.core.Disposable first = busy.http.post().uri("/v1/chat/completions")
                    .send(reactor.netty.ByteBufFlux.fromString(reactor.core.publisher.Mono.just(Harness.chat("stuck", false))))
                    .response().subscribe();
            busy.simulator.awaitStats("stuck", stats -> stats.inFlight() == 1).block(Harness.WAIT);

            Harness.Response refused = busy.post("/v1/chat/completions", Harness.chat("ok", false), Map.of());

            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.headers().get("retry-after")).isEqualTo("1");
            assertThat(refused.json().path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(busy.simulator.stats("ok").requests()).isZero();
            first.dispose();
        }
    }

    @Test
    void aPlainJsonRouteRequestGetsALogLineToo() {
        assertThat(harness.get("/routes/health/health", AUTH).status()).isEqualTo(200);
        assertThat(harness.get("/routes/nope/x", AUTH).status()).isEqualTo(404);

        Harness.await("log lines for the JSON routes", () -> Harness.lines(harness.logText()).stream()
                .filter(line -> line.path("route").asText().startsWith("routes/")).count() >= 2);
        List<ObjectNode> lines = Harness.lines(harness.logText()).stream()
                .filter(line -> line.path("route").asText().startsWith("routes/")).toList();
        assertThat(lines).anySatisfy(line -> {
            assertThat(line.path("route").asText()).isEqualTo("routes/health");
            assertThat(line.path("status").asInt()).isEqualTo(200);
            assertThat(line.path("served_by").asText()).isEqualTo("weather");
        });
        assertThat(lines).anySatisfy(line -> {
            assertThat(line.path("route").asText()).isEqualTo("routes/nope");
            assertThat(line.path("status").asInt()).isEqualTo(404);
        });
    }
}
