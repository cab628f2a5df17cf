package dev.detour.http.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.FailureKind;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.GatewayConfig;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the gateway maps on-context-window, first-token-timeout and retry-on onto the core's routes. */
class GatewayLlmFailuresTest {

    private static Gateway build(String yaml) {
        GatewayConfig config = ConfigLoader.parse(yaml, "test.yaml");
        return Gateway.build(config, Map.<String, String>of()::get, Router.create(), new Gateway.RecentEvents(10));
    }

    private static final String PROVIDERS = """
            providers:
              small: { type: openai, base-url: http://127.0.0.1:9/v1, model: small }
              large: { type: anthropic, base-url: http://127.0.0.1:9/v1, model: large }
              huge:  { type: openai, base-url: http://127.0.0.1:9/v1, model: huge }
            """;

    @Test
    void theStreamingTierUsesTheFirstTokenTimeoutAndTheWholeAnswerTierTheTimeout() {
        Gateway gateway = build(PROVIDERS + """
                routes:
                  - alias: chat
                    tiers:
                      - { providers: [small], timeout: 20s, first-token-timeout: 2s }
                      - { providers: [large], timeout: 30s }
                """);
        Gateway.ChatRoute chat = gateway.route("chat");

        assertThat(chat.whole().tiers()).extracting(Tier::timeout)
                .containsExactly(Duration.ofSeconds(20), Duration.ofSeconds(30));
        assertThat(chat.streaming().route().tiers()).extracting(Tier::timeout)
                .containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(30));
    }

    @Test
    void onContextWindowBecomesTheContextWindowTierOfBothRoutes() {
        Gateway gateway = build(PROVIDERS + """
                routes:
                  - alias: chat
                    on-context-window: [large, huge]
                    tiers: [ { providers: [small] } ]
                  - alias: plain
                    tiers: [ { providers: [small] } ]
                """);

        Route<ChatRequest, ChatResponse> whole = gateway.route("chat").whole();
        assertThat(whole.onContextWindow().providers()).extracting(Provider::name).containsExactly("large", "huge");
        assertThat(gateway.route("chat").streaming().route().onContextWindow().providers()).extracting(Provider::name)
                .containsExactly("large", "huge");
        assertThat(gateway.route("plain").whole().onContextWindow()).isNull();
        assertThat(gateway.route("plain").streaming().route().onContextWindow()).isNull();
    }

    @Test
    void aRetryRetriesTimeoutsOnlyWhenItsRetryOnListsThem() {
        Gateway gateway = build(PROVIDERS + """
                routes:
                  - alias: chat
                    fallback-on: [server_error, context_window]
                    tiers:
                      - { providers: [small], retry: { attempts: 3 } }
                      - { providers: [large], retry: { attempts: 3, retry-on: [timeout, connection] } }
                """);
        Route<ChatRequest, ChatResponse> whole = gateway.route("chat").whole();

        assertThat(whole.tiers().get(0).retry().retries(FailureKind.TIMEOUT)).isFalse();
        assertThat(whole.tiers().get(0).retry().retries(FailureKind.SERVER_ERROR)).isTrue();
        assertThat(whole.tiers().get(1).retry().retryOn()).containsExactly(FailureKind.TIMEOUT, FailureKind.CONNECTION);
        assertThat(gateway.route("chat").streaming().route().tiers().get(1).retry().retries(FailureKind.TIMEOUT)).isTrue();
        assertThat(whole.fallbackOn()).containsExactly(FailureKind.SERVER_ERROR, FailureKind.CONTEXT_WINDOW);
    }
}
