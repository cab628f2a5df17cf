package dev.detour.llm.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.Json;
import dev.detour.llm.internal.SseEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * What only Anthropic understands, through the Anthropic door: {@code cache_control} inside messages and tools,
 * {@code thinking} and the thinking blocks of answers, streams and later turns. An Anthropic provider gets and
 * gives them as sent; every other provider and the OpenAI door never see them.
 */
class AnthropicOnlyFieldsTest {

    private static final String CACHE = "{\"type\":\"ephemeral\"}";

    private static final String MARKED = """
            {"model":"claude","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},
             "tools":[{"name":"read","input_schema":{"type":"object"}},
                      {"name":"grep","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Look.","cache_control":{"type":"ephemeral"}},
                 {"type":"image","source":{"type":"url","url":"https://x/a.png"},"cache_control":{"type":"ephemeral"}}]},
               {"role":"assistant","content":[{"type":"thinking","thinking":"I should read it.","signature":"sig-1"},
                 {"type":"redacted_thinking","data":"opaque"},
                 {"type":"tool_use","id":"toolu_1","name":"read","input":{"path":"a"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"text of a",
                 "cache_control":{"type":"ephemeral"}}]}]}
            """;

    private static SseEvent event(String name, String data) {
        return new SseEvent(name, data, null);
    }

    private static List<AnthropicDoor.Event> encoded(Flux<ChatChunk> chunks) {
        AnthropicDoor.StreamEncoder encoder = AnthropicDoor.stream();
        List<AnthropicDoor.Event> events = new ArrayList<>();
        chunks.toIterable().forEach(chunk -> events.addAll(encoder.next(chunk)));
        events.addAll(encoder.end());
        return events;
    }

    private static List<String> described(List<AnthropicDoor.Event> events) {
        List<String> out = new ArrayList<>();
        for (AnthropicDoor.Event event : events) {
            JsonNode data = event.data();
            String what = data.has("content_block") ? data.get("content_block").path("type").asText()
                    : data.path("delta").path("type").asText("");
            out.add(event.name() + (data.has("index") ? "@" + data.get("index").asInt() : "") + (what.isEmpty() ? "" : " " + what));
        }
        return out;
    }

    @Test
    void cacheControlInsideMessagesAndToolsReachesAnthropicOnTheirBlocksAndNoOtherProvider() {
        ChatRequest request = AnthropicDoor.request(Json.object(MARKED, "test"));

        ObjectNode sent = AnthropicTranslation.request(request, null, 1024);

        assertThat(sent.path("tools").get(0).has("cache_control")).isFalse();
        assertThat(sent.path("tools").get(1).path("cache_control").toString()).isEqualTo(CACHE);
        JsonNode first = sent.path("messages").get(0).path("content");
        assertThat(first.get(0).path("text").asText()).isEqualTo("Look.");
        assertThat(first.get(0).path("cache_control").toString()).isEqualTo(CACHE);
        assertThat(first.get(1).path("type").asText()).isEqualTo("image");
        assertThat(first.get(1).path("cache_control").toString()).isEqualTo(CACHE);
        JsonNode result = sent.path("messages").get(2).path("content").get(0);
        assertThat(result.path("type").asText()).isEqualTo("tool_result");
        assertThat(result.path("cache_control").toString()).isEqualTo(CACHE);
        assertThat(sent.toString()).doesNotContain(ChatRequest.ANTHROPIC_FIELDS);

        String elsewhere = request.withoutAnthropicFields().json().toString();
        assertThat(elsewhere).doesNotContain("cache_control").doesNotContain(ChatRequest.ANTHROPIC_FIELDS)
                .doesNotContain("thinking").doesNotContain("sig-1").doesNotContain("opaque");
        assertThat(request.withoutAnthropicFields().messages().get(1).path("tool_calls").get(0).path("id").asText())
                .isEqualTo("toolu_1");
    }

    @Test
    void thinkingAndTheThinkingBlocksOfAnEarlierTurnReachAnthropicAsSent() {
        ChatRequest request = AnthropicDoor.request(Json.object(MARKED, "test"));

        ObjectNode sent = AnthropicTranslation.request(request, null, 1024);

        assertThat(sent.path("thinking").toString()).isEqualTo("{\"type\":\"enabled\",\"budget_tokens\":2048}");
        assertThat(sent.path("messages").get(1).path("content")).isEqualTo(Json.object(MARKED, "t").path("messages").get(1).path("content"));
    }

    @Test
    void aToolLoopBegunWithoutThinkingGoesOnWithoutItAndOneBegunWithThinkingKeepsIt() {
        String begunElsewhere = """
                {"model":"claude","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[
                  {"role":"user","content":"Weather?"},
                  {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"Sunny"}]}]}""";
        String begunThinking = """
                {"model":"claude","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[
                  {"role":"user","content":"Weather?"},
                  {"role":"assistant","content":[{"type":"thinking","thinking":"Ask.","signature":"s"},
                    {"type":"tool_use","id":"t1","name":"get_weather","input":{}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"Sunny"}]},
                  {"role":"assistant","content":[{"type":"tool_use","id":"t2","name":"get_weather","input":{}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t2","content":"Still sunny"}]}]}""";

        ObjectNode elsewhere = AnthropicTranslation.request(AnthropicDoor.request(Json.object(begunElsewhere, "t")), null, 1024);
        ObjectNode thinking = AnthropicTranslation.request(AnthropicDoor.request(Json.object(begunThinking, "t")), null, 1024);

        assertThat(elsewhere.has("thinking")).isFalse();
        assertThat(thinking.path("thinking").path("budget_tokens").asInt()).isEqualTo(2048);
    }

