package dev.detour.llm.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.Json;
import dev.detour.llm.Usage;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** {@link AnthropicProvider} over real sockets against the simulator's Anthropic protocol. */
class AnthropicProviderTest {

    private static final String KEY = "sk-ant-test-0123456789-secret";
    private static final String ANSWER = "The quick brown fox jumps over the lazy dog.";
    private static final AttemptContext CONTEXT = new AttemptContext("chat", 0, 1, null);

    private static SimulatedProvider sim;
    private static AnthropicProvider provider;

    private final List<String> seen = new ArrayList<>();

    @BeforeAll
    static void start() {
        sim = SimulatedProvider.builder()
                .apiKey(KEY)
                .defaultBehaviour(Behaviour.answer(ANSWER))
                .model("overloaded", Behaviour.status(529))
                .model("limited", Behaviour.rateLimited(Duration.ofSeconds(7)))
                .model("cut", Behaviour.failing(Fault.cutAfter(3)).text(ANSWER))
                .model("ended", Behaviour.failing(Fault.endAfter(3)).text(ANSWER))
                .model("error-mid-stream", Behaviour.failing(Fault.errorMidStream(2)).text(ANSWER))
                .model("garbage", Behaviour.failing(Fault.garbage()))
                .model("error-in-200", Behaviour.failing(Fault.errorIn200()))
                .start();
        provider = provider(KEY);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @AfterEach
    void theKeyNeverShows() {
        seen.add(provider.toString());
        assertThat(seen).allSatisfy(text -> assertThat(text).doesNotContain(KEY).doesNotContain("sk-ant"));
    }

    private static HttpSettings settings() {
        return HttpSettings.of(sim.baseUrl() + "/v1");
    }

    private static AnthropicProvider provider(String key) {
        return AnthropicProvider.builder("anthropic", settings()).apiKey(ApiKey.of(key)).build();
    }

    /** Records every message and description of {@code error} and its causes, and returns its failure. */
    private Failure failure(Throwable error) {
        for (Throwable next = error; next != null; next = next.getCause()) {
            seen.add(String.valueOf(next.getMessage()));
            seen.add(next.toString());
        }
        Failure failure = Failure.of(error);
        seen.add(failure.toString());
        seen.add(String.valueOf(failure.detail()));
        return failure;
    }

    private Failure callFailure(String model) {
        List<Throwable> errors = new ArrayList<>();
        StepVerifier.create(provider.call(ChatRequest.user(model, "hello there"), CONTEXT))
                .consumeErrorWith(errors::add)
                .verify();
        return failure(errors.get(0));
    }

    private Failure streamFailure(String model, List<ChatChunk> received) {
        List<Throwable> errors = new ArrayList<>();
        StepVerifier.create(provider.stream(ChatRequest.user(model, "hello there"), CONTEXT))
                .recordWith(() -> received)
                .thenConsumeWhile(chunk -> true)
                .consumeErrorWith(errors::add)
                .verify();
        return failure(errors.get(0));
    }

    private static String text(List<ChatChunk> chunks) {
        return chunks.stream().map(ChatChunk::content).filter(Objects::nonNull).collect(Collectors.joining());
    }

    @Test
    void answersWithACompletion() {
        ChatResponse response = provider.call(ChatRequest.user("claude-test", "hello there"), CONTEXT).block();

        assertThat(response.content()).isEqualTo(ANSWER);
        assertThat(response.finishReason()).isEqualTo("stop");
        assertThat(response.model()).isEqualTo("claude-test");
        assertThat(response.usage()).isEqualTo(new Usage(2, 9));
        assertThat(response.json().get("id").asText()).startsWith("msg_sim");
        assertThat(sim.stats("claude-test").requests()).isEqualTo(1);
    }

    @Test
    void streamsTheAnswerThenAFinishThenUsage() {
        List<ChatChunk> chunks = provider.stream(ChatRequest.user("claude-stream", "hello there"), CONTEXT)
                .collectList().block();

        assertThat(text(chunks)).isEqualTo(ANSWER);
        assertThat(chunks).filteredOn(chunk -> chunk.finishReason() != null)
                .singleElement().extracting(ChatChunk::finishReason).isEqualTo("stop");
        ChatChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.json().get("choices")).isEmpty();
        assertThat(last.usage()).isEqualTo(new Usage(2, 9));
    }

    @Test
    void sendsTheConfiguredModelAndMaxTokens() {
        AnthropicProvider pinned = AnthropicProvider.builder("anthropic", settings())
                .apiKey(ApiKey.of(KEY)).model("claude-pinned").maxTokens(3).build();

        ChatResponse response = pinned.call(ChatRequest.user("route-alias", "hello"), CONTEXT).block();

        assertThat(response.model()).isEqualTo("claude-pinned");
        assertThat(response.content()).isEqualTo("The quick brown");
        assertThat(response.finishReason()).isEqualTo("length");
        assertThat(sim.stats("route-alias").requests()).isZero();
        seen.add(pinned.toString());
    }

