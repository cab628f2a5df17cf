package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/embeddings} with the official OpenAI SDK: a route per alias over its OpenAI-compatible providers'
 * {@code /embeddings}, with the chat route's fallback semantics (a 503 falls back, a 400 passes through), headers
 * and log line.
 */
class EmbeddingsTest {

    private static final String CLIENT_KEY = "sk-embed-1";
    private static final String SIM_KEY = "sim-key-embed";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-keys:
              - { name: sdk, key-env: CLIENT }
            providers:
              claude:  { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: claude }
              primary: { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: embed-primary }
              backup:  { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: embed-backup }
            routes:
              - alias: embed
                deadline: 10s
                tiers:
                  - { providers: [claude, primary], timeout: 5s }
                  - { providers: [backup], timeout: 5s }
              - alias: claude-only
                tiers: [ { providers: [claude] } ]
            """;

    private Harness h;
    private OpenAIClient client;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder().apiKey(SIM_KEY).embeddings(8)
                .model("embed-primary", Behaviour.answer("unused"))
                .model("embed-backup", Behaviour.answer("unused")),
                YAML, Map.of("CLIENT", CLIENT_KEY, "SIM", SIM_KEY));
        client = OpenAIOkHttpClient.builder().baseUrl(h.router.baseUrl() + "/v1").apiKey(CLIENT_KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(15)).build();
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

    private static EmbeddingCreateParams params(String model, String... inputs) {
        return EmbeddingCreateParams.builder().model(model).inputOfArrayOfStrings(List.of(inputs)).build();
    }

    @Test
    void theFirstOpenAiCompatibleProviderEmbedsDeterministically() {
        try (HttpResponseFor<CreateEmbeddingResponse> response = client.embeddings().withRawResponse()
                .create(params("embed", "hello world", "goodbye"))) {
            CreateEmbeddingResponse answer = response.parse();
            assertThat(answer.data()).hasSize(2);
            assertThat(answer.data().get(0).embedding()).hasSize(8);
            assertThat(answer.data().get(0).embedding()).isNotEqualTo(answer.data().get(1).embedding());
            assertThat(answer.usage().promptTokens()).isEqualTo(3);
            assertThat(response.headers().values("x-detour-provider")).containsExactly("primary");
        }
        CreateEmbeddingResponse again = client.embeddings().create(params("embed", "hello world"));
        assertThat(again.data().get(0).embedding())
                .isEqualTo(client.embeddings().create(params("embed", "hello world")).data().get(0).embedding());
        assertThat(h.simulator.lastRequest("embed-primary").path("model").asText()).isEqualTo("embed-primary");
        assertThat(h.simulator.stats("claude").requests()).isZero();
        Harness.await("the log line", () -> h.logText().contains("\"embeddings\":true"));
        assertThat(Harness.lines(h.logText())).anySatisfy(line -> {
            assertThat(line.path("served_by").asText()).isEqualTo("primary");
            assertThat(line.path("status").asInt()).isEqualTo(200);
        });
    }

    @Test
    void aServerErrorFallsBackToTheNextTier() {
        h.simulator.behaviour("embed-primary", Behaviour.status(503));
        try (HttpResponseFor<CreateEmbeddingResponse> response = client.embeddings().withRawResponse()
                .create(params("embed", "hello"))) {
            assertThat(response.parse().data()).hasSize(1);
            assertThat(response.headers().values("x-detour-provider")).containsExactly("backup");
            assertThat(response.headers().values("x-detour-fallback")).isNotEmpty();
        }
        assertThat(h.simulator.stats("embed-primary").requests()).isEqualTo(1);
    }

    @Test
    void unknownAliasesAndRoutesWithoutAnOpenAiProviderAreRefused() {
        assertThat(catchThrowableOfType(NotFoundException.class, () -> client.embeddings().create(params("nope", "x"))))
                .hasMessageContaining("nope");
        assertThat(catchThrowableOfType(BadRequestException.class, () -> client.embeddings().create(params("claude-only", "x"))))
                .hasMessageContaining("no OpenAI-compatible provider");
    }
}
