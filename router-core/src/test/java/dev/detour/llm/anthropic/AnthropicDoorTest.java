package dev.detour.llm.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnthropicDoorTest {

    private static final String CLAUDE_CODE_LIKE = """
            {"model":"claude-sonnet","max_tokens":512,"stream":true,"temperature":0.5,"top_k":40,
             "system":[{"type":"text","text":"You are a coder."},{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
             "metadata":{"user_id":"u-1"},"thinking":{"type":"enabled","budget_tokens":1024},"service_tier":"auto",
             "stop_sequences":["END"],
             "tools":[{"name":"read","description":"Reads a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],
             "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Read a.txt"},
                 {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]},
               {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Reading."},
                 {"type":"tool_use","id":"toolu_1","name":"read","input":{"path":"a.txt"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"hello"}]},
                 {"type":"text","text":"Summarise it."}]}]}
            """;

    @Test
    void aClaudeCodeShapedRequestBecomesTheCanonicalOne() {
        ChatRequest request = AnthropicDoor.request(Json.object(CLAUDE_CODE_LIKE, "test"));
        JsonNode json = request.json();

        assertThat(request.model()).isEqualTo("claude-sonnet");
        assertThat(request.stream()).isTrue();
        assertThat(json.path("max_tokens").asInt()).isEqualTo(512);
        assertThat(json.path("stop").toString()).isEqualTo("[\"END\"]");
        assertThat(json.path("user").asText()).isEqualTo("u-1");
        assertThat(json.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(json.path("parallel_tool_calls").asBoolean(true)).isFalse();
        assertThat(json.path("tools").get(0).path("function").path("parameters").path("type").asText()).isEqualTo("object");
        JsonNode messages = json.path("messages");
        assertThat(messages.get(0).path("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).path("content").asText()).isEqualTo("You are a coder.\n\nBe brief.");
        assertThat(messages.get(1).path("content").get(1).path("image_url").path("url").asText()).isEqualTo("data:image/png;base64,iVBO");
        assertThat(messages.get(2).path("content").asText()).isEqualTo("Reading.");
        assertThat(messages.get(2).path("tool_calls").get(0).path("function").path("arguments").asText()).isEqualTo("{\"path\":\"a.txt\"}");
        assertThat(messages.get(3).path("role").asText()).isEqualTo("tool");
        assertThat(messages.get(3).path("tool_call_id").asText()).isEqualTo("toolu_1");
        assertThat(messages.get(3).path("content").asText()).isEqualTo("hello");
        assertThat(messages.get(4).path("role").asText()).isEqualTo("user");
        JsonNode extension = json.path(ChatRequest.ANTHROPIC_FIELDS);
        assertThat(extension.path("top_k").asInt()).isEqualTo(40);
        assertThat(extension.path("thinking").path("type").asText()).isEqualTo("enabled");
        assertThat(extension.path("fields").path("service_tier").asText()).isEqualTo("auto");
    }

    @Test
    void sentToAnthropicItKeepsTheSystemBlocksThinkingTopKAndUnknownFieldsAndRoundTripsTheToolUse() {
        ChatRequest request = AnthropicDoor.request(Json.object(CLAUDE_CODE_LIKE, "test"));

        ObjectNode sent = AnthropicTranslation.request(request, null, 1024);

        assertThat(sent.path("system").get(1).path("cache_control").path("type").asText()).isEqualTo("ephemeral");
        assertThat(sent.path("top_k").asInt()).isEqualTo(40);
        assertThat(sent.path("service_tier").asText()).isEqualTo("auto");
        assertThat(sent.path("thinking").toString()).isEqualTo("{\"type\":\"enabled\",\"budget_tokens\":1024}");
        assertThat(sent.has(ChatRequest.ANTHROPIC_FIELDS)).isFalse();
        assertThat(sent.path("metadata").path("user_id").asText()).isEqualTo("u-1");
        JsonNode messages = sent.path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(1).path("content").get(0).toString())
                .isEqualTo("{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"s\"}");
        assertThat(messages.get(1).path("content").get(1).path("text").asText()).isEqualTo("Reading.");
        assertThat(messages.get(1).path("content").get(2).path("type").asText()).isEqualTo("tool_use");
        assertThat(messages.get(1).path("content").get(2).path("input").path("path").asText()).isEqualTo("a.txt");
        assertThat(messages.get(2).path("content").get(0).path("type").asText()).isEqualTo("tool_result");
        assertThat(messages.get(2).path("content").get(0).path("tool_use_id").asText()).isEqualTo("toolu_1");
        assertThat(sent.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();
    }

    @Test
    void whatCannotBeTranslatedIsRefusedNamingTheField() {
        assertThatThrownBy(() -> AnthropicDoor.request(Json.object("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "t")))
                .isInstanceOf(InvalidChatException.class).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> AnthropicDoor.request(Json.object("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"document\",\"source\":{}}]}]}", "t")))
                .isInstanceOf(InvalidChatException.class).hasMessageContaining("messages.0.content.0.type");
        assertThatThrownBy(() -> AnthropicDoor.request(Json.object("{\"model\":\"m\",\"max_tokens\":5,\"tools\":[{\"type\":\"web_search_20250305\","
                + "\"name\":\"web_search\"}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "t")))
                .isInstanceOf(InvalidChatException.class).hasMessageContaining("tools.0");
    }

    @Test
    void anAnswerWithToolCallsBecomesAMessage() {
        ChatResponse response = ChatResponse.of(Json.object("""
                {"id":"chatcmpl-1","object":"chat.completion","model":"gpt","choices":[{"index":0,"message":{"role":"assistant",
                 "content":"Let me read it.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"read","arguments":"{\\"path\\":\\"a\\"}"}}]},
                 "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}}
                """, "t"));

        ObjectNode message = AnthropicDoor.message(response);

        assertThat(message.path("id").asText()).isEqualTo("msg_chatcmpl-1");
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("content").get(0).path("text").asText()).isEqualTo("Let me read it.");
        assertThat(message.path("content").get(1).path("type").asText()).isEqualTo("tool_use");
        assertThat(message.path("content").get(1).path("input").path("path").asText()).isEqualTo("a");
        assertThat(message.path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(message.path("usage").path("input_tokens").asInt()).isEqualTo(6);
        assertThat(message.path("usage").path("cache_read_input_tokens").asInt()).isEqualTo(4);
        assertThat(message.path("usage").path("output_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void aStreamWithTextThenAToolCallBecomesAnthropicsEvents() {
        AnthropicDoor.StreamEncoder encoder = AnthropicDoor.stream();
        List<AnthropicDoor.Event> events = new ArrayList<>();
        for (String chunk : List.of(
                "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
                "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Reading\"}}]}",
                "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                        + "\"type\":\"function\",\"function\":{\"name\":\"read\",\"arguments\":\"\"}}]}}]}",
                "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                        + "\"function\":{\"arguments\":\"{\\\"path\\\":1}\"}}]}}]}",
                "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
                "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}")) {
            events.addAll(encoder.next(ChatChunk.of(Json.object(chunk, "t"))));
        }
        events.addAll(encoder.end());

        assertThat(events).extracting(AnthropicDoor.Event::name).containsExactly("message_start", "ping",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(events.get(0).data().path("message").path("id").asText()).isEqualTo("msg_c1");
        assertThat(events.get(5).data().path("index").asInt()).isEqualTo(1);
        assertThat(events.get(5).data().path("content_block").path("name").asText()).isEqualTo("read");
        assertThat(events.get(6).data().path("delta").path("partial_json").asText()).isEqualTo("{\"path\":1}");
        assertThat(events.get(8).data().path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(events.get(8).data().path("usage").path("output_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void errorsHaveAnthropicsTypes() {
        assertThat(AnthropicDoor.error(404, "no").toString())
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"no\"}}");
        assertThat(AnthropicDoor.errorType(529)).isEqualTo("overloaded_error");
        assertThat(AnthropicDoor.errorType(502)).isEqualTo("api_error");
        assertThat(AnthropicDoor.errorType(413)).isEqualTo("request_too_large");
    }
}