    @Test
    void aContinuationIsSentToAnthropicWithoutThinkingAndWithItsPrefill() throws Exception {
        ChatRequest request = AnthropicDoor.request(Json.object(MARKED, "test"));
        AnthropicDialect dialect = new AnthropicDialect(null, 1024);

        JsonNode whole = Json.parse(dialect.encode(request));
        JsonNode continued = Json.parse(dialect.encode(request.continuing("The file says ")));

        assertThat(whole.has("thinking")).isTrue();
        assertThat(continued.has("thinking")).isFalse();
        JsonNode messages = continued.path("messages");
        JsonNode last = messages.get(messages.size() - 1);
        assertThat(last.path("role").asText()).isEqualTo("assistant");
        assertThat(last.path("content").asText()).isEqualTo("The file says");
    }

    @Test
    void anAnswersThinkingReachesTheAnthropicDoorFirstAndNeverTheOpenAiShape() {
        ChatResponse response = AnthropicTranslation.response(Json.object("""
                {"id":"msg_1","type":"message","role":"assistant","model":"claude","stop_reason":"end_turn",
                 "content":[{"type":"thinking","thinking":"Short answer.","signature":"sig-2"},
                            {"type":"redacted_thinking","data":"opaque"},{"type":"text","text":"Hi."}],
                 "usage":{"input_tokens":5,"output_tokens":9}}""", "t"));

        ObjectNode message = AnthropicDoor.message(response);

        assertThat(response.content()).isEqualTo("Hi.");
        assertThat(message.path("content").toString()).isEqualTo("[{\"type\":\"thinking\",\"thinking\":\"Short answer.\","
                + "\"signature\":\"sig-2\"},{\"type\":\"redacted_thinking\",\"data\":\"opaque\"},{\"type\":\"text\",\"text\":\"Hi.\"}]");
        JsonNode openAi = response.withoutAnthropicFields().json();
        assertThat(openAi.toString()).doesNotContain("thinking").doesNotContain(ChatRequest.ANTHROPIC_FIELDS);
        assertThat(openAi.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hi.");
    }

    @Test
    void aStreamsThinkingBlocksComeBeforeItsTextAndToolUseWithIndexesOfTheirOwn() {
        Flux<ChatChunk> chunks = AnthropicTranslation.chunks(Flux.just(
                event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude\",\"usage\":{\"input_tokens\":3}}}"),
                event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}"),
                event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me \"}}"),
                event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"see.\"}}"),
                event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig-3\"}}"),
                event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"),
                event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"opaque\"}}"),
                event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"),
                event("content_block_start", "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
                event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"Reading.\"}}"),
                event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}"),
                event("content_block_start", "{\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"read\",\"input\":{}}}"),
                event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}"),
                event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":3}"),
                event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":20}}"),
                event("message_stop", "{\"type\":\"message_stop\"}")));

        List<ChatChunk> canonical = chunks.collectList().block();
        List<AnthropicDoor.Event> events = encoded(Flux.fromIterable(canonical));

        assertThat(canonical).filteredOn(chunk -> !chunk.thinking().isMissingNode()).hasSize(5)
                .allSatisfy(chunk -> assertThat(chunk.content()).isNull());
        assertThat(described(events)).containsExactly("message_start", "ping",
                "content_block_start@0 thinking", "content_block_delta@0 thinking_delta", "content_block_delta@0 thinking_delta",
                "content_block_delta@0 signature_delta", "content_block_stop@0",
                "content_block_start@1 redacted_thinking", "content_block_stop@1",
                "content_block_start@2 text", "content_block_delta@2 text_delta", "content_block_stop@2",
                "content_block_start@3 tool_use", "content_block_delta@3 input_json_delta", "content_block_stop@3",
                "message_delta", "message_stop");
        assertThat(events.get(5).data().path("delta").path("signature").asText()).isEqualTo("sig-3");
        assertThat(events.get(7).data().path("content_block").path("data").asText()).isEqualTo("opaque");
        assertThat(events.get(15).data().path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
    }

    @Test
    void aWholeAnswerSentAsAStreamKeepsItsThinking() {
        ChatResponse response = AnthropicTranslation.response(Json.object("""
                {"id":"msg_1","type":"message","role":"assistant","model":"claude","stop_reason":"end_turn",
                 "content":[{"type":"thinking","thinking":"Short answer.","signature":"sig-2"},{"type":"text","text":"Hi."}],
                 "usage":{"input_tokens":5,"output_tokens":9}}""", "t"));

        List<AnthropicDoor.Event> events = encoded(ChatStreams.replay(response));

        assertThat(described(events)).containsExactly("message_start", "ping",
                "content_block_start@0 thinking", "content_block_delta@0 thinking_delta", "content_block_delta@0 signature_delta",
                "content_block_stop@0", "content_block_start@1 text", "content_block_delta@1 text_delta", "content_block_stop@1",
                "message_delta", "message_stop");
        assertThat(events.get(3).data().path("delta").path("thinking").asText()).isEqualTo("Short answer.");
        assertThat(events.get(4).data().path("delta").path("signature").asText()).isEqualTo("sig-2");
    }
}
