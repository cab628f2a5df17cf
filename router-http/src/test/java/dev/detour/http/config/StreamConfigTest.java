package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stream keys: continuation, stream-deadline, idle-timeout, failover-marker, malformed-events. */
class StreamConfigTest {

    private static final String PROVIDERS = """
            providers:
              openai:  { type: openai, base-url: http://127.0.0.1:9/v1 }
              vllm:    { type: openai, base-url: http://127.0.0.1:9/v1, continuation: prefill }
              claude:  { type: anthropic, base-url: http://127.0.0.1:9/v1, continuation: none }
            """;

    private static GatewayConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, "detour.yaml");
    }

    private static List<String> problems(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> parse(yaml)).problems();
    }

    @Test
    void theStreamKeysParseToTheirRecords() {
        GatewayConfig config = parse(PROVIDERS + """
                routes:
                  - alias: chat
                    deadline: 20s
                    stream-deadline: 2m
                    idle-timeout: 5s
                    failover-marker: chunk
                    malformed-events: fail
                    tiers: [ { providers: [openai] } ]
                """);

        RouteConfig route = config.routes().get(0);
        assertThat(route.streamDeadline()).isEqualTo(Duration.ofMinutes(2));
        assertThat(route.deadline()).isEqualTo(Duration.ofSeconds(20));
        assertThat(route.idleTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(route.failoverMarker()).isEqualTo("chunk");
        assertThat(route.malformedEvents()).isEqualTo("fail");
        assertThat(config.providers().get("openai").continuation()).isNull();
        assertThat(config.providers().get("vllm").continuation()).isEqualTo("prefill");
        assertThat(config.providers().get("claude").continuation()).isEqualTo("none");
    }

    @Test
    void leftOutAStreamGetsTheDeadlineWhenOneIsSetElseFiveMinutes() {
        GatewayConfig config = parse(PROVIDERS + """
                routes:
                  - alias: bounded
                    deadline: 3s
                    tiers: [ { providers: [openai] } ]
                  - alias: open
                    tiers: [ { providers: [openai] } ]
                """);

        RouteConfig bounded = config.routes().get(0);
        RouteConfig open = config.routes().get(1);
        assertThat(bounded.streamDeadline()).isEqualTo(Duration.ofSeconds(3));
        assertThat(open.deadline()).isEqualTo(RouteConfig.DEFAULT_DEADLINE);
        assertThat(open.streamDeadline()).isEqualTo(Duration.ofMinutes(5));
        assertThat(open.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(open.failoverMarker()).isEqualTo("comment");
        assertThat(open.malformedEvents()).isEqualTo("skip");
    }

    @Test
    void unknownValuesAndContinuationOnAPlainHttpProviderAreRefused() {
        assertThat(problems("""
                providers:
                  openai:  { type: openai, base-url: http://127.0.0.1:9/v1, continuation: resume }
                  weather: { type: http, base-url: http://127.0.0.1:9, continuation: prefill }
                routes:
                  - alias: chat
                    failover-marker: json
                    malformed-events: ignore
                    stream-deadline: soon
                    tiers: [ { providers: [openai] } ]
                """)).satisfiesExactlyInAnyOrder(
                        problem -> assertThat(problem).contains("providers.openai.continuation").contains("resume")
                                .contains("prefill, instruction, none"),
                        problem -> assertThat(problem).contains("providers.weather.continuation")
                                .contains("only openai and anthropic providers continue answers"),
                        problem -> assertThat(problem).contains("routes[0].failover-marker").contains("json"),
                        problem -> assertThat(problem).contains("routes[0].malformed-events").contains("ignore"),
                        problem -> assertThat(problem).contains("routes[0].stream-deadline").contains("soon"));
    }

    @Test
    void settingsThatNeedTheWholeAnswerAreNamed() {
        RouteConfig route = parse(PROVIDERS + """
                routes:
                  - alias: checked
                    validators: [nonEmpty, validJson]
                    last-known-good: 5m
                    default-answer: "Sorry."
                    tiers: [ { providers: [openai] } ]
                """).routes().get(0);

        assertThat(route.wholeAnswerSettings()).containsExactly("validators: validJson", "last-known-good", "default-answer");
    }

    @Test
    void firstTokenTimeoutsAreCheckedAgainstTheStreamDeadline() {
        parse(PROVIDERS + """
                routes:
                  - alias: chat
                    deadline: 1s
                    stream-deadline: 2m
                    tiers: [ { providers: [openai], timeout: 500ms, first-token-timeout: 5s } ]
                """);

        assertThat(problems(PROVIDERS + """
                routes:
                  - alias: chat
                    stream-deadline: 1s
                    tiers: [ { providers: [openai], timeout: 30s, first-token-timeout: 5s } ]
                """)).singleElement().satisfies(problem -> assertThat(problem).contains("routes[0].stream-deadline")
                        .contains("shorter than every tier first-token timeout"));
    }

    @Test
    void aSmallBreakerWindowWithTheDefaultMinimumStillBuildsItsPolicy() {
        GatewayConfig config = parse("""
                breaker: { window: 5 }
                """ + PROVIDERS + """
                routes:
                  - alias: chat
                    tiers: [ { providers: [openai] } ]
                """);

        assertThat(config.breaker().policy().countWindow()).isEqualTo(5);
        assertThat(problems("""
                breaker: { window: 5, minimum-calls: 10 }
                """ + PROVIDERS + """
                routes:
                  - alias: chat
                    tiers: [ { providers: [openai] } ]
                """)).singleElement().satisfies(problem -> assertThat(problem).contains("minimum-calls"));
    }
}
