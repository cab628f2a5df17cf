package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.models.ModelInfo;
import com.anthropic.models.models.ModelListPage;
import com.anthropic.models.models.ModelListParams;
import dev.detour.sim.SimulatedProvider;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/models} in each door's own list format: Anthropic's when {@code anthropic-version} is sent, else OpenAI's. */
class ModelListsTest {

    private static final String CLIENT_KEY = "sk-models-1";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-keys:
              - { name: sdk, key-env: CLIENT }
            providers:
              claude: { type: anthropic, base-url: "${simulator}/v1", model: claude }
            routes:
              - { alias: alpha, tiers: [ { providers: [claude] } ] }
              - { alias: beta, tiers: [ { providers: [claude] } ] }
              - { alias: gamma, tiers: [ { providers: [claude] } ] }
            """;

    private Harness h;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder(), YAML, Map.of("CLIENT", CLIENT_KEY));
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private AnthropicClient sdk(String key) {
        return AnthropicOkHttpClient.builder().baseUrl(h.router.baseUrl()).apiKey(key).maxRetries(0).build();
    }

    @Test
    void theAnthropicSdkListsEveryAliasPageByPage() {
        AnthropicClient client = sdk(CLIENT_KEY);
        try {
            ModelListPage first = client.models().list();
            assertThat(first.data()).extracting(ModelInfo::id).containsExactly("alpha", "beta", "gamma");
            assertThat(first.data().get(0).displayName()).isEqualTo("alpha");
            assertThat(first.data().get(0).createdAt()).isEqualTo(OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
            assertThat(first.hasMore()).contains(false);
            assertThat(first.firstId()).contains("alpha");
            assertThat(first.lastId()).contains("gamma");

            List<String> paged = new ArrayList<>();
            client.models().list(ModelListParams.builder().limit(2).build()).autoPager().forEach(model -> paged.add(model.id()));
            assertThat(paged).containsExactly("alpha", "beta", "gamma");
        } finally {
            client.close();
        }
    }

    @Test
    void aWrongKeyIsTheAnthropicSdksUnauthorizedException() {
        AnthropicClient client = sdk("sk-wrong");
        try {
            UnauthorizedException failure = catchThrowableOfType(UnauthorizedException.class, () -> client.models().list());
            assertThat(failure).isNotNull();
            assertThat(failure.body().toString()).contains("authentication_error");
        } finally {
            client.close();
        }
    }

    @Test
    void withoutAnthropicVersionTheListIsOpenAis() {
        Harness.Response openai = h.get("/v1/models", Map.of("authorization", "Bearer " + CLIENT_KEY));
        assertThat(openai.status()).isEqualTo(200);
        assertThat(openai.json().path("object").asText()).isEqualTo("list");
        assertThat(openai.json().path("data").get(0).path("object").asText()).isEqualTo("model");
        assertThat(openai.json().has("has_more")).isFalse();

        Harness.Response anthropic = h.get("/v1/models?limit=1&after_id=alpha",
                Map.of("x-api-key", CLIENT_KEY, "anthropic-version", "2023-06-01"));
        assertThat(anthropic.status()).isEqualTo(200);
        assertThat(anthropic.json().path("data").get(0).path("type").asText()).isEqualTo("model");
        assertThat(anthropic.json().path("first_id").asText()).isEqualTo("beta");
        assertThat(anthropic.json().path("has_more").asBoolean()).isTrue();

        Harness.Response bad = h.get("/v1/models?limit=0", Map.of("x-api-key", CLIENT_KEY, "anthropic-version", "2023-06-01"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }
}
