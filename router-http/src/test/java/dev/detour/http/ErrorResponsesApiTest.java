package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Errors over real sockets say as much as answers: who was tried ({@code x-detour-*}), in the caller's
 * terms; and a client key's name and rate, with its 429 and {@code retry-after}, its log line and its metric.
 */
class ErrorResponsesApiTest {

    private static final String TEAM_A_KEY = "sk-team-a-5f1d0c";
    private static final String TEAM_B_KEY = "sk-team-b-93ae77";
    private static final String LEGACY_KEY = "sk-legacy-0b44";
    private static final Map<String, String> TEAM_B = Map.of("authorization", "Bearer " + TEAM_B_KEY, "content-type", "application/json");
    private static Harness harness;

    @BeforeAll
    static void start() {
        harness = new Harness(SimulatedProvider.builder()
                .model("ok", Behaviour.answer("Fine."))
                .model("flaky", Behaviour.status(503))
                .model("picky", Behaviour.status(400))
                .model("stuck", Behaviour.stall()),
                """
                server: { port: 0 }
                client-key-envs: [LEGACY_KEY]
                client-keys:
                  - { name: team-a, key-env: TEAM_A_KEY, requests-per-minute: 2 }
                  - { name: team-b, key-env: TEAM_B_KEY }
                providers:
                  ok:    { type: openai, base-url: "${simulator}/v1", model: ok }
                  flaky: { type: openai, base-url: "${simulator}/v1", model: flaky }
                  picky: { type: openai, base-url: "${simulator}/v1", model: picky }
                  stuck: { type: openai, base-url: "${simulator}/v1", model: stuck }
                routes:
                  - alias: gpt-4o
                    tiers: [ { providers: [ok] } ]
                  - alias: gpt-4o-mini
                    tiers: [ { providers: [ok] } ]
                  - alias: claude-sonnet
                    tiers: [ { providers: [ok] } ]
                  - alias: passed-through
                    tiers: [ { providers: [flaky] }, { providers: [picky] } ]
                  - alias: all-down
                    tiers: [ { providers: [flaky] }, { providers: [flaky] } ]
                  - alias: too-slow
                    deadline: 400ms
                    tiers: [ { providers: [flaky] }, { providers: [stuck] } ]
                json-routes:
                  - name: weather
                    tiers: [ { providers: [json-down] } ]
                """.replace("providers:\n", "providers:\n  json-down: { type: http, base-url: \"${simulator}/broken\" }\n"),
                Map.of("TEAM_A_KEY", TEAM_A_KEY, "TEAM_B_KEY", TEAM_B_KEY, "LEGACY_KEY", LEGACY_KEY), Harness.stoppedClock());
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static Harness.Response chat(String model, Map<String, String> headers) {
        return harness.post("/v1/chat/completions", Harness.chat(model, false), headers);
    }

    private static ObjectNode error(Harness.Response response) {
        return (ObjectNode) response.json().path("error");
    }

    @Test
    void aProvidersErrorPassedThroughSaysWhoWasTried() {
        Harness.Response response = chat("passed-through", TEAM_B);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("picky");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("server_error");
    }

    @Test
    void aStreamedRequestWhoseErrorIsPassedThroughSaysSoToo() {
        Harness.Response response = harness.post("/v1/chat/completions", Harness.chat("passed-through", true), TEAM_B);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("picky");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
    }

    @Test
    void everyProviderFailingSaysWhoWasTried() {
        Harness.Response response = chat("all-down", TEAM_B);

        assertThat(response.status()).isEqualTo(502);
        assertThat(error(response).path("code").asText()).isEqualTo("all_providers_failed");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("flaky");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("server_error");
    }

    @Test
    void theDeadlinePassingSaysWhoWasTried() {
        Harness.Response response = chat("too-slow", TEAM_B);

        assertThat(response.status()).isEqualTo(504);
        assertThat(error(response).path("code").asText()).isEqualTo("deadline_exceeded");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("stuck");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("server_error");
    }

    @Test
    void aJsonRouteThatFailsSaysWhoWasTried() {
        Harness.Response response = harness.get("/routes/weather/today", TEAM_B);

        assertThat(response.status()).isGreaterThanOrEqualTo(400);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("json-down");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("1");
    }

    @Test
    void anErrorBeforeAnyAttemptHasNoDetourHeaders() {
        Harness.Response response = chat("nothing-like-it", TEAM_B);

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.headers().get("x-detour-provider")).isNull();
        assertThat(response.headers().get("x-detour-attempts")).isNull();
    }

