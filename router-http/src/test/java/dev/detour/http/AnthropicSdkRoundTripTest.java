package dev.detour.http;

import static dev.detour.http.AnthropicSdk.accumulate;
import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Base64ImageSource;
import com.anthropic.models.messages.CacheControlEphemeral;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.ImageBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Metadata;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.TextBlockParam;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The official Anthropic Java SDK end to end, for what the simulator's plain answers cannot show on their own: a tool-use
 * round trip (an OpenAI-compatible provider asking for a tool, the SDK's {@code tool_result} sent back, the final
 * answer), a base64 image block reaching each provider kind in its own form, a client that hangs up mid-stream
 * reaching the provider as a disconnect, and a request shaped like Claude Code's served by both provider kinds (what each received: thinking and
 * cache_control at the Anthropic one only; the SDK gets the Anthropic provider's thinking block).
 */
class AnthropicSdkRoundTripTest {

    private static final String CLIENT_KEY = "sk-ant-client-rt";
    private static final String SIM_KEY = "sim-key-rt";
    private static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-keys:
              - { name: claude-code, key-env: CLIENT }
            providers:
              claude: { type: anthropic, base-url: "${simulator}/v1", api-key-env: SIM, model: claude }
              gpt:    { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: gpt }
              slow:   { type: openai, base-url: "${simulator}/v1", api-key-env: SIM, model: slow }
              tools:  { type: openai, base-url: "${stub}/v1", model: tool-model }
            routes:
              - alias: via-anthropic
                tiers: [ { providers: [claude] } ]
              - alias: via-openai
                tiers: [ { providers: [gpt] } ]
              - alias: slow
                deadline: 30s
                tiers: [ { providers: [slow] } ]
              - alias: tools
                tiers: [ { providers: [tools] } ]
            """;

    /** The OpenAI-compatible provider of the tool round trip: answers in turn, recording each request body. */
    private final ConcurrentLinkedQueue<String> stubAnswers = new ConcurrentLinkedQueue<>();
    private final List<ObjectNode> stubRequests = new java.util.concurrent.CopyOnWriteArrayList<>();
    private DisposableServer stub;
    private Harness h;
    private AnthropicClient client;

    @BeforeEach
    void start() {
        stub = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.post("/v1/chat/completions", (request, response) -> request.receive().aggregate()
                        .asByteArray().flatMap(body -> {
                            stubRequests.add(Json.object(body, "stub request"));
                            String answer = stubAnswers.poll();
                            return response.status(answer == null ? 500 : 200)
                                    .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                                    .sendString(Mono.just(answer == null ? "{\"error\":{\"message\":\"no answer left\"}}" : answer))
                                    .then();
                        })))
                .bindNow();
        h = new Harness(SimulatedProvider.builder().apiKey(SIM_KEY)
                .model("claude", Behaviour.answer("Hello from Claude."))
                .model("gpt", Behaviour.answer("Hello from GPT."))
                .model("slow", Behaviour.answer("one two three four five six seven eight nine ten eleven twelve")
                        .pacing(Duration.ofMillis(300))),
                YAML.replace("${stub}", "http://127.0.0.1:" + stub.port()), Map.of("CLIENT", CLIENT_KEY, "SIM", SIM_KEY));
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
        if (stub != null) {
            stub.disposeNow();
        }
    }

    private static String text(Message message) {
        return message.content().stream().filter(ContentBlock::isText).map(block -> block.asText().text())
                .collect(Collectors.joining());
    }

    private static Tool tool(String name, String property) {
        return Tool.builder().name(name).description("The " + name + " tool.")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(Tool.InputSchema.Properties.builder()
                                .putAdditionalProperty(property, JsonValue.from(Map.of("type", "string"))).build())
                        .addRequired(property).build())
                .build();
    }

    @Test
    void aToolUseRoundTrip() {
        stubAnswers.add("""
                {"id":"chatcmpl-t1","object":"chat.completion","created":1,"model":"tool-model",
                 "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_42","type":"function",
                   "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},"finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}""");
        stubAnswers.add("""
                {"id":"chatcmpl-t2","object":"chat.completion","created":2,"model":"tool-model",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"It is sunny in Paris."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":30,"completion_tokens":6,"total_tokens":36}}""");
        MessageCreateParams.Builder ask = MessageCreateParams.builder().model("tools").maxTokens(256)
                .addTool(tool("get_weather", "city")).addUserMessage("What is the weather in Paris?");

