package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** The four providers of the example, for configs that test routes. */
    private static final String PROVIDERS = """
            providers:
              openai:    { type: openai, base-url: https://api.openai.com/v1, api-key-env: OPENAI_API_KEY }
              anthropic: { type: anthropic, base-url: https://api.anthropic.com/v1, api-key-env: ANTHROPIC_API_KEY }
              local:     { type: openai, base-url: http://127.0.0.1:11434/v1 }
              weather:   { type: http, base-url: https://api.weather.example }
            """;

    private static String example() throws IOException {
        try (InputStream in = ConfigLoaderTest.class.getResourceAsStream("/config/detour.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> problems(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "detour.yaml")).problems();
    }

    private static List<String> routeProblems(String routes) {
        return problems(PROVIDERS + routes);
    }

    @Test
    void theExampleParsesToItsRecords() throws IOException {
        GatewayConfig config = ConfigLoader.parse(example(), "detour.yaml");

        assertThat(config.server()).isEqualTo(new ServerConfig("127.0.0.1", 8080, 1_048_576, Duration.ofSeconds(10),
                List.of("x-user-id", "x-session-id"), 1024));
        assertThat(config.admin()).isEqualTo(new AdminConfig("DETOUR_ADMIN_TOKEN", "/admin"));
        assertThat(config.admin().enabled()).isTrue();
        assertThat(config.clientKeyEnvs()).containsExactly("DETOUR_CLIENT_KEY");
        assertThat(config.breaker()).isEqualTo(new BreakerConfig(20, 10, 0.5, Duration.ofSeconds(30), 3, null, 1.0));

        assertThat(config.providers()).containsOnlyKeys("openai", "anthropic", "local", "weather");
        assertThat(config.providers().keySet()).containsExactly("openai", "anthropic", "local", "weather");
        assertThat(config.providers().get("openai")).isEqualTo(new ProviderConfig("openai", "openai",
                "https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini", 1, 0, 0.00000015, 0, 256,
                Duration.ofSeconds(30), Map.of(), null, null));
        ProviderConfig anthropic = config.providers().get("anthropic");
        assertThat(anthropic.type()).isEqualTo("anthropic");
        assertThat(anthropic.model()).isEqualTo("claude-3-5-haiku-latest");
        assertThat(anthropic.isChat()).isTrue();
        ProviderConfig local = config.providers().get("local");
        assertThat(local.apiKeyEnv()).isNull();
        assertThat(local.model()).isNull();
        assertThat(local.baseUrl()).isEqualTo("http://127.0.0.1:11434/v1");
        assertThat(config.providers().get("weather").type()).isEqualTo("http");
        assertThat(config.providers().get("weather").isChat()).isFalse();

        assertThat(config.routes()).hasSize(1);
        RouteConfig smart = config.routes().get(0);
        assertThat(smart.alias()).isEqualTo("smart");
        assertThat(smart.deadline()).isEqualTo(Duration.ofSeconds(30));
        assertThat(smart.midStream()).isEqualTo("continue");
        assertThat(smart.idleTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(smart.validators()).containsExactly("nonEmpty", "finishedNormally");
        assertThat(smart.confidenceFloor()).isNull();
        assertThat(smart.bestEffort()).isFalse();
        assertThat(smart.maxAttempts()).isNull();
        assertThat(smart.maxCost()).isNull();
        assertThat(smart.lastKnownGood()).isNull();
        assertThat(smart.defaultAnswer()).isNull();
        assertThat(smart.fallbackOn()).isNull();
        assertThat(smart.tiers()).containsExactly(
                new TierConfig(List.of("openai"), Duration.ofSeconds(5), "ordered",
                        new RetryConfig(2, Duration.ofMillis(200), Duration.ofSeconds(6)),
                        new HedgeConfig(null, 0.95, Duration.ofMillis(1), 1)),
                new TierConfig(List.of("anthropic"), Duration.ofSeconds(8), "ordered", null, null),
                new TierConfig(List.of("local"), null, "ordered", null, null));

        assertThat(config.jsonRoutes()).containsExactly(new JsonRouteConfig("weather", Duration.ofSeconds(3),
                List.of(new TierConfig(List.of("weather"), Duration.ofSeconds(2), "ordered", null, null)),
                Duration.ofMinutes(5), null));
    }

    @Test
    void loadReadsAFileAndNamesItByItsFileName(@TempDir Path dir) throws IOException, URISyntaxException {
        Path example = Path.of(ConfigLoaderTest.class.getResource("/config/detour.yaml").toURI());
        assertThat(ConfigLoader.load(example)).isEqualTo(ConfigLoader.parse(example(), "whatever"));

        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, PROVIDERS + "server: { port: -1 }\n");
        assertThatThrownBy(() -> ConfigLoader.load(broken))
                .isInstanceOf(ConfigException.class)
                .hasMessage("broken.yaml: server.port: '-1' is not a port (0-65535)");
        Path missing = dir.resolve("missing.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage("missing.yaml: cannot read " + missing + ": no such file");
    }

    @Test
    void defaultsFillWhatIsLeftOut() {
        GatewayConfig config = ConfigLoader.parse("""
                providers:
                  weather: { type: http, base-url: https://api.weather.example }
                json-routes:
                  - { name: weather, tiers: [ { providers: [weather] } ] }
                """, "detour.yaml");

        assertThat(config.server()).isEqualTo(ServerConfig.defaults());
        assertThat(config.server().maxBodyBytes()).isEqualTo(1024 * 1024);
        assertThat(config.admin()).isEqualTo(AdminConfig.off());
        assertThat(config.admin().enabled()).isFalse();
        assertThat(config.clientKeyEnvs()).isEmpty();
        assertThat(config.breaker()).isEqualTo(BreakerConfig.defaults());
        assertThat(config.routes()).isEmpty();
        assertThat(config.jsonRoutes().get(0).deadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.jsonRoutes().get(0).lastKnownGood()).isNull();
        assertThat(config.providers().get("weather")).isEqualTo(new ProviderConfig("weather", "http",
                "https://api.weather.example", null, null, 1, 0, 0, 0, 256, Duration.ofSeconds(30), Map.of(), null, null));
    }

    @Test
    void camelCaseKeysWorkLikeKebabCaseOnes() {
        GatewayConfig config = ConfigLoader.parse("""
                server: { host: 0.0.0.0, port: 0, maxBodyBytes: 2048, shutdownGrace: PT5S, propagateHeaders: [X-Tenant] }
                admin: { tokenEnv: ADMIN, pathPrefix: /ops/detour }
                clientKeyEnvs: [KEY_A, KEY_B]
                breaker: { window: 50, minimumCalls: 5, failureRate: 0.25, openFor: 1m, halfOpenProbes: 1, slowCall: 2s, slowCallRate: 0.8 }
                providers:
                  groq:
                    type: OpenAI
                    baseUrl: https://api.groq.com/openai/v1
                    apiKeyEnv: GROQ_API_KEY
                    weight: 3
                    costPerCall: 0.001
                    costPerOutputToken: 0.000002
                    maxConnections: 8
                    maxIdleTime: 1h
                    headers: { X-Org: acme, X-Retries: 0 }
                  claude: { type: anthropic, base-url: https://api.anthropic.com/v1 }
                  weather: { type: http, baseUrl: "http://weather.internal:8081" }
                routes:
                  - alias: cheap
                    midStream: ERROR
                    validators: [valid-json, requestedFormat, noRefusal]
                    confidenceFloor: 0.8
                    bestEffort: true
                    maxAttempts: 4
                    maxCost: 0.05
                    lastKnownGood: 1h
                    defaultAnswer: Sorry, try again later.
                    fallbackOn: [client_error, TIMEOUT, rate-limited]
                    tiers:
                      - providers: [groq, claude]
                        balance: roundRobin
                        retry: { attempts: 3, maxBackoff: 1s }
                        hedge: { after: 300ms, maxHedges: 2 }
                      - { providers: [claude], balance: least_latency }
                      - { providers: [groq, claude], balance: WEIGHTED }
                jsonRoutes:
                  - name: weather
                    lastKnownGood: 5m
                    defaultBody: { temperature: null, source: default }
                    tiers: [ { providers: [weather] } ]
                  - name: weather-text
                    default-body: '{"status": "unknown"}'
                    tiers: [ { providers: [weather] } ]
                """, "detour.yaml");

        assertThat(config.server()).isEqualTo(new ServerConfig("0.0.0.0", 0, 2048, Duration.ofSeconds(5), List.of("x-tenant"), ServerConfig.DEFAULT_MAX_IN_FLIGHT));
        assertThat(config.admin()).isEqualTo(new AdminConfig("ADMIN", "/ops/detour"));
        assertThat(config.clientKeyEnvs()).containsExactly("KEY_A", "KEY_B");
        assertThat(config.breaker()).isEqualTo(new BreakerConfig(50, 5, 0.25, Duration.ofMinutes(1), 1,
                Duration.ofSeconds(2), 0.8));
        assertThat(config.providers().get("groq")).isEqualTo(new ProviderConfig("groq", "openai",
                "https://api.groq.com/openai/v1", "GROQ_API_KEY", null, 3, 0.001, 0, 0.000002, 8, Duration.ofHours(1),
                Map.of("X-Org", "acme", "X-Retries", "0"), null, null));
        assertThat(config.providers().get("weather").baseUrl()).isEqualTo("http://weather.internal:8081");

        RouteConfig cheap = config.routes().get(0);
        assertThat(cheap.midStream()).isEqualTo("error");
        assertThat(cheap.validators()).containsExactly("validJson", "requestedFormat", "noRefusal");
        assertThat(cheap.confidenceFloor()).isEqualTo(0.8);
        assertThat(cheap.bestEffort()).isTrue();
        assertThat(cheap.maxAttempts()).isEqualTo(4);
        assertThat(cheap.maxCost()).isEqualTo(0.05);
        assertThat(cheap.lastKnownGood()).isEqualTo(Duration.ofHours(1));
        assertThat(cheap.defaultAnswer()).isEqualTo("Sorry, try again later.");
        assertThat(cheap.fallbackOn()).containsExactly("client_error", "timeout", "rate_limited");
        assertThat(cheap.deadline()).isEqualTo(Duration.ofSeconds(60));
        assertThat(cheap.tiers().get(0)).isEqualTo(new TierConfig(List.of("groq", "claude"), null, "round-robin",
                new RetryConfig(3, Duration.ofMillis(100), Duration.ofSeconds(1)),
                new HedgeConfig(Duration.ofMillis(300), null, null, 2)));
        assertThat(cheap.tiers().get(1).balance()).isEqualTo("least-latency");
        assertThat(cheap.tiers().get(2).balance()).isEqualTo("weighted");

        assertThat(config.jsonRoutes().get(0).defaultBody()).isEqualTo("{\"temperature\":null,\"source\":\"default\"}");
        assertThat(config.jsonRoutes().get(0).lastKnownGood()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.jsonRoutes().get(1).defaultBody()).isEqualTo("{\"status\": \"unknown\"}");
    }

    @Test
    void durationsTakeUnitsOrIso8601() {
        assertThat(ConfigReader.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigReader.parseDuration("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(ConfigReader.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(ConfigReader.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(ConfigReader.parseDuration("PT5S")).isEqualTo(Duration.ofSeconds(5));
        assertThat(ConfigReader.parseDuration("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ConfigReader.parseDuration("P1D")).isEqualTo(Duration.ofDays(1));
        assertThat(ConfigReader.parseDuration("5x")).isNull();
        assertThat(ConfigReader.parseDuration("5")).isNull();
        assertThat(ConfigReader.parseDuration("1.5s")).isNull();
        assertThat(ConfigReader.parseDuration("PT")).isNull();
        assertThat(ConfigReader.parseDuration("99999999999999999999h")).isNull();
    }

    @Test
    void aBadDurationNamesItsPath() {
        assertThat(routeProblems("""
                routes:
                  - alias: smart
                    tiers:
                      - { providers: [openai], timeout: 5s }
                      - { providers: [anthropic], timeout: 5x }
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[1].timeout: '5x' is not a duration (use e.g. 250ms, 5s, 2m, 1h)");
        assertThat(routeProblems("routes: [ { alias: a, deadline: 30, tiers: [ { providers: [openai] } ] } ]"))
                .containsExactly("detour.yaml: routes[0].deadline: '30' is not a duration (use e.g. 250ms, 5s, 2m, 1h)");
        assertThat(routeProblems("routes: [ { alias: a, idle-timeout: [1s], tiers: [ { providers: [openai] } ] } ]"))
                .containsExactly("detour.yaml: routes[0].idle-timeout: expected a duration (use e.g. 250ms, 5s, 2m, 1h), got a list");
    }

    @Test
    void durationsMustBePositive() {
        assertThat(routeProblems("""
                routes:
                  - { alias: a, deadline: 0s, last-known-good: PT-5S, tiers: [ { providers: [openai] } ] }
                """)).containsExactly(
                "detour.yaml: routes[0].deadline: '0s' is not a positive duration",
                "detour.yaml: routes[0].last-known-good: 'PT-5S' is not a positive duration");
    }

    @Test
    void anUnknownProviderListsTheKnownOnes() {
        assertThat(routeProblems("routes: [ { alias: smart, tiers: [ { providers: [openai, opnai] } ] } ]"))
                .containsExactly("detour.yaml: routes[0].tiers[0].providers[1]: no provider 'opnai' (known: anthropic, local, openai, weather)");
    }

    @Test
    void anUnknownFieldSuggestsTheClosestKnownOne() {
        assertThat(problems("""
                providers:
                  openai: { tpye: openai, type: openai, base-url: https://api.openai.com/v1 }
                server: { maxBodyByte: 10, colour: blue }
                """)).containsExactly(
                "detour.yaml: providers.openai.tpye: unknown field (did you mean 'type'?)",
                "detour.yaml: server.maxBodyByte: unknown field (did you mean 'maxBodyBytes'?)",
                "detour.yaml: server.colour: unknown field (known: host, port, max-body-bytes, shutdown-grace, propagate-headers, max-in-flight, "
                        + "header-timeout, body-idle-timeout, body-timeout, keep-alive-timeout, max-header-bytes, max-connections, tls)");
    }

    @Test
    void aFieldGivenInBothStylesIsReported() {
        assertThat(problems(PROVIDERS + "server: { max-body-bytes: 10, maxBodyBytes: 20 }\n"))
                .containsExactly("detour.yaml: server.maxBodyBytes: given twice (also as 'max-body-bytes')");
    }

    @Test
    void aliasesAndJsonRouteNamesAreUnique() {
        assertThat(routeProblems("""
                routes:
                  - { alias: smart, tiers: [ { providers: [openai] } ] }
                  - { alias: smart, tiers: [ { providers: [anthropic] } ] }
                json-routes:
                  - { name: weather, tiers: [ { providers: [weather] } ] }
                  - { name: weather, tiers: [ { providers: [weather] } ] }
                  - { name: smart, tiers: [ { providers: [weather] } ] }
                """)).containsExactly(
                "detour.yaml: routes[1].alias: 'smart' is used twice",
                "detour.yaml: json-routes[1].name: 'weather' is used twice");
    }

    @Test
    void yamlSyntaxErrorsNameTheLineAndColumn() {
        assertThat(problems("""
                providers:
                  openai: { type: openai, base-url: [https://api.openai.com/v1 }
                """)).containsExactly("detour.yaml: line 2, column 64: invalid YAML: expected ',' or ']', but got } "
                + "(while parsing a flow sequence started at line 2, column 37)");
        assertThat(problems("providers:\n\topenai: {}\n")).containsExactly("detour.yaml: line 2, column 1: invalid YAML: "
                + "found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation)");
        assertThat(problems("server:\n  port: 1\n  port: 2\n"))
                .containsExactly("detour.yaml: line 3: invalid YAML: key 'port' is given twice in the same mapping");
        assertThat(problems(PROVIDERS + "---\nserver: {}\n"))
                .containsExactly("detour.yaml: more than one YAML document (a '---' line); the configuration must be a single document");
    }

    @Test
    void theDocumentMustBeAMappingWithProviders() {
        assertThat(problems("")).containsExactly("detour.yaml: the configuration is empty (it needs at least providers)");
        assertThat(problems("# nothing yet\n")).containsExactly("detour.yaml: the configuration is empty (it needs at least providers)");
        assertThat(problems("- a\n- b\n")).containsExactly("detour.yaml: expected a mapping, got a list");
        assertThat(problems("server: {}\n")).containsExactly("detour.yaml: providers: missing (define at least one provider)");
        assertThat(problems("providers: {}\n")).containsExactly("detour.yaml: providers: define at least one provider");
        assertThat(problems("providers: [openai]\n"))
                .containsExactly("detour.yaml: providers: expected a mapping of provider names to providers, got a list");
    }

    @Test
    void aMisspelledOrMissingProvidersSectionDoesNotCascade() {
        assertThat(problems("""
                provider:
                  openai: { type: openai, base-url: https://api.openai.com/v1 }
                routes: [ { alias: smart, tiers: [ { providers: [openai] } ] } ]
                """)).containsExactly("detour.yaml: provider: unknown field (did you mean 'providers'?)");
        assertThat(problems("routes: [ { alias: smart, tiers: [ { providers: [openai] } ] } ]\n"))
                .containsExactly("detour.yaml: providers: missing (define at least one provider)");
    }

    @Test
    void providersNeedAKnownTypeAndAnHttpUrl() {
        assertThat(problems("""
                providers:
                  a: { type: grpc, base-url: https://a.example }
                  b: { type: openai, base-url: ftp://b.example }
                  c: { type: openai, base-url: api.openai.com/v1 }
                  d: { base-url: https://d.example }
                  e: { type: openai }
                  f g: { type: http, base-url: https://f.example, weight: 0, cost-per-call: -1, max-connections: 0 }
                  h: { type: openai, base-url: https://h.example, api-key-env: my-key, headers: { "bad header": x } }
                """)).containsExactly(
                "detour.yaml: providers.a.type: 'grpc' is not a provider type (known: openai, anthropic, http)",
                "detour.yaml: providers.b.base-url: 'ftp://b.example' is not an http(s) URL (e.g. https://api.openai.com/v1)",
                "detour.yaml: providers.c.base-url: 'api.openai.com/v1' is not an http(s) URL (e.g. https://api.openai.com/v1)",
                "detour.yaml: providers.d.type: missing (required: openai, anthropic or http)",
                "detour.yaml: providers.e.base-url: missing (required)",
                "detour.yaml: providers.f g: 'f g' is not a provider name (letters, digits, '.', '_' and '-', starting with a letter or digit)",
                "detour.yaml: providers.f g.weight: '0' is not a weight (a number above 0)",
                "detour.yaml: providers.f g.cost-per-call: '-1' is not a cost (a number >= 0)",
                "detour.yaml: providers.f g.max-connections: '0' is not a whole number >= 1",
                "detour.yaml: providers.h.api-key-env: 'my-key' is not an environment variable name (letters, digits and _, not starting with a digit)",
                "detour.yaml: providers.h.headers.bad header: 'bad header' is not a header name");
    }

    @Test
    void providersServeOnlyTheirKindOfRoute() {
        assertThat(routeProblems("""
                routes:
                  - { alias: smart, tiers: [ { providers: [openai, weather] } ] }
                json-routes:
                  - { name: forecast, tiers: [ { providers: [weather, anthropic] } ] }
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[0].providers[1]: 'weather' is an http provider; routes take openai and anthropic providers (http providers serve json-routes)",
                "detour.yaml: json-routes[0].tiers[0].providers[1]: 'anthropic' is an anthropic provider; json-routes take http providers only");
    }

    @Test
    void routesNeedTiersAndTiersNeedProviders() {
        assertThat(routeProblems("""
                routes:
                  - { alias: none }
                  - { alias: empty, tiers: [] }
                  - { alias: lonely, tiers: [ { timeout: 1s }, { providers: [] }, { providers: [openai, openai] } ] }
                  - { tiers: [ { providers: [openai] } ] }
                json-routes:
                  - { name: weather }
                """)).containsExactly(
                "detour.yaml: routes[0].tiers: missing (a route needs at least one tier)",
                "detour.yaml: routes[1].tiers: a route needs at least one tier",
                "detour.yaml: routes[2].tiers[0].providers: missing (a tier needs at least one provider)",
                "detour.yaml: routes[2].tiers[1].providers: a tier needs at least one provider",
                "detour.yaml: routes[2].tiers[2].providers[1]: 'openai' is listed twice in this tier",
                "detour.yaml: routes[3].alias: missing (required)",
                "detour.yaml: json-routes[0].tiers: missing (a route needs at least one tier)");
    }

    @Test
    void aHedgeHasExactlyOneOfAfterAndPercentile() {
        assertThat(routeProblems("""
                routes:
                  - alias: smart
                    tiers:
                      - { providers: [openai], hedge: { max-hedges: 2 } }
                      - { providers: [openai], hedge: { after: 300ms, percentile: 0.95 } }
                      - { providers: [openai], hedge: { percentile: 1.5 } }
                      - { providers: [openai], hedge: { percentile: 0 } }
                      - { providers: [openai], hedge: { after: 300ms, floor: 10ms } }
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[0].hedge: give one of after (a fixed delay, e.g. 300ms) or percentile (an adaptive delay, e.g. 0.95)",
                "detour.yaml: routes[0].tiers[1].hedge: give only one of after (a fixed delay) and percentile (an adaptive delay)",
                "detour.yaml: routes[0].tiers[2].hedge.percentile: '1.5' is not a percentile (between 0 and 1 exclusive, e.g. 0.95)",
                "detour.yaml: routes[0].tiers[3].hedge.percentile: '0' is not a percentile (between 0 and 1 exclusive, e.g. 0.95)",
                "detour.yaml: routes[0].tiers[4].hedge.floor: applies only to a percentile hedge; a fixed delay has no floor");
    }

    @Test
    void retriesNeedAttemptsAndAConsistentBackoff() {
        assertThat(routeProblems("""
                routes:
                  - alias: smart
                    tiers:
                      - { providers: [openai], retry: { backoff: 1s } }
                      - { providers: [openai], retry: { attempts: 0 } }
                      - { providers: [openai], retry: { attempts: 3, backoff: 1s, max-backoff: 500ms } }
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[0].retry.attempts: missing (required: the most attempts, the first included)",
                "detour.yaml: routes[0].tiers[1].retry.attempts: '0' is not a number of attempts (a whole number >= 1, the first attempt included)",
                "detour.yaml: routes[0].tiers[2].retry.max-backoff: 500ms is shorter than the backoff (1s)");
    }

    @Test
    void portsAreBetween0And65535() {
        assertThat(problems(PROVIDERS + "server: { port: 70000 }\n"))
                .containsExactly("detour.yaml: server.port: '70000' is not a port (0-65535)");
        assertThat(problems(PROVIDERS + "server: { port: http }\n"))
                .containsExactly("detour.yaml: server.port: 'http' is not a port (0-65535)");
        assertThat(ConfigLoader.parse(PROVIDERS + "server: { port: 0 }\n", "detour.yaml").server().port()).isZero();
        assertThat(ConfigLoader.parse(PROVIDERS + "server: { port: 65535 }\n", "detour.yaml").server().port()).isEqualTo(65535);
    }

    @Test
    void namesFromAVocabularyMustBeKnown() {
        assertThat(routeProblems("""
                routes:
                  - alias: smart
                    mid-stream: resume
                    validators: [nonEmpty, isJson, non-empty]
                    fallback-on: [client_error, server-eror]
                    tiers: [ { providers: [openai], balance: random } ]
                """)).containsExactly(
                "detour.yaml: routes[0].mid-stream: 'resume' is not a mid-stream mode (known: error, continue)",
                "detour.yaml: routes[0].validators[1]: 'isJson' is not a validator (known: nonEmpty, finishedNormally, validJson, requestedFormat, noRefusal)",
                "detour.yaml: routes[0].validators[2]: 'nonEmpty' is listed twice",
                "detour.yaml: routes[0].fallback-on[1]: 'server-eror' is not a failure kind (known: timeout, connection, "
                        + "server_error, rate_limited, request_timeout, client_error, context_window, content_policy, empty, invalid, "
                        + "low_confidence, unavailable, error)",
                "detour.yaml: routes[0].tiers[0].balance: 'random' is not a balance (known: ordered, round-robin, weighted, least-latency)");
    }

    @Test
    void anEmptyFallbackListIsKeptAndDiffersFromNone() {
        GatewayConfig config = ConfigLoader.parse(PROVIDERS + """
                routes:
                  - { alias: strict, fallback-on: [], tiers: [ { providers: [openai] } ] }
                  - { alias: defaults, fallback-on: ~, tiers: [ { providers: [openai] } ] }
                """, "detour.yaml");
        assertThat(config.routes().get(0).fallbackOn()).isEmpty();
        assertThat(config.routes().get(1).fallbackOn()).isNull();
    }

    @Test
    void otherRangesAndShapesAreChecked() {
        assertThat(problems(PROVIDERS + """
                server: { max-body-bytes: 0, propagate-headers: [x-user-id, "x user"], host: "" }
                admin: { token-env: 1TOKEN, path-prefix: admin/ }
                client-key-envs: DETOUR_KEY
                breaker: { window: 5, minimum-calls: 10, failure-rate: 1.5, slow-call-rate: 0 }
                routes:
                  - { alias: smart, confidence-floor: 2, best-effort: maybe, max-attempts: 0, max-cost: -0.1, tiers: [ { providers: [openai] } ] }
                json-routes:
                  - { name: "the weather", default-body: "{oops", tiers: [ { providers: [weather] } ] }
                """)).containsExactly(
                "detour.yaml: server.max-body-bytes: '0' is not a positive whole number of bytes",
                "detour.yaml: server.propagate-headers[1]: 'x user' is not a header name",
                "detour.yaml: server.host: must not be empty",
                "detour.yaml: admin.token-env: '1TOKEN' is not an environment variable name (letters, digits and _, not starting with a digit)",
                "detour.yaml: admin.path-prefix: 'admin/' is not a path prefix (e.g. /admin: a leading /, no trailing /, no spaces or query)",
                "detour.yaml: client-key-envs: expected a list of environment variable names, got 'DETOUR_KEY'",
                "detour.yaml: breaker.minimum-calls: 10 is more than the window (5 calls), so the breaker could never open",
                "detour.yaml: breaker.failure-rate: '1.5' is not a rate (above 0, at most 1)",
                "detour.yaml: breaker.slow-call-rate: '0' is not a rate (above 0, at most 1)",
                "detour.yaml: routes[0].confidence-floor: '2' is not a confidence (0 to 1)",
                "detour.yaml: routes[0].best-effort: 'maybe' is not true or false",
                "detour.yaml: routes[0].max-attempts: '0' is not a whole number >= 1",
                "detour.yaml: routes[0].max-cost: '-0.1' is not a cost (a number >= 0)",
                "detour.yaml: json-routes[0].name: 'the weather' is not a route name (letters, digits, '.', '_' and '-', starting with a letter or digit)",
                "detour.yaml: json-routes[0].default-body: '{oops' is not JSON text: Unexpected character ('o' (code 111)): "
                        + "was expecting double-quote to start field name (give the body as JSON, e.g. '{\"status\": \"unknown\"}', or as YAML)");
    }

    @Test
    void theAdminPrefixCannotHideTheRoutersOwnPaths() {
        assertThat(problems(PROVIDERS + "admin: { token-env: T, path-prefix: /v1/admin }\n"))
                .containsExactly("detour.yaml: admin.path-prefix: '/v1/admin' would hide the router's own /v1 paths");
    }

    @Test
    void aDeadlineShorterThanEveryTierTimeoutIsReported() {
        assertThat(routeProblems("""
                routes:
                  - { alias: smart, deadline: 1s, tiers: [ { providers: [openai], timeout: 2s }, { providers: [local], timeout: 1500ms } ] }
                  - { alias: fine, deadline: 1s, tiers: [ { providers: [openai], timeout: 2s }, { providers: [local] } ] }
                """)).containsExactly("detour.yaml: routes[0].deadline: 1s is shorter than every tier timeout (2s, 1500ms); "
                + "no tier could use its own timeout");
    }

    @Test
    void everyProblemIsReportedAtOnceInDocumentOrder() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                routes:
                  - alias: smart
                    tiers:
                      - { providers: [openai, opnai], timeout: 5s }
                      - { providers: [anthropic], timeout: 5x }
                  - alias: smart
                    tiers: [ { providers: [local] } ]
                server: { port: 99999 }
                providers:
                  openai:    { tpye: openai, base-url: https://api.openai.com/v1 }
                  anthropic: { type: anthropic, base-url: https://api.anthropic.com/v1 }
                  local:     { type: openai, base-url: http://127.0.0.1:11434/v1 }
                  weather:   { type: http, base-url: https://api.weather.example }
                """, "detour.yaml"));

        assertThat(e.problems()).containsExactly(
                "detour.yaml: routes[0].tiers[0].providers[1]: no provider 'opnai' (known: anthropic, local, openai, weather)",
                "detour.yaml: routes[0].tiers[1].timeout: '5x' is not a duration (use e.g. 250ms, 5s, 2m, 1h)",
                "detour.yaml: routes[1].alias: 'smart' is used twice",
                "detour.yaml: server.port: '99999' is not a port (0-65535)",
                "detour.yaml: providers.openai.tpye: unknown field (did you mean 'type'?)");
        assertThat(e).hasMessage(String.join("\n", e.problems()));
    }

    @Test
    void requiredEnvsListsEveryNamedVariableOnce() throws IOException {
        assertThat(ConfigLoader.requiredEnvs(ConfigLoader.parse(example(), "detour.yaml")))
                .containsExactly("DETOUR_ADMIN_TOKEN", "DETOUR_CLIENT_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY");
        assertThat(ConfigLoader.requiredEnvs(ConfigLoader.parse("""
                client-key-envs: [KEY, SHARED]
                providers:
                  a: { type: openai, base-url: https://a.example, api-key-env: SHARED }
                  b: { type: openai, base-url: https://b.example, api-key-env: B_KEY }
                  c: { type: openai, base-url: https://c.example }
                """, "detour.yaml"))).containsExactly("KEY", "SHARED", "B_KEY");
    }

    @Test
    void theRecordsAreImmutable() throws IOException {
        GatewayConfig config = ConfigLoader.parse(example(), "detour.yaml");
        assertThatThrownBy(() -> config.providers().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.routes().get(0).tiers().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.server().propagateHeaders().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new HedgeConfig(null, null, null, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
