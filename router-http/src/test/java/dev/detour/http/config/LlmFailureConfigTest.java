package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keys of LLM-aware failures: on-context-window, empty-answers, first-token-timeout, retry-on and the new kinds. */
class LlmFailureConfigTest {

    private static final String PROVIDERS = """
            providers:
              small:   { type: openai, base-url: http://127.0.0.1:9/v1, model: small }
              large:   { type: anthropic, base-url: http://127.0.0.1:9/v1, model: large }
              huge:    { type: openai, base-url: http://127.0.0.1:9/v1, model: huge }
              weather: { type: http, base-url: http://127.0.0.1:9 }
            """;

    private static GatewayConfig parse(String routes) {
        return ConfigLoader.parse(PROVIDERS + routes, "detour.yaml");
    }

    private static List<String> problems(String routes) {
        return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(PROVIDERS + routes, "detour.yaml"))
                .problems();
    }

    @Test
    void theNewKeysParseToTheirRecords() {
        RouteConfig route = parse("""
                routes:
                  - alias: chat
                    on-context-window: [large, huge]
                    empty-answers: allow
                    fallback-on: [server_error, context_window, content_policy]
                    tiers:
                      - providers: [small]
                        timeout: 20s
                        first-token-timeout: 2s
                        retry: { attempts: 3, backoff: 50ms, retry-on: [timeout, server_error] }
                """).routes().get(0);

        assertThat(route.onContextWindow()).containsExactly("large", "huge");
        assertThat(route.emptyAnswers()).isEqualTo("allow");
        assertThat(route.fallbackOn()).containsExactly("server_error", "context_window", "content_policy");
        TierConfig tier = route.tiers().get(0);
        assertThat(tier.timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(tier.firstTokenTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tier.streamTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tier.retry()).isEqualTo(new RetryConfig(3, Duration.ofMillis(50), Duration.ofMillis(1500),
                List.of("timeout", "server_error")));
    }

    @Test
    void leftOutTheyKeepTheDefaults() {
        RouteConfig route = parse("""
                routes:
                  - alias: chat
                    tiers: [ { providers: [small], timeout: 5s, retry: { attempts: 2 } } ]
                """).routes().get(0);

        assertThat(route.onContextWindow()).isEmpty();
        assertThat(route.emptyAnswers()).isEqualTo(RouteConfig.EMPTY_FALL_BACK);
        assertThat(route.tiers().get(0).firstTokenTimeout()).isNull();
        assertThat(route.tiers().get(0).streamTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(route.tiers().get(0).retry().retryOn()).isNull();
    }

    @Test
    void onContextWindowNamesKnownChatProvidersOnce() {
        assertThat(problems("""
                routes:
                  - alias: chat
                    on-context-window: [giant, weather, large, large]
                    tiers: [ { providers: [small] } ]
                  - alias: none
                    on-context-window: []
                    tiers: [ { providers: [small] } ]
                  - alias: scalar
                    on-context-window: large
                    tiers: [ { providers: [small] } ]
                """)).containsExactly(
                "detour.yaml: routes[0].on-context-window[0]: no provider 'giant' (known: huge, large, small, weather)",
                "detour.yaml: routes[0].on-context-window[1]: 'weather' is an http provider; routes take openai and "
                        + "anthropic providers (http providers serve json-routes)",
                "detour.yaml: routes[0].on-context-window[3]: 'large' is listed twice in on-context-window",
                "detour.yaml: routes[1].on-context-window: name at least one larger-context provider, or leave "
                        + "on-context-window out",
                "detour.yaml: routes[2].on-context-window: expected a list of provider names, got 'large'");
    }

    @Test
    void emptyAnswersIsFallBackOrAllow() {
        assertThat(problems("""
                routes:
                  - alias: chat
                    empty-answers: ignore
                    tiers: [ { providers: [small] } ]
                """)).containsExactly(
                "detour.yaml: routes[0].empty-answers: 'ignore' is not an empty-answers mode (known: fall-back, allow)");
        assertThat(parse("""
                routes:
                  - alias: chat
                    empty-answers: fall-back
                    tiers: [ { providers: [small] } ]
                """).routes().get(0).emptyAnswers()).isEqualTo("fall-back");
    }

    @Test
    void firstTokenTimeoutIsADurationOfChatTiersThatTheDeadlineMustLeaveRoomFor() {
        assertThat(problems("""
                routes:
                  - alias: chat
                    tiers: [ { providers: [small], first-token-timeout: soon } ]
                  - alias: slow-streams
                    deadline: 5s
                    tiers: [ { providers: [small], timeout: 4s, first-token-timeout: 6s }, { providers: [large], timeout: 10s } ]
                json-routes:
                  - name: weather
                    tiers: [ { providers: [weather], first-token-timeout: 1s } ]
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[0].first-token-timeout: 'soon' is not a duration (use e.g. 250ms, 5s, 2m, 1h)",
                "detour.yaml: routes[1].deadline: 5s is shorter than every tier first-token timeout (6s, 10s); "
                        + "no tier could use its own first-token timeout",
                "detour.yaml: json-routes[0].tiers[0].first-token-timeout: applies only to the streams of chat routes; "
                        + "json-routes use timeout");
    }

    @Test
    void retryOnListsFailureKindsButNeverContextWindow() {
        assertThat(problems("""
                routes:
                  - alias: chat
                    tiers:
                      - { providers: [small], retry: { attempts: 2, retry-on: [timeout, sometimes] } }
                      - { providers: [large], retry: { attempts: 2, retry-on: [context_window] } }
                      - { providers: [huge], retry: { attempts: 2, retry-on: [] } }
                """)).containsExactly(
                "detour.yaml: routes[0].tiers[0].retry.retry-on[1]: 'sometimes' is not a failure kind (known: timeout, "
                        + "connection, server_error, rate_limited, request_timeout, client_error, context_window, "
                        + "content_policy, empty, invalid, low_confidence, unavailable, error)",
                "detour.yaml: routes[0].tiers[1].retry.retry-on: context_window is never retried on the same provider; "
                        + "name larger-context providers in the route's on-context-window",
                "detour.yaml: routes[0].tiers[2].retry.retry-on: name at least one failure kind, or leave retry-on out "
                        + "for the default (connection, server_error, rate_limited, request_timeout)");
    }
}
