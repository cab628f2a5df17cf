package dev.detour.http;

import static dev.detour.http.AnthropicSdk.accumulate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official Anthropic Java SDK as a real client of the Anthropic door ({@code POST /v1/messages}):
 * messages served by Anthropic and OpenAI-compatible providers, streams accumulated by the SDK, fallback
 * before the first token, a continued stream, and errors as the SDK's typed exceptions. The SDK blocks
 * (OkHttp), so every call runs on the test thread.
 */
class AnthropicSdkTest {

    private static final String CLIENT_KEY = "sk-ant-client-5d1f";
    private static final String SIM_KEY = "sim-key-7a2b";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-keys:
              - { name: claude-code, key-env: CLIENT, requests-per-minute: 1000 }
              - { name: tight, key-env: TIGHT, requests-per-minute: 1 }
            providers:
              claude:  { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: claude }
              gpt:     { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: gpt }
              dying:   { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: dying }
              resumes: { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: resumes }
            routes:
              - alias: claude-sonnet
                deadline: 10s
                tiers:
                  - { providers: [claude], timeout: 5s }
                  - { providers: [gpt], timeout: 5s }
              - alias: gpt-only
                tiers: [ { providers: [gpt] } ]
              - alias: continued
                deadline: 10s
                mid-stream: continue
                tiers:
                  - { providers: [dying], timeout: 5s }
                  - { providers: [resumes], timeout: 5s }
              - alias: cut
                deadline: 10s
                mid-stream: error
                tiers:
                  - { providers: [dying], timeout: 5s }
            """;

    private Harness h;
    private AnthropicClient client;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder()
                .apiKey(SIM_KEY)
                .model("claude", Behaviour.answer("Hello from Claude."))
                .model("gpt", Behaviour.answer("Hello from GPT."))
                .model("dying", Behaviour.answer("one two three four").fault(Fault.cutAfter(2)))
                .model("resumes", Behaviour.answer("one two three four").onInstruction(Behaviour.Resume.RESTART)),
                YAML, Map.of("CLIENT", CLIENT_KEY, "TIGHT", "sk-tight-1", "SIM", SIM_KEY), Harness.stoppedClock());
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

    private static MessageCreateParams params(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(256).system("Be brief.").addUserMessage("Say hello.").build();
    }

    private static String text(Message message) {
        return message.content().stream().filter(ContentBlock::isText).map(block -> block.asText().text())
                .collect(Collectors.joining());
    }

    @Test
    void aMessageServedByAnAnthropicProvider() {
        try (HttpResponseFor<Message> response = client.messages().withRawResponse().create(params("claude-sonnet"))) {
            Message message = response.parse();
            assertThat(text(message)).isEqualTo("Hello from Claude.");
            assertThat(message.stopReason()).contains(StopReason.END_TURN);
            assertThat(message.id()).startsWith("msg_");
            assertThat(message.usage().outputTokens()).isPositive();
            assertThat(response.headers().values("x-detour-provider")).containsExactly("claude");
        }
        Harness.await("the request's log line", () -> h.logText().contains("\"door\":\"anthropic\""));
        assertThat(Harness.lines(h.logText())).anySatisfy(line -> {
            assertThat(line.path("door").asText()).isEqualTo("anthropic");
            assertThat(line.path("key_name").asText()).isEqualTo("claude-code");
            assertThat(line.path("status").asInt()).isEqualTo(200);
        });
    }

    @Test
    void aMessageServedByAnOpenAiCompatibleProvider() {
        Message message = client.messages().create(params("gpt-only"));

        assertThat(text(message)).isEqualTo("Hello from GPT.");
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(message.usage().inputTokens()).isPositive();
    }

    @Test
    void aStreamedMessageIsAccumulatedByTheSdk() {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(params("claude-sonnet")), events);

        assertThat(text(message)).isEqualTo("Hello from Claude.");
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isPositive();
        assertThat(events.get(0).isMessageStart()).isTrue();
        assertThat(events.get(events.size() - 1).isMessageStop()).isTrue();
        assertThat(h.simulator.stats("claude").completed()).isEqualTo(1);
    }

    @Test
    void aStreamFallsBackFromAnOverloadedAnthropicProviderBeforeTheFirstTokenInvisibly() {
        h.simulator.behaviour("claude", Behaviour.status(529));
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(params("claude-sonnet")), events);

        assertThat(text(message)).isEqualTo("Hello from GPT.");
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(h.simulator.stats("claude").requests()).isEqualTo(1);
        assertThat(h.simulator.stats("gpt").completed()).isEqualTo(1);
    }

    @Test
    void aContinuedStreamArrivesAsOneSeamlessAnswer() {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(params("continued")), events);

        assertThat(text(message)).isEqualTo("one two three four");
        assertThat(message.content()).hasSize(1);
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(message.model().asString()).isEqualTo("dying");
        assertThat(events.stream().filter(RawMessageStreamEvent::isMessageStart).count()).isEqualTo(1);
        assertThat(message.usage().outputTokens()).isEqualTo(2 + 4);
    }

    @Test
    void aStreamCutAfterItsFirstTokenEndsInAnErrorTheSdkRaises() {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Throwable failure = catchThrowable(() -> accumulate(client.messages().createStreaming(params("cut")), events));

        assertThat(failure).isInstanceOf(AnthropicServiceException.class).hasMessageContaining("dying");
        assertThat(events).anySatisfy(event -> assertThat(event.isContentBlockDelta()).isTrue());
        assertThat(events).noneSatisfy(event -> assertThat(event.isMessageStop()).isTrue());
    }

    @Test
    void anUnknownModelIsTheSdksNotFoundException() {
        NotFoundException failure = catchThrowableOfType(NotFoundException.class,
                () -> client.messages().create(params("claude-nope")));

        assertThat(failure).isNotNull();
        assertThat(failure.statusCode()).isEqualTo(404);
        assertThat(failure.getMessage()).contains("The model 'claude-nope' does not exist");
        assertThat(failure.body().toString()).contains("not_found_error");
    }

    @Test
    void aWrongKeyIsTheSdksUnauthorizedException() {
        AnthropicClient wrong = AnthropicOkHttpClient.builder().baseUrl(h.router.baseUrl()).apiKey("sk-wrong")
                .maxRetries(0).build();
        try {
            UnauthorizedException failure = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.messages().create(params("claude-sonnet")));

            assertThat(failure).isNotNull();
            assertThat(failure.getMessage()).contains("wrong API key").doesNotContain("sk-wrong");
            assertThat(failure.body().toString()).contains("authentication_error");
        } finally {
            wrong.close();
        }
        assertThat(h.simulator.stats("claude").requests()).isZero();
    }

    @Test
    void aClientOverItsRateIsTheSdksRateLimitException() {
        AnthropicClient tight = AnthropicOkHttpClient.builder().baseUrl(h.router.baseUrl()).apiKey("sk-tight-1")
                .maxRetries(0).build();
        try {
            tight.messages().create(params("claude-sonnet"));
            RateLimitException failure = catchThrowableOfType(RateLimitException.class,
                    () -> tight.messages().create(params("claude-sonnet")));

            assertThat(failure).isNotNull();
            assertThat(failure.statusCode()).isEqualTo(429);
            assertThat(failure.body().toString()).contains("rate_limit_error")
                    .contains("requests-per-minute limit of 1 reached for this key; retry after 18s")
                    .doesNotContain("sk-tight-1");
            assertThat(failure.headers().values("retry-after")).containsExactly("18");
        } finally {
            tight.close();
        }
    }

    @Test
    void aBadRequestIsTheSdksBadRequestException() {
        BadRequestException failure = catchThrowableOfType(BadRequestException.class,
                () -> client.messages().create(MessageCreateParams.builder().model("claude-sonnet").maxTokens(16)
                        .messages(List.of()).build()));

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("messages");
        assertThat(failure.body().toString()).contains("invalid_request_error");
        assertThat(h.simulator.stats("claude").requests()).isZero();
    }

    @Test
    void aBearerTokenIsAcceptedAsTheClientKeyToo() {
        AnthropicClient bearer = AnthropicOkHttpClient.builder().baseUrl(h.router.baseUrl()).authToken(CLIENT_KEY)
                .maxRetries(0).build();
        try {
            assertThat(text(bearer.messages().create(params("claude-sonnet")))).isEqualTo("Hello from Claude.");
        } finally {
            bearer.close();
        }
    }

    @Test
    void countTokensIsAnEstimateMarkedAsSuch() {
        MessageCountTokensParams params = MessageCountTokensParams.builder().model("claude-sonnet")
                .addUserMessage("Count the tokens of this sentence, please.").build();
        try (HttpResponseFor<MessageTokensCount> response = client.messages().withRawResponse().countTokens(params)) {
            assertThat(response.parse().inputTokens()).isPositive();
            assertThat(response.headers().values("x-detour-estimated")).containsExactly("true");
        }
        assertThat(catchThrowable(() -> client.messages().countTokens(MessageCountTokensParams.builder()
                .model("nope").addUserMessage("x").build()))).isInstanceOf(NotFoundException.class);
        assertThat(h.simulator.stats("claude").requests()).isZero();
    }
}
