package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageTokensCount;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/messages/count_tokens} with the official SDK: forwarded to the route's first Anthropic provider
 * (a simulator that counts the words of the system prompt and messages), or estimated, and marked so, when the
 * route has none.
 */
class AnthropicCountTokensTest {

    private static final String CLIENT_KEY = "sk-ant-client-77c1";
    private static final String SIM_KEY = "sim-key-count";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-keys:
              - { name: sdk, key-env: CLIENT }
            providers:
              claude: { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: claude }
              gpt:    { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: gpt }
            routes:
              - alias: claude-first
                tiers: [ { providers: [claude] }, { providers: [gpt] } ]
              - alias: gpt-first
                tiers: [ { providers: [gpt] }, { providers: [claude] } ]
              - alias: gpt-only
                tiers: [ { providers: [gpt] } ]
            """;

    private Harness h;
    private AnthropicClient client;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder().apiKey(SIM_KEY).countTokens()
                .model("claude", Behaviour.answer("Hello from Claude."))
                .model("gpt", Behaviour.answer("Hello from GPT.")),
                YAML, Map.of("CLIENT", CLIENT_KEY, "SIM", SIM_KEY));
        client = AnthropicSdk.client(h, CLIENT_KEY);
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (h != null) {
            h.close();
        }
    }

    private static MessageCountTokensParams params(String model) {
        return MessageCountTokensParams.builder().model(model).system("Be brief.")
                .addUserMessage("Count the tokens of this sentence, please.").build();
    }

    @Test
    void theRoutesFirstAnthropicProviderCounts() {
        try (HttpResponseFor<MessageTokensCount> response = client.messages().withRawResponse().countTokens(params("claude-first"))) {
            assertThat(response.parse().inputTokens()).isEqualTo(2 + 7);
            assertThat(response.headers().values("x-detour-provider")).containsExactly("claude");
            assertThat(response.headers().values("x-detour-estimated")).isEmpty();
        }
        assertThat(h.simulator.tokenCounts()).isEqualTo(1);
        assertThat(h.simulator.stats("claude").requests()).isZero();
    }

    @Test
    void anAnthropicProviderInALaterTierCountsToo() {
        try (HttpResponseFor<MessageTokensCount> response = client.messages().withRawResponse().countTokens(params("gpt-first"))) {
            assertThat(response.parse().inputTokens()).isEqualTo(9);
            assertThat(response.headers().values("x-detour-provider")).containsExactly("claude");
        }
        assertThat(h.simulator.stats("gpt").requests()).isZero();
    }

    @Test
    void aRouteWithoutAnAnthropicProviderGetsAnEstimateMarkedAsSuch() {
        try (HttpResponseFor<MessageTokensCount> response = client.messages().withRawResponse().countTokens(params("gpt-only"))) {
            assertThat(response.parse().inputTokens()).isPositive();
            assertThat(response.headers().values("x-detour-estimated")).containsExactly("true");
            assertThat(response.headers().values("x-detour-provider")).isEmpty();
        }
        assertThat(h.simulator.tokenCounts()).isZero();
    }

    @Test
    void aProviderThatCannotCountIsReplacedByTheEstimate() {
        h.simulator.close();
        try (HttpResponseFor<MessageTokensCount> response = client.messages().withRawResponse().countTokens(params("claude-first"))) {
            assertThat(response.parse().inputTokens()).isPositive();
            assertThat(response.headers().values("x-detour-estimated")).containsExactly("true");
        }
        Harness.await("the log line", () -> h.logText().contains("count_failed"));
    }
}
