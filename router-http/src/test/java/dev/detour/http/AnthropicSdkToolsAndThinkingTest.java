package dev.detour.http;

import static dev.detour.http.AnthropicSdk.accumulate;
import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.ThinkingBlock;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tool calls and thinking end to end with the official SDKs over real sockets: a streamed tool call accumulated
 * by the Anthropic SDK from an Anthropic provider, and from an OpenAI-compatible one after the Anthropic one
 * answered 529; the OpenAI SDK's streamed tool call served by an Anthropic provider; an Anthropic provider's
 * thinking reaching the Anthropic SDK (JSON and streamed, also across a mid-stream continuation, even one cut
 * before any text) and going back intact in the next turn, a tool-use loop begun without thinking going on
 * without it, and thinking never reaching the OpenAI SDK.
 */
class AnthropicSdkToolsAndThinkingTest {

    private static final String CLIENT_KEY = "sk-ant-client-tt";
    private static final String SIM_KEY = "sim-key-tt";
    private static final String ARGUMENTS = "{\"city\":\"Paris\",\"unit\":\"celsius\"}";
    private static final Map<String, String> PARSED = Map.of("city", "Paris", "unit", "celsius");

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-keys:
              - { name: claude-code, key-env: CLIENT }
            providers:
              claude:     { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: claude }
              overloaded: { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: overloaded }
              gpt:        { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: gpt }
              thinker:    { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: thinker }
              dying:      { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: dying }
              finisher:   { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: finisher }
              thought:    { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: thought }
            routes:
              - alias: claude
                tiers: [ { providers: [claude] } ]
              - alias: claude-or-gpt
                deadline: 10s
                tiers:
                  - { providers: [overloaded], timeout: 5s }
                  - { providers: [gpt], timeout: 5s }
              - alias: thinking
                tiers: [ { providers: [thinker] } ]
              - alias: thinking-continued
                deadline: 10s
                mid-stream: continue
                tiers:
                  - { providers: [dying], timeout: 5s }
                  - { providers: [finisher], timeout: 5s }
              - alias: cut-after-thinking
                deadline: 10s
                mid-stream: continue
                tiers:
                  - { providers: [thought], timeout: 5s }
                  - { providers: [finisher], timeout: 5s }
            """;

    private Harness h;
    private AnthropicClient client;

    @BeforeEach
    void start() {
        Behaviour weather = Behaviour.answer("It is sunny in Paris.").callsTool("get_weather", ARGUMENTS);
        h = new Harness(SimulatedProvider.builder().apiKey(SIM_KEY)
                .model("claude", weather)
                .model("overloaded", Behaviour.status(529))
                .model("gpt", weather)
                .model("thinker", Behaviour.script(weather, Behaviour.answer("It is sunny in Paris.")))
                .model("dying", Behaviour.answer("one two three four five six").fault(Fault.cutAfter(3)))
                .model("finisher", Behaviour.answer("one two three four five six"))
                .model("thought", Behaviour.answer("one two three four five six").fault(Fault.cutAfter(0))),
                YAML, Map.of("CLIENT", CLIENT_KEY, "SIM", SIM_KEY));
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

    private static MessageCreateParams.Builder ask(String model) {
        Tool tool = Tool.builder().name("get_weather").description("The weather in a city.")
                .inputSchema(Tool.InputSchema.builder().properties(Tool.InputSchema.Properties.builder()
                        .putAdditionalProperty("city", JsonValue.from(Map.of("type", "string")))
                        .putAdditionalProperty("unit", JsonValue.from(Map.of("type", "string"))).build()).build())
                .build();
        return MessageCreateParams.builder().model(model).maxTokens(4096).addTool(tool).addUserMessage("Weather in Paris?");
    }

    private static ToolUseBlock toolUse(Message message) {
        return message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow().asToolUse();
    }

    private static List<Long> blockStarts(List<RawMessageStreamEvent> events) {
        return events.stream().filter(RawMessageStreamEvent::isContentBlockStart)
                .map(event -> event.asContentBlockStart().index()).toList();
    }

    @Test
    void aStreamedToolCallFromAnAnthropicProviderIsAccumulatedByTheSdk() {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(ask("claude").build()), events);

        assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(message.content()).hasSize(1);
        ToolUseBlock use = toolUse(message);
        assertThat(use.id()).startsWith("toolu_sim");
        assertThat(use.name()).isEqualTo("get_weather");
        assertThat(use._input().convert(Map.class)).isEqualTo(PARSED);
        assertThat(events.stream().filter(RawMessageStreamEvent::isContentBlockDelta).count()).isGreaterThan(2);
        assertThat(h.simulator.lastRequest("claude").path("tools").get(0).path("name").asText()).isEqualTo("get_weather");
    }

    @Test
    void aStreamedToolCallFromAnOpenAiProviderAfterA529IsAccumulatedByTheSdk() {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(ask("claude-or-gpt").build()), events);

        assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
        ToolUseBlock use = toolUse(message);
        assertThat(use.id()).startsWith("call_sim");
        assertThat(use.name()).isEqualTo("get_weather");
        assertThat(use._input().convert(Map.class)).isEqualTo(PARSED);
        assertThat(blockStarts(events)).containsExactly(0L);
        assertThat(h.simulator.stats("overloaded").requests()).isEqualTo(1);
        assertThat(h.simulator.stats("gpt").completed()).isEqualTo(1);
        assertThat(h.simulator.lastRequest("gpt").path("tools").get(0).path("function").path("name").asText())
                .isEqualTo("get_weather");
    }

    @Test
    void anOpenAiSdksStreamedToolCallIsServedByAnAnthropicProvider() {
        OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl(h.router.baseUrl() + "/v1").apiKey(CLIENT_KEY)
                .maxRetries(0).timeout(Duration.ofSeconds(15)).build();
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream = openAi.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("claude").addUserMessage("Weather in Paris?")
                        .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                                .build()).build()).build())) {
            stream.stream().forEach(accumulator::accumulate);
        } finally {
            openAi.close();
        }

        ChatCompletion completion = accumulator.chatCompletion();
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.id()).startsWith("toolu_sim");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo(ARGUMENTS);
    }

    @Test
    void anAnthropicProvidersThinkingReachesTheSdkAndGoesBackIntactWithTheToolResult() {
        Message first = client.messages().create(ask("thinking").enabledThinking(1024).build());

        assertThat(first.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(first.content().get(0).isThinking()).isTrue();
        ThinkingBlock thought = first.content().get(0).asThinking();
        assertThat(thought.thinking()).isNotBlank();
        assertThat(thought.signature()).isNotBlank();
        assertThat(h.simulator.lastRequest("thinker").path("thinking").path("budget_tokens").asInt()).isEqualTo(1024);

        Message last = client.messages().create(ask("thinking").enabledThinking(1024).addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(toolUse(first).id()).content("Sunny, 21 C").build())))
                .build());

        assertThat(last.stopReason()).contains(StopReason.END_TURN);
        assertThat(last.content().get(0).asThinking().signature()).isNotBlank();
        assertThat(last.content().get(1).asText().text()).isEqualTo("It is sunny in Paris.");
        JsonNode sentBack = h.simulator.lastRequest("thinker").path("messages").get(1).path("content");
        assertThat(sentBack.get(0).path("type").asText()).isEqualTo("thinking");
        assertThat(sentBack.get(0).path("thinking").asText()).isEqualTo(thought.thinking());
        assertThat(sentBack.get(0).path("signature").asText()).isEqualTo(thought.signature());
        assertThat(sentBack.get(1).path("type").asText()).isEqualTo("tool_use");
        assertThat(sentBack.get(1).path("id").asText()).isEqualTo(toolUse(first).id());
    }

    @Test
    void aToolLoopBegunByAnOpenAiProviderGoesOnAtAnAnthropicOneWithoutThinking() {
        Message first = client.messages().create(ask("claude-or-gpt").enabledThinking(1024).build());
        assertThat(first.content()).noneMatch(ContentBlock::isThinking);

        Message next = client.messages().create(ask("claude").enabledThinking(1024).addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(toolUse(first).id()).content("Sunny, 21 C").build())))
                .build());

        assertThat(next.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(next.content()).noneMatch(ContentBlock::isThinking);
        ObjectNode received = h.simulator.lastRequest("claude");
        assertThat(received.has("thinking")).isFalse();
        assertThat(received.path("messages").get(1).path("content").get(0).path("id").asText()).isEqualTo(toolUse(first).id());
    }

    @Test
    void aStreamedAnswerBringsItsThinkingBlockFirst() {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(MessageCreateParams.builder().model("thinking")
                .maxTokens(4096).enabledThinking(2048).addUserMessage("Weather in Paris?").build()), events);

        assertThat(message.content()).hasSize(2);
        ThinkingBlock thought = message.content().get(0).asThinking();
        assertThat(thought.thinking()).isNotBlank();
        assertThat(thought.signature()).isNotBlank();
        assertThat(message.content().get(1).asText().text()).isEqualTo("It is sunny in Paris.");
        assertThat(blockStarts(events)).containsExactly(0L, 1L);
    }

    /** Cut after its thinking and three words, or after its thinking alone (before any text). */
    @ParameterizedTest
    @CsvSource({"thinking-continued, dying, one two three", "cut-after-thinking, thought, ''"})
    void aStreamCutAfterItsThinkingIsContinuedWithoutThinkingInOneTextBlock(String alias, String cut, String prefix) {
        List<RawMessageStreamEvent> events = new ArrayList<>();

        Message message = accumulate(client.messages().createStreaming(MessageCreateParams.builder()
                .model(alias).maxTokens(4096).enabledThinking(1024).addUserMessage("Count.").build()), events);

        assertThat(message.content()).hasSize(2);
        assertThat(message.content().get(0).asThinking().signature()).isNotBlank();
        assertThat(message.content().get(1).asText().text()).isEqualTo("one two three four five six");
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(blockStarts(events)).containsExactly(0L, 1L);
        ObjectNode continuation = h.simulator.lastRequest("finisher");
        assertThat(continuation.has("thinking")).isFalse();
        JsonNode prefill = continuation.path("messages").get(continuation.path("messages").size() - 1);
        assertThat(prefill.path("role").asText()).isEqualTo("assistant");
        assertThat(prefill.path("content").asText()).isEqualTo(prefix);
        assertThat(h.simulator.stats(cut).requests()).isEqualTo(1);
        assertThat(h.simulator.stats("finisher").completed()).isEqualTo(1);
    }

    @Test
    void theOpenAiSdkNeverSeesThinking() {
        OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl(h.router.baseUrl() + "/v1").apiKey(CLIENT_KEY)
                .maxRetries(0).timeout(Duration.ofSeconds(15)).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("thinking").addUserMessage("Hi.")
                .putAdditionalBodyProperty("x_anthropic", com.openai.core.JsonValue.from(
                        Map.of("thinking", Map.of("type", "enabled", "budget_tokens", 1024))))
                .maxCompletionTokens(4096).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletion whole = openAi.chat().completions().create(params);
        try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream = openAi.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        } finally {
            openAi.close();
        }

        assertThat(h.simulator.lastRequest("thinker").has("thinking")).isTrue();
        assertThat(whole.choices().get(0).message().content()).contains("It is sunny in Paris.");
        assertThat(whole.choices().get(0).message()._additionalProperties()).doesNotContainKey("x_anthropic");
        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> chunk.choices().forEach(choice ->
                assertThat(choice.delta()._additionalProperties()).doesNotContainKey("x_anthropic")));
        assertThat(chunks.stream().flatMap(chunk -> chunk.choices().stream()).map(choice -> choice.delta().content().orElse(""))
                .reduce("", String::concat)).isEqualTo("It is sunny in Paris.");
    }
}
