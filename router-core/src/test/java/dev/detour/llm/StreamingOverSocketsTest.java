package dev.detour.llm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.stream.MidStreamException;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.Latency;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Streaming routes over OpenAI and Anthropic clients against the simulator, over real sockets. */
class StreamingOverSocketsTest {

    private static final String KEY = "sk-sim-5e2b71d0";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static SimulatedProvider sim;

    @BeforeAll
    static void start() {
        sim = SimulatedProvider.builder()
                .apiKey(KEY)
                .model("down", Behaviour.status(503))
                .model("claude", Behaviour.answer("Bonjour from the second provider."))
                .model("counts", Behaviour.answer("one two three four five six"))
                .model("dies", Behaviour.answer("one two three four five six").fault(Fault.cutAfter(3)))
                .model("stalls", Behaviour.answer("one two three four").fault(Fault.stallAfter(2)))
                .model("slow-start", Behaviour.answer("slow answer").latency(Latency.fixed(Duration.ofSeconds(3))))
                .model("quick", Behaviour.answer("quick answer"))
                .model("endless", Behaviour.answer("word ".repeat(200)).pacing(Duration.ofMillis(20)))
                .start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static OpenAiProvider openai(String name, String model) {
        return OpenAiProvider.builder(name, HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY)).model(model).build();
    }

    private static AnthropicProvider anthropic(String name, String model) {
        return AnthropicProvider.builder(name, HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY)).model(model).build();
    }

    private static Route.Builder<ChatRequest, Started<ChatChunk>> route() {
        Router router = Router.builder().hedgeBudget(Budget.unlimited()).breaker(BreakerPolicy.disabled()).build();
        return router.<ChatRequest, Started<ChatChunk>>route("chat").deadline(Duration.ofSeconds(20));
    }

    private static String text(List<ChatChunk> chunks) {
        return chunks.stream().map(ChatChunk::content).filter(content -> content != null).collect(Collectors.joining());
    }

    @Test
    void aProviderFailingBeforeItsFirstTokenIsInvisibleToTheConsumer() {
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route()
                .tier(ChatStreams.streaming(openai("openai", "down")))
                .tier(ChatStreams.streaming(anthropic("anthropic", "claude")))
                .build()).build();

        List<ChatChunk> chunks = chat.stream(ChatRequest.user("alias", "hi")).collectList().block(WAIT);

        assertThat(text(chunks)).isEqualTo("Bonjour from the second provider.");
        assertThat(chunks).noneMatch(chunk -> chunk.isMarker());
    }

    @Test
    void aStreamCutMidAnswerIsContinuedByTheNextProviderAfterAMarker() {
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.continuing(route()
                .tier(ChatStreams.streaming(openai("openai", "dies")))
                .tier(ChatStreams.streaming(anthropic("anthropic", "counts")))
                .build()).build();

        List<ChatChunk> chunks = chat.stream(ChatRequest.user("alias", "count")).collectList().block(WAIT);

        List<ChatChunk> markers = chunks.stream().filter(chunk -> chunk.isMarker()).toList();
        assertThat(markers).hasSize(1);
        assertThat(markers.get(0).json().path("x_detour").path("failover").path("to").asText()).isEqualTo("anthropic");
        assertThat(text(chunks)).isEqualTo("one two three four five six");
        assertThat(chunks).filteredOn(chunk -> chunk.finishReason() != null).hasSize(1);
    }

    @Test
    void inErrorModeACutStreamEndsInAnErrorAfterItsTokens() {
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route()
                .tier(ChatStreams.streaming(openai("openai", "dies")))
                .tier(ChatStreams.streaming(anthropic("anthropic", "claude")))
                .build()).build();

        StepVerifier.create(chat.stream(ChatRequest.user("alias", "count")))
                .thenConsumeWhile(chunk -> true)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MidStreamException.class)
                        .hasMessageContaining("stream from openai failed after"))
                .verify(WAIT);
    }

    @Test
    void aStalledStreamFailsOnTheIdleTimeoutAndTheProviderSeesTheDisconnect() {
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route()
                .tier(ChatStreams.streaming(openai("openai", "stalls")))
                .build()).idleTimeout(Duration.ofMillis(300)).build();

        StepVerifier.create(chat.stream(ChatRequest.user("alias", "hi")))
                .thenConsumeWhile(chunk -> true)
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("timeout"))
                .verify(WAIT);
        assertThat(sim.awaitStats("stalls", stats -> stats.disconnects() >= 1).block(WAIT).disconnects()).isEqualTo(1);
    }

    @Test
    void aLateFirstTokenIsHedgedAndTheLosersConnectionIsClosed() {
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route()
                .tier(Tier.of(ChatStreams.streaming(openai("slow", "slow-start")), ChatStreams.streaming(anthropic("fast", "quick")))
                        .hedge(HedgePolicy.after(Duration.ofMillis(200))))
                .build()).build();

        List<ChatChunk> chunks = chat.stream(ChatRequest.user("alias", "hi")).collectList().block(WAIT);

        assertThat(text(chunks)).isEqualTo("quick answer");
        assertThat(sim.awaitStats("slow-start", stats -> stats.disconnects() >= 1).block(WAIT).completed()).isZero();
    }

    @Test
    void cancellingTheConsumerClosesTheUpstreamConnection() {
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route()
                .tier(ChatStreams.streaming(openai("openai", "endless")))
                .build()).build();

        List<ChatChunk> firstFew = chat.stream(ChatRequest.user("alias", "talk")).take(3).collectList().block(WAIT);

        assertThat(firstFew).hasSize(3);
        assertThat(sim.awaitStats("endless", stats -> stats.disconnects() >= 1).block(WAIT).disconnects()).isEqualTo(1);
    }

    @Test
    void noEventErrorOrDescriptionCarriesAKey() {
        String wrongKey = "sk-wrong-9d8c7b6a";
        List<String> texts = new CopyOnWriteArrayList<>();
        Router router = Router.builder().listener(event -> texts.add(event.toString())).build();
        OpenAiProvider rejected = OpenAiProvider.builder("openai", HttpSettings.of(sim.baseUrl() + "/v1"))
                .apiKey(ApiKey.of(wrongKey)).model("claude").build();
        AnthropicProvider alsoRejected = AnthropicProvider.builder("anthropic", HttpSettings.of(sim.baseUrl() + "/v1"))
                .apiKey(ApiKey.of(wrongKey)).model("claude").build();
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(router.<ChatRequest, Started<ChatChunk>>route("chat")
                .fallbackOn(dev.detour.core.policy.FailureKind.CLIENT_ERROR)
                .tier(ChatStreams.streaming(rejected))
                .tier(ChatStreams.streaming(alsoRejected))
                .tier(ChatStreams.streaming(openai("good", "dies")))
                .build()).build();

        Throwable error = chat.stream(ChatRequest.user("alias", "hi")).then()
                .materialize().block(WAIT).getThrowable();

        assertThat(error).isInstanceOf(MidStreamException.class);
        java.io.StringWriter trace = new java.io.StringWriter();
        error.printStackTrace(new java.io.PrintWriter(trace));
        texts.add(trace.toString());
        texts.add(rejected.toString());
        texts.add(alsoRejected.toString());
        texts.add(router.statuses().toString());
        assertThat(String.join("\n", texts)).contains("401").doesNotContain(wrongKey).doesNotContain(KEY);
    }
}
