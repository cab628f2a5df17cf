package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a request costs is charged to its client key however it ends, with the official OpenAI SDK as the client
 * and the router's counters on a stopped clock: answers a route rejected, a request its client left, embeddings,
 * JSON routes priced per call, a stream left before its end (an estimate), and a stream continued on a dearer
 * tier (each provider's part at its own prices, the fallback's toward the route's fallback spend cap).
 */
class SpendAccountingApiTest {

    private static final Map<String, String> KEYS = Map.of(
            "REJECTED", "sk-rejected-1a", "LEAVER", "sk-leaver-2b", "EMBEDDER", "sk-embedder-3c", "JSON", "sk-json-4d",
            "STREAM_LEAVER", "sk-stream-leaver-5e", "CONTINUED", "sk-continued-6f", "OPEN", "sk-open-7a");

    private static final String YAML = """
            server: { port: 0 }
            client-keys:
              - { name: rejected, key-env: REJECTED, spend-per-day: 0.0001 }
              - { name: leaver, key-env: LEAVER }
              - { name: embedder, key-env: EMBEDDER }
              - { name: json, key-env: JSON }
              - { name: stream-leaver, key-env: STREAM_LEAVER, tokens-per-minute: 1 }
              - { name: continued, key-env: CONTINUED }
              - { name: open, key-env: OPEN }
            providers:
              cheap:    { type: openai, base-url: "${simulator}/v1", model: cheap, cost-per-input-token: 0.0001, cost-per-output-token: 0.0002 }
              frontier: { type: openai, base-url: "${simulator}/v1", model: frontier, cost-per-output-token: 0.001 }
              slow:     { type: openai, base-url: "${simulator}/v1", model: slow, cost-per-output-token: 0.001 }
              paced:    { type: openai, base-url: "${simulator}/v1", model: paced }
              cut:      { type: openai, base-url: "${simulator}/v1", model: cut, cost-per-output-token: 0.00001 }
              resumes:  { type: openai, base-url: "${simulator}/v1", model: resumes, cost-per-output-token: 0.001 }
              embedder: { type: openai, base-url: "${simulator}/v1", model: embed, cost-per-input-token: 0.001 }
              weather:  { type: http, base-url: "${simulator}", cost-per-call: 0.002 }
            routes:
              - { alias: cheap-only, tiers: [ { providers: [cheap] } ] }
              - { alias: frontier-only, tiers: [ { providers: [frontier] } ] }
              - alias: json-only
                validators: [validJson]
                tiers: [ { providers: [cheap] }, { providers: [frontier] } ]
              - alias: json-then-slow
                validators: [validJson]
                tiers: [ { providers: [cheap] }, { providers: [slow] } ]
              - { alias: paced, tiers: [ { providers: [paced] } ] }
              - { alias: embed, tiers: [ { providers: [embedder] } ] }
              - alias: continued
                mid-stream: continue
                fallback-spend-per-day: 0.0001
                tiers: [ { providers: [cut] }, { providers: [resumes] } ]
            json-routes:
              - { name: health, tiers: [ { providers: [weather] } ] }
            """;

    private static final String LONG = Stream.generate(() -> "word").limit(40).collect(Collectors.joining(" "));

    private static final Map<String, OpenAIClient> CLIENTS = new ConcurrentHashMap<>();

    private static Harness h;

    @BeforeAll
    static void start() {
        h = new Harness(SimulatedProvider.builder().embeddings(8)
                .model("cheap", Behaviour.answer("Hello from the cheap model."))
                .model("frontier", Behaviour.answer("Hello from the frontier model."))
                .model("slow", Behaviour.answer("Slow.").latency(Duration.ofSeconds(30)))
                .model("paced", Behaviour.answer(LONG).pacing(Duration.ofMillis(200)))
                .model("cut", Behaviour.answer("one two three four five").fault(Fault.cutAfter(2)))
                .model("resumes", Behaviour.answer("one two three four five")),
                YAML, KEYS, Harness.stoppedClock());
    }

    @AfterAll
    static void stop() {
        CLIENTS.values().forEach(OpenAIClient::close);
        h.close();
    }

    /** The client of the key in {@code keyEnv}; the leaver's gives up after 1.5 s. */
    private static OpenAIClient openAi(String keyEnv) {
        return CLIENTS.computeIfAbsent(keyEnv, env -> OpenAIOkHttpClient.builder().baseUrl(h.router.baseUrl() + "/v1")
                .apiKey(KEYS.get(env)).maxRetries(0)
                .timeout(env.equals("LEAVER") ? Duration.ofMillis(1500) : Duration.ofSeconds(15)).build());
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


    private static double spend(String client) {
        return h.metric("detour_client_spend_total{client=\"" + client + "\"}");
    }

    private static double tokens(String client, String type) {
        return h.metric("detour_client_tokens_total{client=\"" + client + "\",type=\"" + type + "\"}");
    }

    /** The usage {@code model}'s route answers "Say hello." with (the simulator is deterministic). */
    private static CompletionUsage usage(String model) {
        return openAi("OPEN").chat().completions().create(params(model)).usage().orElseThrow();
    }

    @Test
    void answersTheRouteRejectedAreChargedToTheKeyAndItsBudgetThenRefuses() {
        CompletionUsage cheap = usage("cheap-only");
        CompletionUsage frontier = usage("frontier-only");
        OpenAIClient client = openAi("REJECTED");
        InternalServerException failed = catchThrowableOfType(InternalServerException.class,
                () -> client.chat().completions().create(params("json-only")));
        assertThat(failed).isNotNull();
        assertThat(failed.statusCode()).isEqualTo(502);

        Harness.await("the rejected answers charged", () -> spend("rejected") > 0);
        assertThat(spend("rejected")).isCloseTo(cheap.promptTokens() * 0.0001 + cheap.completionTokens() * 0.0002
                + frontier.completionTokens() * 0.001, within(1e-9));
        assertThat(tokens("rejected", "input")).isEqualTo(cheap.promptTokens() + frontier.promptTokens());
        assertThat(tokens("rejected", "output")).isEqualTo(cheap.completionTokens() + frontier.completionTokens());
        RateLimitException refused = catchThrowableOfType(RateLimitException.class,
                () -> client.chat().completions().create(params("json-only")));
        assertThat(refused).isNotNull();
        assertThat(refused.getMessage()).contains("spend-per-day limit of 0.0001 reached for this key");
    }

    @Test
    void aClientThatLeavesAfterAProviderAnsweredIsChargedForThatAnswer() {
        CompletionUsage cheap = usage("cheap-only");
        assertThat(catchThrowable(() -> openAi("LEAVER").chat().completions().create(params("json-then-slow")))).isNotNull();

        Harness.await("the left request charged", () -> spend("leaver") > 0);
        assertThat(spend("leaver")).isCloseTo(cheap.promptTokens() * 0.0001 + cheap.completionTokens() * 0.0002, within(1e-9));
        assertThat(tokens("leaver", "output")).isEqualTo(cheap.completionTokens());
        assertThat(h.simulator.stats("slow").requests()).isEqualTo(1);
    }

    @Test
    void embeddingsAreChargedToTheKeyAtTheProvidersPrices() {
        CreateEmbeddingResponse answer = openAi("EMBEDDER").embeddings().create(EmbeddingCreateParams.builder().model("embed")
                .inputOfArrayOfStrings(List.of("hello world", "goodbye")).build());

        Harness.await("the embeddings charged", () -> spend("embedder") > 0);
        assertThat(spend("embedder")).isCloseTo(answer.usage().promptTokens() * 0.001, within(1e-9));
        assertThat(tokens("embedder", "input")).isEqualTo(answer.usage().promptTokens());
        assertThat(h.metric("detour_route_spend_total{route=\"embeddings/embed\"}")).isCloseTo(answer.usage().promptTokens() * 0.001, within(1e-9));
    }

    @Test
    void aJsonRouteCallIsChargedItsCostPerCall() {
        assertThat(h.get("/routes/health/health", Map.of("authorization", "Bearer " + KEYS.get("JSON"))).status()).isEqualTo(200);

        Harness.await("the JSON call charged", () -> spend("json") > 0);
        assertThat(spend("json")).isCloseTo(0.002, within(1e-9));
    }

    @Test
    void aStreamTheClientLeavesIsChargedAnEstimateAndTheKeysTokensThenRefuse() {
        try (StreamResponse<ChatCompletionChunk> stream = openAi("STREAM_LEAVER").chat().completions()
                .createStreaming(params("paced"))) {
            Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
            assertThat(chunks.hasNext()).isTrue();
            chunks.next();
        }

        Harness.await("the left stream's estimate counted", () -> tokens("stream-leaver", "output") > 0);
        assertThat(tokens("stream-leaver", "input")).as("'Say hello.' at four characters a token").isEqualTo(3);
        assertThat(tokens("stream-leaver", "output")).isLessThan(40);
        Harness.await("the simulator saw the client leave", () -> h.simulator.stats("paced").disconnects() == 1);
        RateLimitException refused = catchThrowableOfType(RateLimitException.class,
                () -> streamed(openAi("STREAM_LEAVER"), "paced"));
        assertThat(refused).isNotNull();
        assertThat(refused.getMessage()).contains("tokens-per-minute limit of 1 reached for this key");
    }

    @Test
    void aStreamContinuedOnTheFallbackTierIsPricedThereAndReachesTheFallbackCap() {
        OpenAIClient client = openAi("CONTINUED");
        assertThat(streamed(client, "continued")).isEqualTo("one two three four five");
        Harness.await("the continued stream charged", () -> spend("continued") > 0);
        assertThat(spend("continued")).as("the continuation's tokens at its own price of 0.001 a token")
                .isGreaterThanOrEqualTo(0.001);

        Throwable cutAgain = catchThrowable(() -> streamed(client, "continued"));

        assertThat(cutAgain).as("past the fallback spend cap, nothing continues the cut stream").isNotNull();
        assertThat(h.simulator.stats("resumes").requests()).isEqualTo(1);
        assertThat(h.simulator.stats("cut").requests()).isEqualTo(2);
    }
}
