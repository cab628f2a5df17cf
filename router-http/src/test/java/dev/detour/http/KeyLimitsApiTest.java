package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client keys' limits and routes' fallback spend caps end to end, with the official OpenAI and Anthropic SDKs as
 * clients of a router whose counters run on a stopped clock (42 s past a minute, 6 hours before midnight UTC, so
 * a {@code retry-after} is exact and no window ends mid-test). Each test has its own keys and routes.
 */
class KeyLimitsApiTest {

    private static final Map<String, String> KEYS = Map.of(
            "TPM", "sk-tpm-1a2b", "TPM_STREAM", "sk-tpm-stream-3c4d", "BUDGET", "sk-budget-5e6f",
            "ANTHROPIC_BUDGET", "sk-ant-budget-7a8b", "OPEN", "sk-open-9c0d", "METERED", "sk-metered-1f2e");

    private static final String YAML = """
            server: { port: 0 }
            client-keys:
              - { name: tpm, key-env: TPM, tokens-per-minute: 1 }
              - { name: tpm-stream, key-env: TPM_STREAM, tokens-per-minute: 1 }
              - { name: budget, key-env: BUDGET, spend-per-day: 0.0001 }
              - { name: anthropic-budget, key-env: ANTHROPIC_BUDGET, spend-per-day: 0.0001 }
              - { name: open, key-env: OPEN }
              - { name: metered, key-env: METERED }
            providers:
              cheap:           { type: openai, base-url: "${simulator}/v1", model: cheap, cost-per-input-token: 0.0001, cost-per-output-token: 0.0002 }
              down:            { type: openai, base-url: "${simulator}/v1", model: down }
              frontier:        { type: openai, base-url: "${simulator}/v1", model: frontier, cost-per-output-token: 0.001 }
              frontier-stream: { type: openai, base-url: "${simulator}/v1", model: frontier-stream, cost-per-output-token: 0.001 }
            routes:
              - { alias: gpt-4o, tiers: [ { providers: [cheap] } ] }
              - alias: capped
                fallback-spend-per-day: 0.0001
                default-answer: Over today's budget for the big model; try again tomorrow.
                tiers: [ { providers: [down] }, { providers: [frontier] } ]
              - alias: capped-stream
                fallback-spend-per-day: 0.0001
                tiers: [ { providers: [down] }, { providers: [frontier-stream] } ]
            """;

    private static Harness h;

