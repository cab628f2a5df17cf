package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.SseException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK as a real client of the router: plain and streamed completions,
 * fallbacks, a continued stream with Detour's failover marker, and errors as the SDK's exceptions.
 * The SDK blocks (OkHttp), so every call runs on the test thread.
 */
class OpenAiSdkTest {

    private static final String CLIENT_KEY = "sk-client-sdk-3c9e";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-key-envs: [CLIENT]
            providers:
              primary: { type: openai, base-url: "${simulator}/v1", model: primary }
              backup:  { type: openai, base-url: "${simulator}/v1", model: backup }
              dying:   { type: openai, base-url: "${simulator}/v1", model: dying }
              broken:  { type: openai, base-url: "${simulator}/v1", model: broken }
              resumes: { type: openai, base-url: "${simulator}/v1", model: resumes }
            routes:
              - alias: chat
                deadline: 10s
                tiers:
                  - { providers: [primary], timeout: 5s }
                  - { providers: [backup], timeout: 5s }
              - alias: continued
                deadline: 10s
                mid-stream: continue
                failover-marker: chunk
                tiers:
                  - { providers: [dying], timeout: 5s }
                  - { providers: [resumes], timeout: 5s }
              - alias: cut
                deadline: 10s
                mid-stream: error
                tiers:
                  - { providers: [dying], timeout: 5s }
              - alias: down
                deadline: 10s
                tiers:
                  - { providers: [broken], timeout: 5s }
            """;

    private Harness h;
    private OpenAIClient client;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder()
                .model("primary", Behaviour.answer("Hello from the primary provider."))
                .model("backup", Behaviour.answer("and the rest."))
                .model("dying", Behaviour.answer("one two three four").fault(Fault.cutAfter(2)))
                .model("resumes", Behaviour.answer("one two three four").onInstruction(Behaviour.Resume.RESTART))
                .model("broken", Behaviour.status(503)),
                YAML, Map.of("CLIENT", CLIENT_KEY));
        client = client(CLIENT_KEY);
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

    private OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(h.router.baseUrl() + "/v1")
                .apiKey(key)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(15))
                .build();
    }

    private static ChatCompletionCreateParams params(String model) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Say hello.")
                .build();
    }

    private static String text(List<ChatCompletionChunk> chunks) {
        return chunks.stream()
                .flatMap(chunk -> chunk.choices().stream())
                .map(choice -> choice.delta().content().orElse(""))
                .collect(Collectors.joining());
    }

    /** Reads a stream whole on the test thread, keeping the chunks read before any failure in {@code into}. */
    private static void read(StreamResponse<ChatCompletionChunk> stream, List<ChatCompletionChunk> into) {
        try (stream) {
            stream.stream().forEach(into::add);
        }
    }

    @Test
    void aPlainCompletion() {
        ChatCompletion completion = client.chat().completions().create(params("chat"));

        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).contains("Hello from the primary provider.");
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(h.simulator.stats("primary").requests()).isEqualTo(1);
    }

    @Test
    void aPlainCompletionSaysWhoServedItInItsHeaders() {
        h.simulator.behaviour("primary", Behaviour.status(503));

        try (HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(params("chat"))) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().values("x-detour-provider")).containsExactly("backup");
            assertThat(response.headers().values("x-detour-attempts")).containsExactly("2");
            assertThat(response.headers().values("x-detour-fallback")).containsExactly("server_error");
            assertThat(response.parse().choices().get(0).message().content()).contains("and the rest.");
        }
    }

    @Test
    void aStreamedCompletion() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();

        read(client.chat().completions().createStreaming(params("chat")), chunks);

        assertThat(text(chunks)).isEqualTo("Hello from the primary provider.");
        assertThat(chunks).anySatisfy(chunk -> assertThat(chunk.choices()).anySatisfy(choice ->
                assertThat(choice.finishReason()).contains(ChatCompletionChunk.Choice.FinishReason.STOP)));
        assertThat(h.simulator.stats("primary").completed()).isEqualTo(1);
    }

    @Test
    void aStreamedCompletionFallsBackBeforeTheFirstToken() {
        h.simulator.behaviour("primary", Behaviour.status(503));
        List<ChatCompletionChunk> chunks = new ArrayList<>();

        read(client.chat().completions().createStreaming(params("chat")), chunks);

        assertThat(text(chunks)).isEqualTo("and the rest.");
        assertThat(h.simulator.stats("primary").requests()).isEqualTo(1);
    }

    @Test
    void aContinuedStreamIsOneAnswerToTheSdksAccumulator() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();

        read(client.chat().completions().createStreaming(params("continued")), chunks);

        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        chunks.forEach(accumulator::accumulate);
        ChatCompletion answer = accumulator.chatCompletion();
        assertThat(answer.choices()).singleElement().satisfies(choice -> {
            assertThat(choice.message().content()).hasValue("one two three four");
            assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        });
        assertThat(answer.model()).isEqualTo("dying");
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.id()).isEqualTo(answer.id());
            assertThat(chunk.created()).isEqualTo(answer.created());
            assertThat(chunk.model()).isEqualTo("dying");
        });
        assertThat(answer.usage()).hasValueSatisfying(usage -> assertThat(usage.completionTokens()).isEqualTo(2 + 4));
        ChatCompletionChunk marker = chunks.stream()
                .filter(chunk -> chunk._additionalProperties().containsKey("x_detour"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no chunk with x_detour among " + chunks));
        assertThat(marker.isValid()).isTrue();
        assertThat(marker.choices()).isEmpty();
        JsonNode failover = marker._additionalProperties().get("x_detour").convert(JsonNode.class).path("failover");
        assertThat(failover.path("from").asText()).isEqualTo("dying");
        assertThat(failover.path("to").asText()).isEqualTo("resumes");
        assertThat(failover.path("restated_chars").asInt()).isEqualTo("one two".length());
    }

    @Test
    void aStreamThatFailsAfterItsFirstTokenIsAnErrorInTheSdk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();

        SseException failure = catchThrowableOfType(SseException.class,
                () -> read(client.chat().completions().createStreaming(params("cut")), chunks));

        assertThat(text(chunks)).isEqualTo("one two");
        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("dying");
        assertThat(failure.type()).contains("upstream_error");
    }

    @Test
    void anUnknownModelIsTheSdksNotFoundException() {
        NotFoundException failure = catchThrowableOfType(NotFoundException.class,
                () -> client.chat().completions().create(params("no-such-model")));

        assertThat(failure).isNotNull();
        assertThat(failure.statusCode()).isEqualTo(404);
        assertThat(failure.getMessage()).contains("The model 'no-such-model' does not exist; known: [chat, continued, cut, down]");
        assertThat(failure.code()).contains("model_not_found");
        assertThat(failure.type()).contains("invalid_request_error");
    }

    @Test
    void anUnknownModelWhenStreamingIsTheSdksNotFoundException() {
        assertThatThrownBy(() -> read(client.chat().completions().createStreaming(params("no-such-model")), new ArrayList<>()))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("The model 'no-such-model' does not exist");
    }

    @Test
    void aWrongKeyIsTheSdksUnauthorizedException() {
        OpenAIClient wrong = client("sk-wrong");
        try {
            UnauthorizedException failure = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.chat().completions().create(params("chat")));

            assertThat(failure).isNotNull();
            assertThat(failure.statusCode()).isEqualTo(401);
            assertThat(failure.getMessage()).contains("wrong API key").doesNotContain("sk-wrong");
        } finally {
            wrong.close();
        }
        assertThat(h.simulator.stats("primary").requests()).isZero();
    }

    @Test
    void everyProviderFailingIsTheSdksServerErrorWithTheTrail() {
        InternalServerException failure = catchThrowableOfType(InternalServerException.class,
                () -> client.chat().completions().create(params("down")));

        assertThat(failure).isNotNull();
        assertThat(failure.statusCode()).isEqualTo(502);
        assertThat(failure.getMessage()).contains("broken#1").contains("503");
        assertThat(failure.code()).contains("all_providers_failed");
    }
}
