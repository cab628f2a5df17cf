package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.util.Objects;

/** Decodes Anthropic {@code message} objects, stop reasons and usage into canonical ones. */
final class AnthropicAnswerDecoder {

    private AnthropicAnswerDecoder() {
    }

    /** The canonical answer for a {@code message} object; see {@link AnthropicTranslation#response}. */
    static ChatResponse response(ObjectNode message) {
        Objects.requireNonNull(message, "message");
        String type = message.path("type").asText("");
        if (!"message".equals(type)) {
            throw new InvalidChatException("answer is not an Anthropic message (type '" + type + "')");
        }
        JsonNode content = message.path("content");
        if (!content.isArray()) {
            throw new InvalidChatException("answer has no 'content' array");
        }
        StringBuilder text = new StringBuilder();
        boolean hasText = false;
        ArrayNode calls = Json.newArray();
        ArrayNode thinking = Json.newArray();
        for (JsonNode block : content) {
            String blockType = block.path("type").asText();
            if ("text".equals(blockType)) {
                text.append(block.path("text").asText(""));
                hasText = true;
            } else if ("tool_use".equals(blockType)) {
                ObjectNode call = calls.addObject();
                call.put("id", block.path("id").asText());
                call.put("type", "function");
                call.putObject("function")
                        .put("name", block.path("name").asText())
                        .put("arguments", block.path("input").isObject() ? block.get("input").toString() : "{}");
            } else if ("thinking".equals(blockType) || "redacted_thinking".equals(blockType)) {
                thinking.add(block.deepCopy());
            }
        }

        ObjectNode json = Json.newObject();
        json.put("id", message.path("id").asText(""));
        json.put("object", "chat.completion");
        json.put("created", System.currentTimeMillis() / 1000);
        json.put("model", message.path("model").asText(""));
        ObjectNode choice = json.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode out = choice.putObject("message").put("role", "assistant");
        if (hasText || calls.isEmpty()) {
            out.put("content", text.toString());
        } else {
            out.putNull("content");
        }
        if (!calls.isEmpty()) {
            out.set("tool_calls", calls);
        }
        if (!thinking.isEmpty()) {
            out.putObject(ChatRequest.ANTHROPIC_FIELDS).set("thinking", thinking);
        }
        choice.put("finish_reason", finishReason(textOrNull(message.get("stop_reason"))));
        ObjectNode usage = usage(message.path("usage"), null);
        if (usage != null) {
            json.set("usage", usage);
        }
        return ChatResponse.of(json);
    }

    /** See {@link AnthropicTranslation#finishReason}. */
    static String finishReason(String stopReason) {
        if (stopReason == null) {
            return null;
        }
        switch (stopReason) {
            case "max_tokens":
            case "model_context_window_exceeded":
                return "length";
            case "tool_use":
                return "tool_calls";
            case "refusal":
                return "content_filter";
            default:
                return "stop";
        }
    }

    /**
     * An OpenAI {@code usage} object for an Anthropic one; null when {@code usage} is not an object.
     * Input tokens, tokens written to the cache and tokens read from it are all prompt tokens.
     *
     * @param input where input counts are read when {@code usage} has none (a stream's {@code message_start}); may be null
     */
    static ObjectNode usage(JsonNode usage, JsonNode input) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        JsonNode inputSource = usage.has("input_tokens") || input == null ? usage : input;
        long cached = inputSource.path("cache_read_input_tokens").asLong();
        long prompt = inputSource.path("input_tokens").asLong()
                + inputSource.path("cache_creation_input_tokens").asLong() + cached;
        long completion = usage.path("output_tokens").asLong();
        ObjectNode out = Json.newObject();
        out.put("prompt_tokens", prompt);
        out.put("completion_tokens", completion);
        out.put("total_tokens", prompt + completion);
        if (cached > 0) {
            out.putObject("prompt_tokens_details").put("cached_tokens", cached);
        }
        return out;
    }

    static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