    @Test
    void aBodyThatIsNotJsonIsNamedWithoutTheParsersInternals() {
        Harness.Response response = harness.post("/v1/chat/completions", "{\"model\":\"gpt-4o\",", TEAM_B);

        assertThat(response.status()).isEqualTo(400);
        assertThat(error(response).path("message").asText())
                .isEqualTo("request body is not valid JSON: unexpected end of input inside an object at line 1, column 19");
        assertThat(error(response).path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(response.body()).doesNotContain("REDACTED", "StreamReadFeature", "Source");
    }

    @Test
    void anUnknownModelNamesTheCloseAliasesAndWhereToFindThemAll() {
        Harness.Response response = chat("gpt4o", TEAM_B);

        assertThat(response.status()).isEqualTo(404);
        assertThat(error(response).path("message").asText()).isEqualTo(
                "The model 'gpt4o' does not exist; did you mean 'gpt-4o' or 'gpt-4o-mini'? GET /v1/models lists all 6 models");
        assertThat(error(response).path("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void anUnknownPathKeepsItsLeadingSlash() {
        Harness.Response response = harness.get("/v1/chat/completion?x=1", TEAM_B);

        assertThat(response.status()).isEqualTo(404);
        assertThat(error(response).path("message").asText()).isEqualTo("no route for GET /v1/chat/completion");
        assertThat(error(response).path("code").asText()).isEqualTo("unknown_path");
    }

    @Test
    void aClientOverItsRateIsRefusedWithTheSecondsUntilItsNextRequest() {
        Map<String, String> teamA = Map.of("authorization", "Bearer " + TEAM_A_KEY, "content-type", "application/json");
        long before = harness.simulator.stats("ok").requests();

        assertThat(chat("gpt-4o", teamA).status()).isEqualTo(200);
        assertThat(chat("gpt-4o", teamA).status()).isEqualTo(200);
        Harness.Response limited = chat("gpt-4o", teamA);

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers().get("retry-after")).as("the seconds until the minute ends").isEqualTo("18");
        assertThat(error(limited).path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error(limited).path("message").asText())
                .isEqualTo("requests-per-minute limit of 2 reached for this key; retry after 18s");
        assertThat(harness.simulator.stats("ok").requests() - before).as("the refused request reaches no provider").isEqualTo(2);
        assertThat(chat("gpt-4o", TEAM_B).status()).as("another key has its own rate").isEqualTo(200);

        String metrics = harness.get("/metrics", Map.of()).body();
        assertThat(metrics).contains("detour_client_requests_total{client=\"team-a\",outcome=\"allowed\"} 2.0")
                .contains("detour_client_requests_total{client=\"team-a\",outcome=\"limited\"} 1.0")
                .doesNotContain(TEAM_A_KEY);
        Harness.await("the refusal's log line", () -> Harness.lines(harness.logText()).stream()
                .anyMatch(line -> line.path("status").asInt() == 429));
        assertThat(Harness.lines(harness.logText())).filteredOn(line -> line.path("status").asInt() == 429)
                .singleElement().satisfies(line -> assertThat(line.path("key_name").asText()).isEqualTo("team-a"));
    }

    @Test
    void aLogLineNamesTheClientAndNeverItsKey() {
        Harness.Response legacy = chat("gpt-4o", Map.of("authorization", "Bearer " + LEGACY_KEY, "x-request-id", "legacy-1"));
        Harness.Response named = chat("gpt-4o", Map.of("authorization", "Bearer " + TEAM_B_KEY, "x-request-id", "team-b-1"));

        assertThat(legacy.status()).isEqualTo(200);
        assertThat(named.status()).isEqualTo(200);
        Harness.await("both log lines", () -> harness.logText().contains("legacy-1") && harness.logText().contains("team-b-1"));
        assertThat(Harness.lines(harness.logText())).filteredOn(line -> line.path("request_id").asText().equals("team-b-1"))
                .singleElement().satisfies(line -> assertThat(line.path("key_name").asText()).isEqualTo("team-b"));
        assertThat(Harness.lines(harness.logText())).filteredOn(line -> line.path("request_id").asText().equals("legacy-1"))
                .singleElement().satisfies(line -> assertThat(line.path("key_name").asText()).isEqualTo("LEGACY_KEY"));
        assertThat(harness.logText()).doesNotContain(TEAM_A_KEY, TEAM_B_KEY, LEGACY_KEY);
        assertThat(harness.get("/metrics", Map.of()).body()).doesNotContain(TEAM_A_KEY, TEAM_B_KEY, LEGACY_KEY);
    }
}