    @Test
    void overloadedIsAServerErrorWithStatus529() {
        Failure called = callFailure("overloaded");
        assertThat(called.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(called.status()).isEqualTo(529);
        assertThat(called.detail()).isEqualTo("simulated 529 for model 'overloaded'");

        Failure streamed = streamFailure("overloaded", new ArrayList<>());
        assertThat(streamed.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(streamed.status()).isEqualTo(529);
    }

    @Test
    void rateLimitedCarriesTheRetryAfter() {
        Failure called = callFailure("limited");
        assertThat(called.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(called.status()).isEqualTo(429);
        assertThat(called.retryAfter()).isEqualTo(Duration.ofSeconds(7));

        Failure streamed = streamFailure("limited", new ArrayList<>());
        assertThat(streamed.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(streamed.retryAfter()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void aStreamCutBeforeMessageStopIsAConnectionFailure() {
        List<ChatChunk> received = new ArrayList<>();
        Failure cut = streamFailure("cut", received);

        assertThat(cut.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(text(received)).isEqualTo("The quick brown");
        assertThat(received).allSatisfy(chunk -> assertThat(chunk.finishReason()).isNull());
    }

    @Test
    void aStreamEndingCleanlyBeforeMessageStopIsAConnectionFailure() {
        List<ChatChunk> received = new ArrayList<>();
        Failure ended = streamFailure("ended", received);

        assertThat(ended.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(ended.detail()).isEqualTo("stream ended before message_stop");
        assertThat(text(received)).isEqualTo("The quick brown");
    }

    @Test
    void anErrorEventMidStreamFailsWithItsStatus() {
        List<ChatChunk> received = new ArrayList<>();
        Failure failure = streamFailure("error-mid-stream", received);

        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.status()).isEqualTo(529);
        assertThat(text(received)).isEqualTo("The quick");
    }

    @Test
    void aWrongKeyIsAClientErrorThatNamesNoKey() {
        String wrong = "sk-ant-wrong-9876543210-secret";
        AnthropicProvider intruder = provider(wrong);

        List<Throwable> errors = new ArrayList<>();
        StepVerifier.create(intruder.call(ChatRequest.user("claude-guarded", "hi"), CONTEXT))
                .consumeErrorWith(errors::add)
                .verify();
        StepVerifier.create(intruder.stream(ChatRequest.user("claude-guarded", "hi"), CONTEXT))
                .consumeErrorWith(errors::add)
                .verify();

        for (Throwable error : errors) {
            Failure failure = failure(error);
            assertThat(error).isInstanceOf(ProviderException.class);
            assertThat(failure.kind()).isEqualTo(FailureKind.CLIENT_ERROR);
            assertThat(failure.status()).isEqualTo(401);
            assertThat(error.getMessage()).isEqualTo("401 invalid x-api-key");
        }
        seen.add(intruder.toString());
        seen.add(AnthropicProvider.builder("anthropic", settings()).apiKey(ApiKey.of(wrong)).build().toString());
        assertThat(seen).allSatisfy(text -> assertThat(text).doesNotContain(wrong));
    }

    @Test
    void anAnswerThatIsNotJsonIsMalformed() {
        Failure failure = callFailure("garbage");

        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.status()).isEqualTo(502);
        assertThat(failure.detail()).startsWith("malformed answer: answer is not valid JSON");

        Failure streamed = streamFailure("garbage", new ArrayList<>());
        assertThat(streamed.status()).isEqualTo(502);
        assertThat(streamed.detail()).startsWith("malformed answer: stream event is not valid JSON");
    }

    @Test
    void anErrorObjectInA200IsClassifiedByItsType() {
        Failure failure = callFailure("error-in-200");

        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.status()).isEqualTo(500);
        assertThat(failure.detail()).isEqualTo("simulated error inside a 200 answer for model 'error-in-200'");
    }

    @Test
    void anErrorObjectAnsweringAStreamRequestIsClassifiedByItsType() {
        List<ChatChunk> received = new ArrayList<>();
        Failure failure = streamFailure("error-in-200", received);

        assertThat(received).isEmpty();
        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.status()).isEqualTo(500);
        assertThat(failure.detail()).isEqualTo("simulated error inside a 200 answer for model 'error-in-200'");
    }

    @Test
    void aRequestAnthropicCannotExpressFailsAs400WithoutACall() {
        ChatRequest request = ChatRequest.of(Json.object(
                "{\"model\":\"untranslatable\",\"messages\":[{\"role\":\"function\",\"name\":\"f\",\"content\":\"x\"}]}",
                "request"));

        List<Throwable> errors = new ArrayList<>();
        StepVerifier.create(provider.call(request, CONTEXT)).consumeErrorWith(errors::add).verify();
        StepVerifier.create(provider.stream(request, CONTEXT)).consumeErrorWith(errors::add).verify();

        for (Throwable error : errors) {
            Failure failure = failure(error);
            assertThat(failure.kind()).isEqualTo(FailureKind.CLIENT_ERROR);
            assertThat(failure.status()).isEqualTo(400);
            assertThat(failure.detail()).isEqualTo(
                    "request cannot be sent to Anthropic: 'messages[0].role' 'function' has no Anthropic equivalent");
        }
        assertThat(sim.stats("untranslatable").requests()).isZero();
    }

    @Test
    void nothingIsSentUntilSubscribed() {
        provider.call(ChatRequest.user("lazy", "hi"), CONTEXT);
        Flux<ChatChunk> stream = provider.stream(ChatRequest.user("lazy", "hi"), CONTEXT);

        assertThat(sim.stats("lazy").requests()).isZero();
        assertThat(text(stream.collectList().block())).isEqualTo(ANSWER);
        assertThat(sim.stats("lazy").requests()).isEqualTo(1);
    }

    @Test
    void theBuilderRefusesBadSettings() {
        assertThatThrownBy(() -> AnthropicProvider.builder(" ", settings()))
                .hasMessage("a provider needs a name");
        assertThatThrownBy(() -> AnthropicProvider.builder("anthropic", settings()).maxTokens(0))
                .hasMessage("maxTokens must be at least 1, was 0");
        assertThat(provider.name()).isEqualTo("anthropic");
        assertThat(provider.toString()).isEqualTo("AnthropicProvider[anthropic, " + sim.baseUrl() + "/v1]");
    }
}