    @BeforeAll
    static void start() {
        h = new Harness(SimulatedProvider.builder()
                .model("cheap", Behaviour.answer("Hello from the cheap model."))
                .model("down", Behaviour.status(503))
                .model("frontier", Behaviour.answer("Hello from the frontier model."))
                .model("frontier-stream", Behaviour.answer("Streamed by the frontier model.")),
                YAML, KEYS, Harness.stoppedClock());
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static OpenAIClient openAi(String keyEnv) {
        return OpenAIOkHttpClient.builder().baseUrl(h.router.baseUrl() + "/v1").apiKey(KEYS.get(keyEnv))
                .maxRetries(0).timeout(Duration.ofSeconds(15)).build();
    }

    private static ChatCompletionCreateParams params(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello.").build();
    }

    private static String streamed(OpenAIClient client, String model) {
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params(model))) {
            return stream.stream().flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
        }
    }


    @Test
    void tokensPerMinuteCountsTheAnswersUsageAndThenRefusesUntilTheMinuteEnds() {
        OpenAIClient client = openAi("TPM");
        try {
            assertThat(client.chat().completions().create(params("gpt-4o")).choices()).hasSize(1);
            long before = h.simulator.stats("cheap").requests();

            RateLimitException refused = catchThrowableOfType(RateLimitException.class,
                    () -> client.chat().completions().create(params("gpt-4o")));

            assertThat(refused).isNotNull();
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().values("retry-after")).containsExactly("18");
            assertThat(refused.getMessage()).contains("tokens-per-minute limit of 1 reached for this key; retry after 18s")
                    .doesNotContain(KEYS.get("TPM"));
            assertThat(refused.code()).contains("rate_limit_exceeded");
            assertThat(h.simulator.stats("cheap").requests()).as("a refused request reaches no provider").isEqualTo(before);
        } finally {
            client.close();
        }
    }

    @Test
    void aStreamsTokensCountWhenItEnds() {
        OpenAIClient client = openAi("TPM_STREAM");
        try {
            assertThat(streamed(client, "gpt-4o")).isEqualTo("Hello from the cheap model.");
            Harness.await("the stream's usage counted", () -> h.metric("detour_client_tokens_total{client=\"tpm-stream\",type=\"output\"}") > 0);

            RateLimitException refused = catchThrowableOfType(RateLimitException.class, () -> streamed(client, "gpt-4o"));

            assertThat(refused).isNotNull();
            assertThat(refused.getMessage()).contains("tokens-per-minute limit of 1 reached for this key");
        } finally {
            client.close();
        }
    }

    @Test
    void spendPerDayCountsAtTheProvidersPricesAndThenRefusesUntilMidnight() {
        OpenAIClient client = openAi("BUDGET");
        try {
            CompletionUsage usage = client.chat().completions().create(params("gpt-4o")).usage().orElseThrow();

            assertThat(h.metric("detour_client_spend_total{client=\"budget\"}"))
                    .isCloseTo(usage.promptTokens() * 0.0001 + usage.completionTokens() * 0.0002, within(1e-9));
            RateLimitException refused = catchThrowableOfType(RateLimitException.class,
                    () -> client.chat().completions().create(params("gpt-4o")));
            assertThat(refused).isNotNull();
            assertThat(refused.headers().values("retry-after")).as("6 hours less 42 s").containsExactly("21558");
            assertThat(refused.getMessage()).contains("spend-per-day limit of 0.0001 reached for this key; retry after 21558s")
                    .doesNotContain(KEYS.get("BUDGET"));
        } finally {
            client.close();
        }
    }

    @Test
    void theAnthropicDoorRefusesAKeyOverItsBudgetWithARateLimitError() {
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(h.router.baseUrl())
                .apiKey(KEYS.get("ANTHROPIC_BUDGET")).maxRetries(0).build();
        MessageCreateParams params = MessageCreateParams.builder().model("gpt-4o").maxTokens(64).addUserMessage("Say hello.").build();
        try {
            assertThat(client.messages().create(params).content()).isNotEmpty();

            com.anthropic.errors.RateLimitException refused = catchThrowableOfType(
                    com.anthropic.errors.RateLimitException.class, () -> client.messages().create(params));

            assertThat(refused).isNotNull();
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().values("retry-after")).containsExactly("21558");
            assertThat(refused.body().toString()).contains("rate_limit_error")
                    .contains("spend-per-day limit of 0.0001 reached for this key").doesNotContain(KEYS.get("ANTHROPIC_BUDGET"));
        } finally {
            client.close();
        }
    }

    @Test
    void pastTheRoutesFallbackSpendCapTheExpensiveTierIsSkippedAndTheDegradedStepServes() {
        OpenAIClient client = openAi("OPEN");
        try {
            try (HttpResponseFor<ChatCompletion> first = client.chat().completions().withRawResponse().create(params("capped"))) {
                assertThat(first.headers().values("x-detour-provider")).containsExactly("frontier");
                assertThat(first.parse().choices().get(0).message().content().orElseThrow()).contains("Hello from the frontier model.");
            }
            try (HttpResponseFor<ChatCompletion> capped = client.chat().completions().withRawResponse().create(params("capped"))) {
                assertThat(capped.statusCode()).isEqualTo(200);
                assertThat(capped.headers().values("x-detour-degraded")).singleElement().asString().startsWith("static_default");
                assertThat(capped.headers().values("x-detour-fallback")).containsExactly("unavailable");
                assertThat(capped.headers().values("x-detour-attempts")).as("the skipped tier made no call").containsExactly("1");
                assertThat(capped.parse().choices().get(0).message().content().orElseThrow()).startsWith("Over today's budget");
            }
            assertThat(h.simulator.stats("frontier").requests()).isEqualTo(1);
            assertThat(h.simulator.stats("down").requests()).isGreaterThanOrEqualTo(2);
            assertThat(h.metric("detour_calls_total{provider=\"frontier\",result=\"unavailable\",route=\"capped\"}")).isEqualTo(1);
        } finally {
            client.close();
        }
    }

    @Test
    void aStreamServedByTheFallbackTierCountsItsTokensTowardTheCapAndThenTheTierIsSkipped() {
        OpenAIClient client = openAi("OPEN");
        try {
            assertThat(streamed(client, "capped-stream")).isEqualTo("Streamed by the frontier model.");
            Harness.await("the stream's spend counted", () -> h.metric("detour_route_spend_total{route=\"capped-stream\"}") > 0);

            InternalServerException failed = catchThrowableOfType(InternalServerException.class,
                    () -> streamed(client, "capped-stream"));

            assertThat(failed).isNotNull();
            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(failed.getMessage()).contains("frontier-stream#1 unavailable: fallback spend cap of 0.0001 a day reached");
            assertThat(h.simulator.stats("frontier-stream").requests()).isEqualTo(1);
        } finally {
            client.close();
        }
    }

    @Test
    void usageAndSpendAreMetersPerKeyNameAndPerRouteAndNoKeyIsEverShown() {
        OpenAIClient client = openAi("METERED");
        try {
            CompletionUsage usage = client.chat().completions().create(params("gpt-4o")).usage().orElseThrow();

            assertThat(h.metric("detour_client_requests_total{client=\"metered\",outcome=\"allowed\"}")).isEqualTo(1);
            assertThat(h.metric("detour_client_tokens_total{client=\"metered\",type=\"input\"}")).isEqualTo(usage.promptTokens());
            assertThat(h.metric("detour_client_tokens_total{client=\"metered\",type=\"output\"}")).isEqualTo(usage.completionTokens());
            assertThat(h.metric("detour_client_spend_total{client=\"metered\"}"))
                    .isCloseTo(usage.promptTokens() * 0.0001 + usage.completionTokens() * 0.0002, within(1e-9));
            assertThat(h.metric("detour_route_tokens_total{route=\"gpt-4o\",type=\"output\"}")).isGreaterThanOrEqualTo(usage.completionTokens());
            assertThat(h.metric("detour_route_spend_total{route=\"gpt-4o\"}")).isPositive();
            String scrape = h.get("/metrics", Map.of()).body();
            Harness.await("the request's log line", () -> h.logText().contains("\"key_name\":\"metered\""));
            for (String key : List.copyOf(KEYS.values())) {
                assertThat(scrape).doesNotContain(key);
                assertThat(h.logText()).doesNotContain(key);
            }
        } finally {
            client.close();
        }
    }
}
