package dev.detour.llm.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.AttemptContext;
import dev.detour.core.ProviderException;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.HttpSettings;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The OpenAI-compatible client against the simulator, over real sockets. */
class OpenAiProviderTest {

    private static final String KEY = "sk-test-7f3a9c";
    private static final AttemptContext CONTEXT = new AttemptContext("test", 0, 1, Duration.ofSeconds(5));
    private static SimulatedProvider sim;
    private static OpenAiProvider openai;

    @BeforeAll
    static void start() {
        sim = SimulatedProvider.builder()
                .apiKey(KEY)
                .model("fast", Behaviour.answer("Hello there, friend."))
                .model("down", Behaviour.status(503))
                .model("limited", Behaviour.rateLimited(Duration.ofSeconds(7)))
                .model("garbage", Behaviour.failing(Fault.garbage()))
                .model("error-in-200", Behaviour.failing(Fault.errorIn200()))
                .model("cut", Behaviour.answer("one two three four").fault(Fault.cutAfter(2)))
                .start();
        openai = OpenAiProvider.builder("openai", HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY)).build();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static ProviderException failure(Mono<?> call) {
        Throwable error = call.then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(Duration.ofSeconds(10));
        assertThat(error).isInstanceOf(ProviderException.class);
        return (ProviderException) error;
    }

    @Test
    void aWholeAnswerArrivesInTheCanonicalShape() {
        ChatResponse answer = openai.call(ChatRequest.user("fast", "hi"), CONTEXT).block(Duration.ofSeconds(10));

        assertThat(answer.content()).isEqualTo("Hello there, friend.");
        assertThat(answer.finishReason()).isEqualTo("stop");
        assertThat(answer.usage().completionTokens()).isPositive();
    }

    @Test
    void aStreamArrivesChunkByChunkWithItsFinishAndUsage() {
        List<ChatChunk> chunks = openai.stream(ChatRequest.user("fast", "hi"), CONTEXT).collectList().block(Duration.ofSeconds(10));

        String text = chunks.stream().map(ChatChunk::content).filter(c -> c != null).collect(Collectors.joining());
        assertThat(text).isEqualTo("Hello there, friend.");
        assertThat(chunks).filteredOn(chunk -> "stop".equals(chunk.finishReason())).hasSize(1);
        assertThat(chunks.get(chunks.size() - 1).usage()).isNotNull();
    }

    @Test
    void aServerErrorIsAServerErrorFailure() {
        ProviderException error = failure(openai.call(ChatRequest.user("down", "hi"), CONTEXT));
        assertThat(error.failure().kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(error.failure().status()).isEqualTo(503);

        ProviderException streamed = failure(openai.stream(ChatRequest.user("down", "hi"), CONTEXT).collectList());
        assertThat(streamed.failure().status()).isEqualTo(503);
    }

    @Test
    void aRateLimitCarriesItsRetryAfter() {
        ProviderException error = failure(openai.call(ChatRequest.user("limited", "hi"), CONTEXT));
        assertThat(error.failure().kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(error.failure().retryAfter()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void aGarbageBodyAndAnErrorObjectInA200AreProviderFailures() {
        ProviderException garbage = failure(openai.call(ChatRequest.user("garbage", "hi"), CONTEXT));
        assertThat(garbage.failure().kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(garbage.getMessage()).contains("malformed answer");

        ProviderException inside = failure(openai.call(ChatRequest.user("error-in-200", "hi"), CONTEXT));
        assertThat(inside.failure().kind()).isIn(FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED);
    }

    @Test
    void aStreamCutBeforeDoneIsAConnectionFailureNotACleanEnd() {
        StepVerifier.create(openai.stream(ChatRequest.user("cut", "hi"), CONTEXT))
                .thenConsumeWhile(chunk -> true)
                .expectErrorSatisfies(error -> assertThat(dev.detour.core.Failure.of(error).kind()).isEqualTo(FailureKind.CONNECTION))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aWrongKeyIsAClientErrorAndNoMessageShowsAKey() {
        OpenAiProvider wrong = OpenAiProvider.builder("openai", HttpSettings.of(sim.baseUrl() + "/v1"))
                .apiKey(ApiKey.of("sk-wrong-123456")).build();
        ProviderException error = failure(wrong.call(ChatRequest.user("fast", "hi"), CONTEXT));

        assertThat(error.failure().kind()).isEqualTo(FailureKind.CLIENT_ERROR);
        assertThat(error.failure().status()).isEqualTo(401);
        assertThat(error.getMessage()).doesNotContain("sk-wrong-123456").doesNotContain(KEY);
        assertThat(wrong.toString()).doesNotContain("sk-wrong-123456");
        assertThat(ApiKey.of(KEY).toString()).doesNotContain(KEY);
    }

    @Test
    void aRefusedConnectionIsAConnectionFailure() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        OpenAiProvider nowhere = OpenAiProvider.builder("nowhere", HttpSettings.of("http://127.0.0.1:" + closedPort + "/v1")).build();

        StepVerifier.create(nowhere.call(ChatRequest.user("fast", "hi"), CONTEXT))
                .expectErrorSatisfies(error -> assertThat(dev.detour.core.Failure.of(error).kind()).isEqualTo(FailureKind.CONNECTION))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void theConfiguredModelReplacesTheRequestsAlias() {
        OpenAiProvider mapped = OpenAiProvider.builder("openai", HttpSettings.of(sim.baseUrl() + "/v1"))
                .apiKey(ApiKey.of(KEY)).model("fast").build();
        ChatResponse answer = mapped.call(ChatRequest.user("my-alias", "hi"), CONTEXT).block(Duration.ofSeconds(10));
        assertThat(answer.content()).isEqualTo("Hello there, friend.");
    }
}
