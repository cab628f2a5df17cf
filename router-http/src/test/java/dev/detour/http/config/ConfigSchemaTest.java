package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The schema, the vocabularies it takes from the enums, the defaults the records take from the core. */
class ConfigSchemaTest {

    private static final String PROVIDERS = """
            providers:
              openai:  { type: openai, base-url: https://api.openai.com/v1 }
              weather: { type: http, base-url: https://api.weather.example }
            """;

    private static GatewayConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, "detour.yaml");
    }

    private static List<String> problems(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> parse(yaml)).problems();
    }

    @Test
    void theReadmesExampleParses() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher yaml = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(yaml.find()).isTrue();

        GatewayConfig config = parse(yaml.group(1));

        assertThat(config.routes()).extracting(RouteConfig::alias).containsExactly("smart");
        assertThat(config.routes().get(0).streamDeadline()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.providers().get("local").continuation()).isEqualTo("prefill");
        assertThat(config.jsonRoutes()).extracting(JsonRouteConfig::name).containsExactly("weather");
    }

    @Test
    void theVocabulariesComeFromTheEnums() {
        assertThat(problems(PROVIDERS + "routes: [ { alias: a, fallback-on: [nope], tiers: [ { providers: [openai] } ] } ]\n"))
                .singleElement().asString().endsWith("(known: " + String.join(", ", Words.words(FailureKind.class)) + ")");
        assertThat(Words.words(RouteConfig.Validator.class))
                .containsExactly("nonEmpty", "finishedNormally", "validJson", "requestedFormat", "noRefusal");
        assertThat(Words.words(TierConfig.Balance.class)).containsExactly("ordered", "round-robin", "weighted", "least-latency");
    }

    @Test
    void theDefaultsAreTheCoresOwn() {
        GatewayConfig config = parse(PROVIDERS + """
                routes:
                  - alias: a
                    tiers: [ { providers: [openai], retry: { attempts: 2 }, hedge: { percentile: 0.9 } } ]
                """);
        BreakerPolicy breaker = BreakerPolicy.defaults();
        assertThat(config.breaker()).isEqualTo(new BreakerConfig(breaker.countWindow(), breaker.minimumCalls(),
                breaker.failureRate(), breaker.openFor(), breaker.halfOpenProbes(), null, BreakerPolicy.DEFAULT_SLOW_CALL_RATE));
        RetryPolicy retry = RetryPolicy.backoff(2, config.routes().get(0).tiers().get(0).retry().backoff());
        assertThat(config.routes().get(0).tiers().get(0).retry().maxBackoff()).isEqualTo(retry.maxDelay());
        assertThat(config.routes().get(0).tiers().get(0).hedge().floor()).isEqualTo(HedgePolicy.atPercentile(0.9).floor());
        assertThat(config.routes().get(0).deadline()).isEqualTo(dev.detour.core.Route.DEFAULT_DEADLINE);
        assertThat(config.providers().get("openai").maxConnections())
                .isEqualTo(dev.detour.llm.HttpSettings.of("http://x").maxConnections());
    }

    @Test
    void quotedNumbersAndBooleansAreReadAsTheSchemaWantsThem() {
        GatewayConfig config = parse(PROVIDERS + """
                server: { port: "8081", max-in-flight: '64' }
                routes: [ { alias: 7, best-effort: "true", confidence-floor: "0.5", tiers: [ { providers: [openai] } ] } ]
                """);
        assertThat(config.server().port()).isEqualTo(8081);
        assertThat(config.server().maxInFlight()).isEqualTo(64);
        assertThat(config.routes().get(0).alias()).isEqualTo("7");
        assertThat(config.routes().get(0).bestEffort()).isTrue();
        assertThat(config.routes().get(0).confidenceFloor()).isEqualTo(0.5);
        assertThat(problems(PROVIDERS + "routes: [ { alias: a, tiers: [ { providers: [openai], retry: { attempts: 2.0 } } ] } ]\n"))
                .containsExactly("detour.yaml: routes[0].tiers[0].retry.attempts: '2.0' is not a number of attempts "
                        + "(a whole number >= 1, the first attempt included)");
    }

    @Test
    void aValueIsReportedOnceAndItsFieldsStillCount() {
        assertThat(problems(PROVIDERS + """
                routes: [ { alias: a, tiers: [ { providers: [openai], hedge: { after: 1s, floor: 5x } } ] } ]
                providers2: {}
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[0].hedge.floor: '5x' is not a duration (use e.g. 250ms, 5s, 2m, 1h)",
                "detour.yaml: providers2: unknown field (did you mean 'providers'?)");
        assertThat(problems("""
                providers:
                  h: { type: http, base-url: 'http://h.example', headers: { A: [1], a: 2 } }
                """)).containsExactly(
                "detour.yaml: providers.h.headers.A: expected a header value, got a list",
                "detour.yaml: providers.h.headers.a: header 'a' is given twice");
    }

    @Test
    void aKeyGivenTwiceIsReportedWhereItIsWritten() {
        assertThat(problems(PROVIDERS + """
                routes:
                  - alias: a
                    maxAttempts: 0
                    max-attempts: 2
                    tiers: [ { providers: [openai] } ]
                """)).containsExactly(
                "detour.yaml: routes[0].maxAttempts: '0' is not a whole number >= 1",
                "detour.yaml: routes[0].max-attempts: given twice (also as 'maxAttempts')");
    }

    @Test
    void theCoresRefusalsAreNamedByTheirField() {
        assertThat(problems(PROVIDERS + """
                breaker: { minimum-calls: 30 }
                routes:
                  - { alias: a, deadline: 1s, tiers: [ { providers: [openai], timeout: 2s, first-token-timeout: 3s } ] }
                json-routes:
                  - { name: w, deadline: 1s, tiers: [ { providers: [weather], timeout: 2s } ] }
                """)).containsExactly(
                "detour.yaml: breaker.minimum-calls: 30 is more than the window (20 calls), so the breaker could never open",
                "detour.yaml: routes[0].deadline: 1s is shorter than every tier timeout (2s); no tier could use its own timeout",
                "detour.yaml: routes[0].deadline: 1s is shorter than every tier first-token timeout (3s); "
                        + "no tier could use its own first-token timeout",
                "detour.yaml: json-routes[0].deadline: 1s is shorter than every tier timeout (2s); no tier could use its own timeout");
    }

    @Test
    void recordsBuiltInCodeFollowTheSameRules() {
        assertThatThrownBy(() -> new RetryConfig(3, Duration.ofSeconds(1), Duration.ofMillis(500)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("max-backoff: 500ms is shorter than the backoff (1s)");
        assertThatThrownBy(() -> new HedgeConfig(Duration.ofMillis(300), null, Duration.ofMillis(5), 1))
                .hasMessage("floor: applies only to a percentile hedge; a fixed delay has no floor");
        assertThatThrownBy(() -> new AdminConfig("T", "/healthz"))
                .hasMessage("path-prefix: '/healthz' would hide the router's own /healthz paths");
        assertThat(new TierConfig(List.of("a"), null, "Round_Robin", null, null).balance()).isEqualTo("round-robin");
        assertThat(new ProviderConfig("p", "OpenAI", "https://p.example", null, null, null, null, null, null, null, null,
                Map.of(), null, null).type()).isEqualTo("openai");
    }
}
