package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin API end to end, over real sockets against simulated providers: the admin token, the
 * providers' state and the operator overrides, configuration versions, reload by POST, a bad reload,
 * rollback, and the recent fallback events.
 */
class AdminApiTest {

    private static final String ADMIN_TOKEN = "admin-token-7f3e9c";
    private static final String CLIENT_KEY = "sk-client-5b2a1d";

    /** Two single-provider tiers: {@code first}, then {@code second}. */
    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            admin: { token-env: ADMIN }
            client-key-envs: [CLIENT]
            providers:
              first:  { type: openai, base-url: "${simulator}/v1", model: first }
              second: { type: openai, base-url: "${simulator}/v1", model: second }
            routes:
              - alias: chat
                deadline: 10s
                tiers:
                  - { providers: [first], timeout: 5s }
                  - { providers: [second], timeout: 5s }
            """;

    /** {@link #YAML} with one more alias, {@code express}, served by {@code second} alone. */
    private static final String WITH_EXPRESS = YAML + """
              - alias: express
                deadline: 10s
                tiers:
                  - { providers: [second], timeout: 5s }
            """;

    private Harness h;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder()
                .model("first", Behaviour.answer("from first"))
                .model("second", Behaviour.answer("from second")),
                YAML, Map.of("ADMIN", ADMIN_TOKEN, "CLIENT", CLIENT_KEY));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, String> bearer(String key) {
        return Map.of("authorization", "Bearer " + key);
    }

    private Harness.Response admin(String method, String path) {
        return admin(method, path, "");
    }

    private Harness.Response admin(String method, String path, String body) {
        return "GET".equals(method) ? h.get("/admin" + path, bearer(ADMIN_TOKEN))
                : h.post("/admin" + path, body, bearer(ADMIN_TOKEN));
    }

    private Harness.Response chat(String model) {
        return h.post("/v1/chat/completions", Harness.chat(model, false),
                Map.of("authorization", "Bearer " + CLIENT_KEY, "content-type", "application/json"));
    }

    private static String content(Harness.Response response) {
        return response.json().path("choices").path(0).path("message").path("content").asText();
    }

    private List<String> models() {
        Harness.Response response = h.get("/v1/models", bearer(CLIENT_KEY));
        assertThat(response.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        response.json().path("data").forEach(model -> ids.add(model.path("id").asText()));
        return ids;
    }

    private JsonNode provider(String name) {
        Harness.Response response = admin("GET", "/providers");
        assertThat(response.status()).isEqualTo(200);
        for (JsonNode provider : response.json().path("providers")) {
            if (name.equals(provider.path("name").asText())) {
                return provider;
            }
        }
        throw new AssertionError("no provider " + name + " in " + response.body());
    }

    private static void assertAuthError(Harness.Response response, String message) {
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.headers().get("content-type")).startsWith("application/json");
        JsonNode error = response.json().path("error");
        assertThat(error.path("type").asText()).isEqualTo("authentication_error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(error.path("message").asText()).isEqualTo(message);
        assertThat(response.body()).doesNotContain(ADMIN_TOKEN).doesNotContain("Exception").doesNotContain("\tat ");
    }

    private String substituted(String yaml) {
        return yaml.replace("${simulator}", h.simulator.baseUrl());
    }

    // ---------------------------------------------------------------- auth

    @Test
    void theAdminApiNeedsTheAdminToken() {
        assertAuthError(h.get("/admin/providers", Map.of()),
                "missing admin token: send 'Authorization: Bearer <key>'");
        assertAuthError(h.get("/admin/providers", Map.of("authorization", "Basic " + ADMIN_TOKEN)),
                "missing admin token: send 'Authorization: Bearer <key>'");
        assertAuthError(h.get("/admin/providers", bearer("not-the-token")), "wrong admin token");
        assertAuthError(h.get("/admin/config/versions", bearer(ADMIN_TOKEN + "x")), "wrong admin token");

        Harness.Response allowed = h.get("/admin/providers", bearer(ADMIN_TOKEN));
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(allowed.headers().get("content-type")).startsWith("application/json");
        assertThat(allowed.json().path("providers").isArray()).isTrue();
    }

    @Test
    void aClientKeyDoesNotOpenTheAdminApi() {
        assertAuthError(h.get("/admin/providers", bearer(CLIENT_KEY)), "wrong admin token");
        assertAuthError(h.get("/admin/events", bearer(CLIENT_KEY)), "wrong admin token");
        assertAuthError(h.post("/admin/providers/first/disable", "", bearer(CLIENT_KEY)), "wrong admin token");
        assertAuthError(h.post("/admin/config", substituted(WITH_EXPRESS), bearer(CLIENT_KEY)), "wrong admin token");
        assertAuthError(h.post("/admin/config/rollback/1", "", bearer(CLIENT_KEY)), "wrong admin token");

        // nothing the refused calls asked for happened
        assertThat(provider("first").path("disabled").asBoolean()).isFalse();
        assertThat(admin("GET", "/config/versions").json().path("current").asInt()).isEqualTo(1);
        assertThat(chat("chat").headers().get("x-detour-provider")).isEqualTo("first");
    }

    @Test
    void theAdminTokenIsNotAClientKey() {
        Harness.Response response = h.post("/v1/chat/completions", Harness.chat("chat", false), bearer(ADMIN_TOKEN));

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("error").path("message").asText()).isEqualTo("wrong API key");
        assertThat(h.simulator.stats("first").requests()).isZero();
    }

    // ---------------------------------------------------------------- providers

    @Test
    void providersShowBreakerStateLatencyErrorRateAndDisabled() {
        assertThat(content(chat("chat"))).isEqualTo("from first");

        JsonNode first = provider("first");
        assertThat(first.path("disabled").asBoolean()).isFalse();
        assertThat(first.path("breaker").path("state").asText()).isEqualTo("closed");
        assertThat(first.path("breaker").path("calls").asInt()).isEqualTo(1);
        assertThat(first.path("breaker").path("failures").asInt()).isZero();
        assertThat(first.path("latency_ewma_ms").isNumber()).isTrue();
        assertThat(first.path("latency_ewma_ms").asDouble()).isPositive();
        assertThat(first.path("error_rate").asDouble()).isZero();

        JsonNode second = provider("second");
        assertThat(second.path("latency_ewma_ms").isNull()).as("never called, so no latency yet").isTrue();
        assertThat(second.path("breaker").path("calls").asInt()).isZero();

        // a failure shows in the error rate and the breaker's window
        h.simulator.behaviour("first", Behaviour.status(503));
        Harness.Response fellBack = chat("chat");
        assertThat(fellBack.headers().get("x-detour-provider")).isEqualTo("second");
        first = provider("first");
        assertThat(first.path("breaker").path("calls").asInt()).isEqualTo(2);
        assertThat(first.path("breaker").path("failures").asInt()).isEqualTo(1);
        assertThat(first.path("error_rate").asDouble()).isPositive();
        assertThat(h.get("/admin/providers", bearer(ADMIN_TOKEN)).body()).doesNotContain(CLIENT_KEY).doesNotContain(ADMIN_TOKEN);
    }

    @Test
    void aDisabledProviderIsSkippedWithoutACallUntilEnabled() {
        assertThat(chat("chat").headers().get("x-detour-provider")).isEqualTo("first");
        assertThat(h.simulator.stats("first").requests()).isEqualTo(1);

        Harness.Response disabled = admin("POST", "/providers/first/disable");
        assertThat(disabled.status()).isEqualTo(200);
        assertThat(disabled.json().path("name").asText()).isEqualTo("first");
        assertThat(disabled.json().path("disabled").asBoolean()).isTrue();
        assertThat(provider("first").path("disabled").asBoolean()).isTrue();

        for (int i = 0; i < 3; i++) {
            Harness.Response response = chat("chat");
            assertThat(response.status()).isEqualTo(200);
            assertThat(content(response)).isEqualTo("from second");
            assertThat(response.headers().get("x-detour-provider")).isEqualTo("second");
            assertThat(response.headers().get("x-detour-attempts")).as("the disabled provider costs no call").isEqualTo("1");
            assertThat(response.headers().get("x-detour-fallback")).isEqualTo("unavailable");
        }
        assertThat(h.simulator.stats("first").requests()).as("no request reached the disabled provider").isEqualTo(1);
        assertThat(h.simulator.stats("second").requests()).isEqualTo(3);

        Harness.Response enabled = admin("POST", "/providers/first/enable");
        assertThat(enabled.status()).isEqualTo(200);
        assertThat(enabled.json().path("disabled").asBoolean()).isFalse();

        Harness.Response back = chat("chat");
        assertThat(back.headers().get("x-detour-provider")).isEqualTo("first");
        assertThat(back.headers().get("x-detour-fallback")).isNull();
        assertThat(h.simulator.stats("first").requests()).isEqualTo(2);
    }

    @Test
    void aForcedOpenBreakerSkipsTheProviderUntilReset() {
        Harness.Response forced = admin("POST", "/providers/first/force-open");
        assertThat(forced.status()).isEqualTo(200);
        assertThat(forced.json().path("breaker").path("state").asText()).isEqualTo("forced_open");
        assertThat(forced.json().path("disabled").asBoolean()).isFalse();
        assertThat(provider("first").path("breaker").path("state").asText()).isEqualTo("forced_open");

        Harness.Response response = chat("chat");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("second");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("1");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("unavailable");
        assertThat(h.simulator.stats("first").requests()).isZero();

        Harness.Response reset = admin("POST", "/providers/first/reset");
        assertThat(reset.status()).isEqualTo(200);
        assertThat(reset.json().path("breaker").path("state").asText()).isEqualTo("closed");
        assertThat(chat("chat").headers().get("x-detour-provider")).isEqualTo("first");
        assertThat(h.simulator.stats("first").requests()).isEqualTo(1);
    }

    @Test
    void unknownProvidersAndActionsAreRefusedPrecisely() {
        Harness.Response unknownAction = admin("POST", "/providers/first/explode");
        assertThat(unknownAction.status()).isEqualTo(404);
        assertThat(unknownAction.json().path("error").path("message").asText())
                .isEqualTo("unknown action 'explode'; use disable, enable, force-open or reset");

        Harness.Response unknownProvider = admin("POST", "/providers/third/disable");
        assertThat(unknownProvider.status()).isBetween(400, 404);
        assertThat(unknownProvider.json().path("error").path("message").asText())
                .contains("no provider 'third'").contains("first").contains("second");
        assertThat(unknownProvider.body()).doesNotContain("Exception");
    }

    // ---------------------------------------------------------------- config versions

    @Test
    void configVersionsStartAtOne() {
        Harness.Response response = admin("GET", "/config/versions");

        assertThat(response.status()).isEqualTo(200);
        ObjectNode body = response.json();
        assertThat(body.path("current").asInt()).isEqualTo(1);
        assertThat(body.path("versions")).hasSize(1);
        JsonNode first = body.path("versions").path(0);
        assertThat(first.path("number").asInt()).isEqualTo(1);
        assertThat(first.path("source").asText()).isEqualTo("test.yaml");
        assertThat(first.path("sha256").asText()).matches("[0-9a-f]{12}");
        assertThat(first.path("loaded_at").asText()).isNotBlank();
    }

    @Test
    void postingANewConfigMakesVersionTwoAndItsNewAliasServes() {
        assertThat(models()).containsExactly("chat");
        assertThat(chat("express").status()).isEqualTo(404);

        Harness.Response posted = admin("POST", "/config", substituted(WITH_EXPRESS));

        assertThat(posted.status()).isEqualTo(200);
        assertThat(posted.json().path("number").asInt()).isEqualTo(2);
        assertThat(posted.json().path("source").asText()).isEqualTo("admin");
        ObjectNode versions = admin("GET", "/config/versions").json();
        assertThat(versions.path("current").asInt()).isEqualTo(2);
        assertThat(versions.path("versions")).hasSize(2);
        assertThat(models()).containsExactly("chat", "express");

        Harness.Response express = chat("express");
        assertThat(express.status()).isEqualTo(200);
        assertThat(content(express)).isEqualTo("from second");
        assertThat(express.headers().get("x-detour-provider")).isEqualTo("second");
        assertThat(chat("chat").headers().get("x-detour-provider")).isEqualTo("first");

        // the same text again makes no new version
        Harness.Response again = admin("POST", "/config", substituted(WITH_EXPRESS));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("number").asInt()).isEqualTo(2);
        assertThat(admin("GET", "/config/versions").json().path("versions")).hasSize(2);
    }

    @Test
    void aBrokenConfigIsRefusedWithItsProblemsAndTheRunningOneKeepsServing() {
        String broken = substituted(YAML) + """
                  - alias: express
                    deadline: 5x
                    tiers:
                      - { providers: [thrid] }
                """;

        Harness.Response refused = admin("POST", "/config", broken);

        assertThat(refused.status()).isEqualTo(400);
        JsonNode error = refused.json().path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isEqualTo("""
                admin: routes[1].deadline: '5x' is not a duration (use e.g. 250ms, 5s, 2m, 1h)
                admin: routes[1].tiers[0].providers[0]: no provider 'thrid' (known: first, second)""");
        assertThat(refused.body()).doesNotContain("Exception").doesNotContain("\tat ");

        ObjectNode versions = admin("GET", "/config/versions").json();
        assertThat(versions.path("current").asInt()).isEqualTo(1);
        assertThat(versions.path("versions")).hasSize(1);
        assertThat(models()).containsExactly("chat");
        Harness.Response still = chat("chat");
        assertThat(still.status()).isEqualTo(200);
        assertThat(content(still)).isEqualTo("from first");
    }

    @Test
    void aYamlSyntaxErrorNamesItsLine() {
        Harness.Response refused = admin("POST", "/config", "providers:\n  first: { type: openai\nroutes: []\n");

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("error").path("message").asText())
                .startsWith("admin: line ").contains("invalid YAML");
        assertThat(admin("GET", "/config/versions").json().path("current").asInt()).isEqualTo(1);
        assertThat(chat("chat").status()).isEqualTo(200);
    }

    @Test
    void rollbackMakesANewVersionWithTheFirstConfig() {
        assertThat(admin("POST", "/config", substituted(WITH_EXPRESS)).json().path("number").asInt()).isEqualTo(2);
        assertThat(models()).containsExactly("chat", "express");

        Harness.Response rolledBack = admin("POST", "/config/rollback/1");

        assertThat(rolledBack.status()).isEqualTo(200);
        assertThat(rolledBack.json().path("number").asInt()).isEqualTo(3);
        assertThat(rolledBack.json().path("source").asText()).isEqualTo("rollback to v1");
        ObjectNode versions = admin("GET", "/config/versions").json();
        assertThat(versions.path("current").asInt()).isEqualTo(3);
        assertThat(versions.path("versions")).hasSize(3);
        assertThat(versions.path("versions").path(2).path("sha256").asText())
                .isEqualTo(versions.path("versions").path(0).path("sha256").asText());
        assertThat(models()).containsExactly("chat");
        assertThat(chat("express").status()).isEqualTo(404);
        assertThat(content(chat("chat"))).isEqualTo("from first");

        Harness.Response unknown = admin("POST", "/config/rollback/9");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").path("message").asText()).isEqualTo("no config version 9 (known: 1, 2, 3)");
        Harness.Response notANumber = admin("POST", "/config/rollback/latest");
        assertThat(notANumber.status()).isEqualTo(400);
        assertThat(notANumber.json().path("error").path("message").asText()).isEqualTo("version must be a number, was latest");
        assertThat(admin("GET", "/config/versions").json().path("current").asInt()).isEqualTo(3);
    }

    @Test
    void reloadWithoutAConfigFileSaysToPostTheYaml() {
        Harness.Response response = admin("POST", "/config/reload");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").path("message").asText())
                .isEqualTo("the router was not started from a config file; POST the YAML to the config endpoint instead");
    }

    // ---------------------------------------------------------------- events

    @Test
    void eventsShowFallbacksAndOverrides() {
        assertThat(admin("GET", "/events").json().path("events")).isEmpty();
        h.simulator.behaviour("first", Behaviour.status(503));

        Harness.Response fellBack = chat("chat");
        assertThat(fellBack.headers().get("x-detour-provider")).isEqualTo("second");
        assertThat(fellBack.headers().get("x-detour-fallback")).isEqualTo("server_error");
        assertThat(admin("POST", "/providers/second/disable").status()).isEqualTo(200);

        Harness.Response response = admin("GET", "/events");
        assertThat(response.status()).isEqualTo(200);
        JsonNode events = response.json().path("events");
        assertThat(events).hasSize(2);
        JsonNode fallback = events.path(0);
        assertThat(fallback.path("type").asText()).isEqualTo("FellBack");
        assertThat(fallback.path("route").asText()).isEqualTo("chat");
        assertThat(fallback.path("from").asText()).isEqualTo("first");
        assertThat(fallback.path("to").asText()).isEqualTo("second");
        assertThat(fallback.path("trigger").asText()).contains("503");
        JsonNode override = events.path(1);
        assertThat(override.path("type").asText()).isEqualTo("ProviderOverridden");
        assertThat(override.path("provider").asText()).isEqualTo("second");
        assertThat(override.path("action").asText()).isEqualTo("disabled");
    }

    // ---------------------------------------------------------------- bugs found

    @Test
    void aConfigNamingAMissingKeyVariableIsRefusedAndTheVersionStays() {
        String needsKey = substituted(YAML).replace("model: second }", "model: second, api-key-env: NOT_SET_ANYWHERE }");

        Harness.Response refused = admin("POST", "/config", needsKey);

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("error").path("message").asText()).contains("NOT_SET_ANYWHERE");
        ObjectNode versions = admin("GET", "/config/versions").json();
        assertThat(versions.path("current").asInt()).isEqualTo(1);
        assertThat(versions.path("versions")).hasSize(1);
    }

    @Test
    void anOperatorsDisableSurvivesAReloadThatKeepsTheProvider() {
        assertThat(admin("POST", "/providers/first/disable").status()).isEqualTo(200);

        assertThat(admin("POST", "/config", substituted(WITH_EXPRESS)).status()).isEqualTo(200);

        assertThat(provider("first").path("disabled").asBoolean()).isTrue();
        assertThat(chat("chat").headers().get("x-detour-provider")).isEqualTo("second");
        assertThat(h.simulator.stats("first").requests()).isZero();
    }

    @Test
    void theBreakerGaugeFollowsTheRouterAfterAReload() {
        assertThat(admin("POST", "/providers/first/force-open").status()).isEqualTo(200);
        assertThat(admin("POST", "/providers/first/reset").status()).isEqualTo(200);
        assertThat(breakerGauge("first")).isEqualTo(0.0);

        assertThat(admin("POST", "/config", substituted(WITH_EXPRESS)).status()).isEqualTo(200);
        assertThat(admin("POST", "/providers/first/force-open").status()).isEqualTo(200);

        assertThat(provider("first").path("breaker").path("state").asText()).isEqualTo("forced_open");
        assertThat(breakerGauge("first")).isEqualTo(3.0);
    }

    @Test
    void aReloadThatRotatesTheClientKeyTakesEffect() {
        h.close();
        String rotatedKey = "sk-client-rotated-8c1f";
        h = new Harness(SimulatedProvider.builder().model("first", Behaviour.answer("from first")), YAML,
                Map.of("ADMIN", ADMIN_TOKEN, "CLIENT", CLIENT_KEY, "CLIENT2", rotatedKey));

        Harness.Response posted = admin("POST", "/config",
                substituted(YAML).replace("client-key-envs: [CLIENT]", "client-key-envs: [CLIENT2]"));
        assertThat(posted.status()).isEqualTo(200);
        assertThat(posted.json().path("number").asInt()).isEqualTo(2);

        Harness.Response rotated = h.post("/v1/chat/completions", Harness.chat("chat", false), bearer(rotatedKey));
        Harness.Response revoked = h.post("/v1/chat/completions", Harness.chat("chat", false), bearer(CLIENT_KEY));
        assertThat(rotated.status()).as("the new key is accepted").isEqualTo(200);
        assertThat(revoked.status()).as("the removed key is refused").isEqualTo(401);
    }

    @Test
    void theRequestAfterAConfigPostAndAQueuedAnswerIsServed() throws IOException {
        String config = substituted(WITH_EXPRESS);
        String auth = "Authorization: Bearer " + ADMIN_TOKEN;
        try (RawClient client = new RawClient(h.router.port(), Duration.ofSeconds(5))) {
            // the POST is answered off the event loop; the versions, queued behind it, at once
            client.send(ClientEdgesTest.head("POST", "/admin/config", auth, "Content-Length: "
                    + config.getBytes(StandardCharsets.UTF_8).length) + config
                    + ClientEdgesTest.head("GET", "/admin/config/versions", auth));
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(client.read().body()).contains("\"current\":2");

            client.send(ClientEdgesTest.head("GET", "/v1/models", "Authorization: Bearer " + CLIENT_KEY));
            RawClient.Reply models = client.read();
            assertThat(models).as("the next request on the connection is answered").isNotNull();
            assertThat(models.body()).contains("\"express\"");
        }
    }

    private double breakerGauge(String provider) {
        String metrics = h.get("/metrics", Map.of()).body();
        Matcher matcher = Pattern.compile("(?m)^detour_breaker_state\\{[^}]*provider=\"" + provider + "\"[^}]*} (\\S+)$")
                .matcher(metrics);
        assertThat(matcher.find()).as("a detour_breaker_state line for %s in:%n%s", provider, metrics).isTrue();
        return Double.parseDouble(matcher.group(1));
    }
}
