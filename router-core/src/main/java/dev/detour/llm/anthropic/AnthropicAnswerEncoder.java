package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import java.io.IOException;

/** Encodes canonical answers as Anthropic {@code message} objects: the mirror image of {@link AnthropicAnswerDecoder}. */
final class AnthropicAnswerEncoder {

    private AnthropicAnswerEncoder() {
    }

    static ObjectNode message(ChatResponse response) {
        JsonNode json = response.json();
        JsonNode message = json.path("choices").path(0).path("message");
        ObjectNode out = head(json.path("id").asText(""), json.path("model").asText(""));
        ArrayNode content = out.putArray("content");
        for (JsonNode block : response.thinking()) {
            content.add(block.deepCopy());
        }
        String text = message.path("content").isTextual() ? message.get("content").asText() : "";
        JsonNode calls = message.path("tool_calls");
        if (!text.isEmpty() || !calls.isArray() || calls.isEmpty()) {
            content.addObject().put("type", "text").put("text", text);
        }
        for (JsonNode call : calls) {
            content.addObject().put("type", "tool_use").put("id", call.path("id").asText())
                    .put("name", call.path("function").path("name").asText())
                    .set("input", input(call.path("function").path("arguments")));
        }
        out.put("stop_reason", stopReason(response.finishReason()));
        out.putNull("stop_sequence");
        out.set("usage", usage(json.get("usage")));
        return out;
    }

    /** A {@code message} object's fields before its content: the id (with Anthropic's {@code msg_} prefix), type, role, model. */
    static ObjectNode head(String id, String model) {
        ObjectNode out = Json.newObject();
        out.put("id", id.startsWith("msg_") ? id : "msg_" + id);
        out.put("type", "message");
        out.put("role", "assistant");
        out.put("model", model);
        return out;
    }

    /** Tool-call arguments as a tool_use {@code input}: the JSON object they hold, or an empty object. */
    static JsonNode input(JsonNode arguments) {
        if (arguments.isObject()) {
            return arguments.deepCopy();
        }
        try {
            JsonNode parsed = arguments.isTextual() && !arguments.asText().isBlank() ? Json.parse(arguments.asText()) : null;
            return parsed != null && parsed.isObject() ? parsed : Json.newObject();
        } catch (IOException e) {
            return Json.newObject();
        }
    }

    /** See {@link AnthropicDoor#stopReason}. */
    static String stopReason(String finishReason) {
        if (finishReason == null) {
            return "end_turn";
        }
        switch (finishReason) {
            case "length":
                return "max_tokens";
            case "tool_calls":
            case "function_call":
                return "tool_use";
            case "content_filter":
                return "refusal";
            default:
                return "end_turn";
        }
    }

    /**
     * An Anthropic {@code usage} object for a canonical one (zeros when null): cached prompt tokens are
     * {@code cache_read_input_tokens}, the rest {@code input_tokens}.
     */
    static ObjectNode usage(JsonNode usage) {
        ObjectNode out = Json.newObject();
        long prompt = usage == null ? 0 : usage.path("prompt_tokens").asLong();
        long cached = usage == null ? 0 : usage.path("prompt_tokens_details").path("cached_tokens").asLong();
        out.put("input_tokens", Math.max(0, prompt - cached));
        if (cached > 0) {
            out.put("cache_read_input_tokens", cached);
        }
        out.put("output_tokens", usage == null ? 0 : usage.path("completion_tokens").asLong());
        return out;
    }
}