        Message first = client.messages().create(ask.build());

        assertThat(first.stopReason()).contains(StopReason.TOOL_USE);
        ToolUseBlock use = first.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow().asToolUse();
        assertThat(use.id()).isEqualTo("call_42");
        assertThat(use.name()).isEqualTo("get_weather");
        assertThat(use._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));

        Message last = client.messages().create(ask.addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(use.id()).content("Sunny, 21 C").build())))
                .build());

        assertThat(text(last)).isEqualTo("It is sunny in Paris.");
        assertThat(last.stopReason()).contains(StopReason.END_TURN);
        JsonNode sent = stubRequests.get(1).path("messages");
        assertThat(sent.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(sent.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo("call_42");
        assertThat(sent.get(1).path("tool_calls").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(sent.get(2).path("role").asText()).isEqualTo("tool");
        assertThat(sent.get(2).path("tool_call_id").asText()).isEqualTo("call_42");
        assertThat(sent.get(2).path("content").toString()).contains("Sunny, 21 C");
        assertThat(stubRequests.get(0).path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
    }

    @Test
    void anImageBlockReachesEachProviderKindInItsOwnForm() {
        MessageCreateParams.Builder params = MessageCreateParams.builder().maxTokens(64)
                .addUserMessageOfContentBlockParams(List.of(
                        ContentBlockParam.ofImage(ImageBlockParam.builder().source(Base64ImageSource.builder().data(PNG)
                                .mediaType(Base64ImageSource.MediaType.IMAGE_PNG).build()).build()),
                        ContentBlockParam.ofText(TextBlockParam.builder().text("What is in this image?").build())));

        assertThat(text(client.messages().create(params.model("via-anthropic").build()))).isEqualTo("Hello from Claude.");
        assertThat(text(client.messages().create(params.model("via-openai").build()))).isEqualTo("Hello from GPT.");

        JsonNode anthropic = h.simulator.lastRequest("claude").path("messages").get(0).path("content");
        assertThat(anthropic.get(0).path("type").asText()).isEqualTo("image");
        assertThat(anthropic.get(0).path("source").path("type").asText()).isEqualTo("base64");
        assertThat(anthropic.get(0).path("source").path("media_type").asText()).isEqualTo("image/png");
        assertThat(anthropic.get(0).path("source").path("data").asText()).isEqualTo(PNG);
        JsonNode openai = h.simulator.lastRequest("gpt").path("messages").get(0).path("content");
        assertThat(openai.get(0).path("type").asText()).isEqualTo("image_url");
        assertThat(openai.get(0).path("image_url").path("url").asText()).isEqualTo("data:image/png;base64," + PNG);
        assertThat(openai.get(1).path("text").asText()).isEqualTo("What is in this image?");
    }

    @Test
    void aClientThatHangsUpMidStreamReachesTheProviderAsADisconnect() {
        StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams.builder()
                .model("slow").maxTokens(256).addUserMessage("Count slowly.").build());
        Iterator<RawMessageStreamEvent> events = stream.stream().iterator();
        List<RawMessageStreamEvent> seen = new ArrayList<>();
        while (seen.stream().noneMatch(RawMessageStreamEvent::isContentBlockDelta)) {
            seen.add(events.next());
        }
        stream.close();

        h.simulator.awaitStats("slow", stats -> stats.disconnects() == 1).block(Harness.WAIT);
        assertThat(h.simulator.stats("slow").completed()).isZero();
        Harness.await("the 499 log line", () -> h.logText().contains("\"status\":499"));
        assertThat(Harness.lines(h.logText())).anySatisfy(line -> {
            assertThat(line.path("door").asText()).isEqualTo("anthropic");
            assertThat(line.path("status").asInt()).isEqualTo(499);
            assertThat(line.path("client").asText()).isEqualTo("disconnected");
        });
    }

    /**
     * System blocks with cache_control, several tools (the last with cache_control), a user block with cache_control,
     * streaming, thinking, metadata.
     */
    private static MessageCreateParams claudeCode(String model) {
        CacheControlEphemeral cache = CacheControlEphemeral.builder().build();
        MessageCreateParams.Builder params = MessageCreateParams.builder().model(model).maxTokens(32000)
                .systemOfTextBlockParams(List.of(
                        TextBlockParam.builder().text("You are Claude Code, Anthropic's official CLI for Claude.").cacheControl(cache).build(),
                        TextBlockParam.builder().text("You are an interactive CLI tool that helps users with software engineering tasks.")
                                .cacheControl(cache).build()))
                .addTool(tool("Bash", "command")).addTool(tool("Read", "file_path")).addTool(tool("Edit", "file_path"))
                .addTool(tool("Glob", "pattern"))
                .addTool(tool("Grep", "pattern").toBuilder().cacheControl(cache).build())
                .enabledThinking(1024)
                .metadata(Metadata.builder().userId("user_abc_account_def_session_ghi").build())
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofText(TextBlockParam.builder()
                        .text("Say hello.").cacheControl(cache).build())))
                .putAdditionalHeader("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14");
        return params.build();
    }

    @Test
    void aClaudeCodeShapedRequestIsServedByBothProviderKinds() {
        Message anthropic = accumulate(client.messages().createStreaming(claudeCode("via-anthropic")));
        Message openai = accumulate(client.messages().createStreaming(claudeCode("via-openai")));

        assertThat(text(anthropic)).isEqualTo("Hello from Claude.");
        assertThat(anthropic.stopReason()).contains(StopReason.END_TURN);
        assertThat(anthropic.content()).hasSize(2);
        assertThat(anthropic.content().get(0).isThinking()).isTrue();
        assertThat(anthropic.content().get(0).asThinking().thinking()).isNotBlank();
        assertThat(anthropic.content().get(0).asThinking().signature()).isNotBlank();
        assertThat(text(openai)).isEqualTo("Hello from GPT.");
        assertThat(openai.stopReason()).contains(StopReason.END_TURN);
        assertThat(openai.content()).hasSize(1).allSatisfy(block -> assertThat(block.isText()).isTrue());

        ObjectNode toAnthropic = h.simulator.lastRequest("claude");
        assertThat(toAnthropic.path("system").isArray()).isTrue();
        assertThat(toAnthropic.path("system").get(0).path("cache_control").path("type").asText()).isEqualTo("ephemeral");
        assertThat(toAnthropic.path("tools")).hasSize(5);
        assertThat(toAnthropic.path("stream").asBoolean()).isTrue();
        assertThat(toAnthropic.path("max_tokens").asInt()).isEqualTo(32000);
        assertThat(toAnthropic.path("thinking").path("type").asText()).isEqualTo("enabled");
        assertThat(toAnthropic.path("thinking").path("budget_tokens").asInt()).isEqualTo(1024);
        assertThat(toAnthropic.path("tools").get(3).has("cache_control")).isFalse();
        assertThat(toAnthropic.path("tools").get(4).path("cache_control").path("type").asText()).isEqualTo("ephemeral");
        assertThat(toAnthropic.path("messages").get(0).path("content").get(0).path("cache_control").path("type").asText())
                .isEqualTo("ephemeral");
        assertThat(toAnthropic.toString()).doesNotContain("x_anthropic");

        ObjectNode toOpenAi = h.simulator.lastRequest("gpt");
        assertThat(toOpenAi.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(toOpenAi.path("messages").get(0).path("content").toString())
                .contains("You are Claude Code").contains("interactive CLI tool");
        assertThat(toOpenAi.path("tools")).hasSize(5);
        assertThat(toOpenAi.path("tools").get(0).path("function").path("name").asText()).isEqualTo("Bash");
        assertThat(toOpenAi.path("user").asText()).isEqualTo("user_abc_account_def_session_ghi");
        assertThat(toOpenAi.toString()).doesNotContain("cache_control").doesNotContain("thinking")
                .doesNotContain("x_anthropic");
    }
}
