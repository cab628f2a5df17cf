package dev.detour.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.Json;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * LLM attempts over real sockets (the simulator) follow OpenTelemetry's GenAI conventions: the span is
 * {@code chat <model sent>}, the provider its well-known name, the alias a Detour attribute; message content
 * only when the operator opts in.
 */
class GenAiTracesTest {

    private static final String KEY = "sk-sim-genai-7d21";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static SimulatedProvider sim;

    private final Spans spans = new Spans();

    @BeforeAll
    static void start() {
        sim = SimulatedProvider.builder().apiKey(KEY).embeddings(4)
                .model("down-model", Behaviour.status(503))
                .model("gpt-4o-mini", Behaviour.answer("Hello from openai."))
                .model("claude-haiku-4-5", Behaviour.answer("Hello from anthropic."))
                .start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static OpenAiProvider openai(String name, String model) {
        return OpenAiProvider.builder(name, HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY)).model(model).build();
    }

    private static AnthropicProvider anthropic() {
        return AnthropicProvider.builder("claude", HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY))
                .model("claude-haiku-4-5").build();
    }

    private Route<ChatRequest, ChatResponse> fallback(Router router) {
        return router.<ChatRequest, ChatResponse>route("chat")
                .tier(openai("primary", "down-model"))
                .tier(anthropic())
                .build();
    }

    @Test
    void anLlmAttemptsSpanIsNamedAfterTheOperationAndTheModelSentWhileItsMeterStaysDetourAttempt() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        spans.registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        Router router = Router.builder().observationRegistry(spans.registry).build();

        StepVerifier.create(fallback(router).call(ChatRequest.user("fast", "Say hello.")))
                .assertNext(answer -> assertThat(answer.content()).isEqualTo("Hello from anthropic."))
                .expectComplete()
                .verify(WAIT);

        System.out.println("LLM attempts:\n" + spans.tree());
        assertThat(spans.tree("detour.provider", "detour.outcome")).isEqualTo("""
                detour.request chat detour.outcome=served
                  chat down-model [ERROR] detour.outcome=failure detour.provider=primary
                  chat claude-haiku-4-5 detour.outcome=success detour.provider=claude
                """);
        SpanData primary = spans.named("chat down-model");
        assertThat(Spans.attribute(primary, "gen_ai.provider.name")).isEqualTo("openai");
        assertThat(Spans.attribute(primary, "gen_ai.request.model")).isEqualTo("down-model");
        assertThat(Spans.attribute(primary, "detour.client.model")).isEqualTo("fast");
        assertThat(Spans.attribute(primary, "error.type")).isEqualTo("server_error");
        SpanData claude = spans.named("chat claude-haiku-4-5");
        assertThat(Spans.attribute(claude, "gen_ai.operation.name")).isEqualTo("chat");
        assertThat(Spans.attribute(claude, "gen_ai.provider.name")).isEqualTo("anthropic");
        assertThat(Spans.attribute(claude, "gen_ai.request.model")).isEqualTo("claude-haiku-4-5");
        assertThat(Spans.attribute(claude, "detour.client.model")).isEqualTo("fast");
        assertThat(Spans.attribute(claude, "gen_ai.response.model")).isEqualTo("claude-haiku-4-5");
        assertThat(Spans.attribute(claude, "gen_ai.response.finish_reasons")).isEqualTo("stop");
        assertThat(Spans.attribute(claude, "gen_ai.usage.output_tokens")).isNotNull();
        assertThat(meters.find(RouteObservations.ATTEMPT).tag(RouteObservations.PROVIDER, "claude").timers())
                .extracting(Timer::count).containsExactly(1L);
        assertThat(meters.getMeters()).noneMatch(meter -> meter.getId().getName().startsWith("chat"));
        assertThat(spans.tree()).doesNotContain("Say hello").doesNotContain("Hello from");
    }

    @Test
    void anEmbeddingsAttemptIsNamedAfterItsOperationAndTheModelSent() {
        Router router = Router.builder().observationRegistry(spans.registry).build();
        OpenAiProvider embedder = openai("embedder", "text-embedding-3-small");
        Route<ObjectNode, ObjectNode> route = router.<ObjectNode, ObjectNode>route("embeddings")
                .tier(Provider.of("embedder", (request, context) -> embedder.embeddings(request)))
                .build();

        StepVerifier.create(route.call(Json.object("{\"model\": \"embed\", \"input\": \"hello world\"}", "request")))
                .expectNextCount(1).expectComplete().verify(WAIT);

        SpanData attempt = spans.named("embeddings text-embedding-3-small");
        assertThat(Spans.attribute(attempt, "gen_ai.operation.name")).isEqualTo("embeddings");
        assertThat(Spans.attribute(attempt, "gen_ai.request.model")).isEqualTo("text-embedding-3-small");
        assertThat(Spans.attribute(attempt, "detour.client.model")).isEqualTo("embed");
        assertThat(Spans.attribute(attempt, "gen_ai.provider.name")).isEqualTo("openai");
        assertThat(Spans.attribute(attempt, "gen_ai.usage.input_tokens")).isNotNull();
        assertThat(Spans.attribute(attempt, "gen_ai.usage.output_tokens")).isNull();
    }

    @Test
    void theOperatorNamesTheGenAiProviderWhereTheBaseUrlCannotTellIt() {
        Router router = Router.builder().observationRegistry(spans.registry).build();
        ChatProvider azure = OpenAiProvider.builder("azure", HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY))
                .model("gpt-4o-mini").genAiProvider("azure.ai.openai").build();
        Route<ChatRequest, ChatResponse> route = router.<ChatRequest, ChatResponse>route("chat").tier(azure).build();

        StepVerifier.create(route.call(ChatRequest.user("gpt-4o-mini", "hi"))).expectNextCount(1).expectComplete().verify(WAIT);

        assertThat(Spans.attribute(spans.named("chat gpt-4o-mini"), "gen_ai.provider.name")).isEqualTo("azure.ai.openai");
    }

    @Test
    void withContentCapturedAWholeAnswersAttemptRecordsItsInputAndOutputMessages() {
        Router router = Router.builder().observationRegistry(spans.registry).captureContent(true).build();
        ChatRequest request = ChatRequest.of(Json.object("""
                {"model": "fast", "messages": [
                  {"role": "system", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "Say hello."}]}]}""", "request"));

        StepVerifier.create(fallback(router).call(request)).expectNextCount(1).expectComplete().verify(WAIT);

        String input = """
                [{"role":"system","parts":[{"type":"text","content":"Be brief."}]},\
                {"role":"user","parts":[{"type":"text","content":"Say hello."}]}]""";
        SpanData primary = spans.named("chat down-model");
        assertThat(Spans.attribute(primary, "gen_ai.input.messages")).isEqualTo(input);
        assertThat(Spans.attribute(primary, "gen_ai.output.messages")).isNull();
        SpanData claude = spans.named("chat claude-haiku-4-5");
        assertThat(Spans.attribute(claude, "gen_ai.input.messages")).isEqualTo(input);
        assertThat(Spans.attribute(claude, "gen_ai.output.messages")).isEqualTo("""
                [{"role":"assistant","parts":[{"type":"text","content":"Hello from anthropic."}],"finish_reason":"stop"}]""");
    }

    @Test
    void withContentCapturedAStreamedAttemptRecordsTheWholeTextItStreamed() {
        Router router = Router.builder().observationRegistry(spans.registry).captureContent(true).build();
        Route<ChatRequest, Started<ChatChunk>> route = router.<ChatRequest, Started<ChatChunk>>route("chat-stream")
                .tier(Tier.of(ChatStreams.streaming(openai("openai", "gpt-4o-mini"))))
                .build();
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route).build();

        StepVerifier.create(chat.stream(ChatRequest.user("fast", "Say hello.").withStream(true)))
                .thenConsumeWhile(chunk -> true).expectComplete().verify(WAIT);

        SpanData attempt = spans.named("chat gpt-4o-mini");
        assertThat(Spans.attribute(attempt, "gen_ai.input.messages"))
                .isEqualTo("[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Say hello.\"}]}]");
        assertThat(Spans.attribute(attempt, "gen_ai.output.messages")).isEqualTo("""
                [{"role":"assistant","parts":[{"type":"text","content":"Hello from openai."}],"finish_reason":"stop"}]""");
        assertThat(Spans.attribute(attempt, "gen_ai.response.time_to_first_chunk")).isNotNull();
    }

    @Test
    void withoutTheOptInAStreamedAttemptRecordsNoContent() {
        Router router = Router.builder().observationRegistry(spans.registry).build();
        Route<ChatRequest, Started<ChatChunk>> route = router.<ChatRequest, Started<ChatChunk>>route("chat-stream")
                .tier(Tier.of(ChatStreams.streaming(openai("openai", "gpt-4o-mini"))))
                .build();

        StepVerifier.create(ChatStreams.failing(route).build().stream(ChatRequest.user("fast", "Say hello.").withStream(true)))
                .thenConsumeWhile(chunk -> true).expectComplete().verify(WAIT);

        SpanData attempt = spans.named("chat gpt-4o-mini");
        assertThat(Spans.attribute(attempt, "gen_ai.output.messages")).isNull();
        assertThat(Spans.attribute(attempt, "gen_ai.input.messages")).isNull();
        assertThat(attempt.getAttributes().asMap().values()).noneMatch(value -> String.valueOf(value).contains("ello"));
    }
}
