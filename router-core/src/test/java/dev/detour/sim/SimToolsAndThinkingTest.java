package dev.detour.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufMono;
import reactor.netty.http.client.HttpClient;

/** The simulator calling tools (both wires, JSON and streamed) and thinking (Anthropic), over real sockets. */
class SimToolsAndThinkingTest {

    private static final String ARGUMENTS = "{\"city\":\"Paris\",\"unit\":\"celsius\"}";

    private final HttpClient client = HttpClient.newConnection();
    private SimulatedProvider sim;

    @BeforeEach
    void start() {
        sim = SimulatedProvider.builder().model("m", Behaviour.answer("It is sunny.").callsTool("get_weather", ARGUMENTS)).start();
    }

    @AfterEach
    void close() {
        sim.close();
    }

    private Reply post(String path, String body) {
        return client.post().uri(sim.baseUrl() + path).send(ByteBufMono.fromString(Mono.just(body)))
                .responseSingle((response, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(text -> new Reply(response.status().code(), response.responseHeaders(), text)))
                .block(Duration.ofSeconds(10));
    }

    private static String openAi(boolean stream, String tool) {
        ObjectNode body = Json.newObject().put("model", "m").put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", "Weather in Paris?");
        body.putArray("tools").addObject().put("type", "function").putObject("function").put("name", tool);
        return body.toString();
    }

    private static ObjectNode anthropic(boolean stream, String tool) {
        ObjectNode body = Json.newObject().put("model", "m").put("max_tokens", 4096).put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", "Weather in Paris?");
        body.putArray("tools").addObject().put("name", tool).putObject("input_schema").put("type", "object");
        return body;
    }

    private static ObjectNode thinking(ObjectNode body, int budget) {
        body.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
        return body;
    }

    private static List<JsonNode> data(Reply reply) {
        return reply.events().stream().filter(event -> !event.data().equals("[DONE]")).map(event -> (JsonNode) event.json()).toList();
    }

    @Test
    void anOpenAiModelCallsTheToolOfferedInJsonAndInAStream() {
        JsonNode answer = post("/v1/chat/completions", openAi(false, "get_weather")).json().path("choices").get(0);
        List<JsonNode> chunks = data(post("/v1/chat/completions", openAi(true, "get_weather")));
        JsonNode notOffered = post("/v1/chat/completions", openAi(false, "other")).json().path("choices").get(0);

        assertThat(answer.path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(answer.path("message").path("content").isNull()).isTrue();
        JsonNode call = answer.path("message").path("tool_calls").get(0);
        assertThat(call.path("id").asText()).startsWith("call_sim");
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(call.path("function").path("arguments").asText()).isEqualTo(ARGUMENTS);

        JsonNode first = chunks.get(0).path("choices").get(0).path("delta").path("tool_calls").get(0);
        assertThat(first.path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(first.path("id").asText()).startsWith("call_sim");
        List<String> fragments = chunks.stream().map(chunk -> chunk.path("choices").path(0).path("delta").path("tool_calls")
                .path(0).path("function").path("arguments").asText("")).filter(piece -> !piece.isEmpty()).toList();
        assertThat(fragments.size()).isGreaterThan(2);
        assertThat(String.join("", fragments)).isEqualTo(ARGUMENTS);
        assertThat(chunks.get(chunks.size() - 1).path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");

        assertThat(notOffered.path("message").path("content").asText()).isEqualTo("It is sunny.");
        assertThat(notOffered.path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void anAnthropicModelCallsTheToolOfferedInJsonAndInAStream() {
        JsonNode answer = post("/v1/messages", anthropic(false, "get_weather").toString()).json();
        List<Reply.Event> events = post("/v1/messages", anthropic(true, "get_weather").toString()).events();

        assertThat(answer.path("stop_reason").asText()).isEqualTo("tool_use");
        JsonNode use = answer.path("content").get(0);
        assertThat(use.path("type").asText()).isEqualTo("tool_use");
        assertThat(use.path("id").asText()).startsWith("toolu_sim");
        assertThat(use.path("input")).isEqualTo(Json.object(ARGUMENTS, "t"));

        assertThat(events.get(1).json().path("content_block").path("type").asText()).isEqualTo("tool_use");
        assertThat(events.get(1).json().path("content_block").path("name").asText()).isEqualTo("get_weather");
        String partial = events.stream().filter(event -> "content_block_delta".equals(event.name()))
                .map(event -> event.json().path("delta").path("partial_json").asText()).collect(Collectors.joining());
        assertThat(partial).isEqualTo(ARGUMENTS);
        assertThat(events).filteredOn(event -> "message_delta".equals(event.name())).singleElement()
                .satisfies(event -> assertThat(event.json().path("delta").path("stop_reason").asText()).isEqualTo("tool_use"));
    }

    @Test
    void anAnthropicModelThinksFirstWhenThinkingIsOnAndChecksTheThinkingSentBack() {
        JsonNode answer = post("/v1/messages", thinking(anthropic(false, "other"), 1024).toString()).json();
        List<Reply.Event> events = post("/v1/messages", thinking(anthropic(true, "other"), 1024).toString()).events();

        JsonNode thought = answer.path("content").get(0);
        assertThat(thought.path("type").asText()).isEqualTo("thinking");
        assertThat(thought.path("thinking").asText()).isEqualTo(AnthropicWire.THINKING);
        assertThat(thought.path("signature").asText()).isEqualTo(AnthropicWire.signature(AnthropicWire.THINKING));
        assertThat(answer.path("content").get(1).path("text").asText()).isEqualTo("It is sunny.");

        List<String> shape = events.stream().map(event -> event.name() + "@" + event.json().path("index").asInt(-1)
                + " " + event.json().path("content_block").path("type").asText(event.json().path("delta").path("type").asText(""))).toList();
        assertThat(shape).startsWith("message_start@-1 ", "content_block_start@0 thinking", "content_block_delta@0 thinking_delta");
        assertThat(shape).contains("content_block_delta@0 signature_delta", "content_block_stop@0 ", "content_block_start@1 text",
                "content_block_delta@1 text_delta", "content_block_stop@1 ");

        ObjectNode next = thinking(anthropic(false, "other"), 1024);
        next.withArray("messages").addObject().put("role", "assistant").set("content", answer.path("content"));
        next.withArray("messages").addObject().put("role", "user").put("content", "Thanks.");
        assertThat(post("/v1/messages", next.toString()).status()).isEqualTo(200);
        ((ObjectNode) next.withArray("messages").get(1).get("content").get(0)).put("thinking", "Something else.");
        Reply forged = post("/v1/messages", next.toString());
        assertThat(forged.status()).isEqualTo(400);
        assertThat(forged.body()).contains("Invalid `signature` in `thinking` block");
    }

    @Test
    void anAnthropicModelRefusesAPrefillOrAToolLoopBegunWithoutThinkingAndABudgetItCannotSpend() {
        ObjectNode prefill = thinking(anthropic(false, "other"), 1024);
        prefill.withArray("messages").addObject().put("role", "assistant").put("content", "It is");

        ObjectNode loop = thinking(anthropic(false, "other"), 1024);
        loop.withArray("messages").addObject().put("role", "assistant").putArray("content").addObject()
                .put("type", "tool_use").put("id", "call_1").put("name", "other").putObject("input");
        loop.withArray("messages").addObject().put("role", "user").putArray("content").addObject()
                .put("type", "tool_result").put("tool_use_id", "call_1").put("content", "done");

        Reply refused = post("/v1/messages", prefill.toString());
        Reply loopRefused = post("/v1/messages", loop.toString());
        Reply overBudget = post("/v1/messages", thinking(anthropic(false, "other"), 4096).toString());

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("must start with a thinking block");
        assertThat(loopRefused.status()).isEqualTo(400);
        assertThat(loopRefused.body()).contains("messages.1.content.0.type").contains("found `tool_use`");
        assertThat(overBudget.status()).isEqualTo(400);
        assertThat(overBudget.body()).contains("budget_tokens");
    }
}
