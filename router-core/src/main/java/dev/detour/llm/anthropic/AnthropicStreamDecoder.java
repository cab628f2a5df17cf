package dev.detour.llm.anthropic;

import static dev.detour.llm.anthropic.AnthropicAnswerDecoder.finishReason;
import static dev.detour.llm.anthropic.AnthropicAnswerDecoder.textOrNull;
import static dev.detour.llm.anthropic.AnthropicAnswerDecoder.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.internal.EventDecoder;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.internal.SseEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes one Anthropic event stream into canonical chunks, as {@link AnthropicTranslation#chunks}
 * describes; it remembers what {@code message_start} said and the tool calls seen.
 */
final class AnthropicStreamDecoder implements EventDecoder {

    private final long created = System.currentTimeMillis() / 1000;
    private final Map<Integer, Integer> toolCallOfBlock = new HashMap<>();
    private String id = "";
    private String model = "";
    private JsonNode inputUsage;

    @Override
    public List<ChatChunk> decode(SseEvent event) {
        ObjectNode data;
        try {
            data = Json.object(event.data(), "stream event");
        } catch (InvalidChatException e) {
            return List.of(ChatChunk.malformed(e.getMessage()));
        }
        String type = data.path("type").isTextual() ? data.get("type").asText() : event.event();
        if (type == null) {
            return List.of();
        }
        switch (type) {
            case "message_start":
                JsonNode message = data.path("message");
                id = message.path("id").asText(id);
                model = message.path("model").asText(model);
                inputUsage = message.path("usage");
                ObjectNode opening = chunk();
                delta(opening).put("role", "assistant").put("content", "");
                return List.of(ChatChunk.of(opening));
            case "content_block_start":
                return blockStart(data.path("index").asInt(), data.path("content_block"));
            case "content_block_delta":
                return blockDelta(data.path("index").asInt(), data.path("delta"));
            case "message_delta":
                ObjectNode finish = chunk();
                delta(finish);
                choice(finish).put("finish_reason",
                        finishReason(textOrNull(data.path("delta").get("stop_reason"))));
                ObjectNode usage = usage(data.path("usage"), inputUsage);
                if (usage == null) {
                    return List.of(ChatChunk.of(finish));
                }
                ObjectNode usageOnly = chunk();
                usageOnly.putArray("choices");
                usageOnly.set("usage", usage);
                return List.of(ChatChunk.of(finish), ChatChunk.of(usageOnly));
            case "message_stop":
                return EventDecoder.ENDED;
            case "error":
                throw AnthropicErrors.error(data);
            default:
                return List.of();
        }
    }

    private List<ChatChunk> blockStart(int index, JsonNode block) {
        String type = block.path("type").asText();
        if ("tool_use".equals(type)) {
            int call = toolCallOfBlock.size();
            toolCallOfBlock.put(index, call);
            ObjectNode chunk = chunk();
            ObjectNode toolCall = delta(chunk).putArray("tool_calls").addObject();
            toolCall.put("index", call);
            toolCall.put("id", block.path("id").asText());
            toolCall.put("type", "function");
            toolCall.putObject("function").put("name", block.path("name").asText()).put("arguments", "");
            return List.of(ChatChunk.of(chunk));
        }
        if ("text".equals(type) && !block.path("text").asText("").isEmpty()) {
            return List.of(text(block.get("text").asText()));
        }
        if ("thinking".equals(type) || "redacted_thinking".equals(type)) {
            return List.of(thinking("block", block));
        }
        return List.of();
    }

    private List<ChatChunk> blockDelta(int index, JsonNode delta) {
        String type = delta.path("type").asText();
        if ("text_delta".equals(type)) {
            return List.of(text(delta.path("text").asText("")));
        }
        if ("input_json_delta".equals(type)) {
            Integer call = toolCallOfBlock.get(index);
            if (call == null) {
                throw HttpFailures.malformed("input_json_delta for content block " + index + ", which is not a tool_use block");
            }
            ObjectNode chunk = chunk();
            ObjectNode toolCall = delta(chunk).putArray("tool_calls").addObject();
            toolCall.put("index", call);
            toolCall.putObject("function").put("arguments", delta.path("partial_json").asText(""));
            return List.of(ChatChunk.of(chunk));
        }
        if ("thinking_delta".equals(type) || "signature_delta".equals(type)) {
            return List.of(thinking("delta", delta));
        }
        return List.of();
    }

    /** A chunk with a piece of a thinking block ({@code block} or {@code delta}), as {@link ChatChunk#thinking()} says. */
    private ChatChunk thinking(String piece, JsonNode value) {
        ObjectNode chunk = chunk();
        delta(chunk).putObject(ChatRequest.ANTHROPIC_FIELDS).set(piece, value);
        return ChatChunk.of(chunk);
    }

    private ChatChunk text(String text) {
        ObjectNode chunk = chunk();
        delta(chunk).put("content", text);
        return ChatChunk.of(chunk);
    }

    private ObjectNode chunk() {
        ObjectNode json = Json.newObject();
        json.put("id", id);
        json.put("object", "chat.completion.chunk");
        json.put("created", created);
        json.put("model", model);
        return json;
    }

    private static ObjectNode choice(ObjectNode chunk) {
        JsonNode choices = chunk.get("choices");
        if (choices == null) {
            ObjectNode choice = chunk.putArray("choices").addObject();
            choice.put("index", 0);
            choice.putObject("delta");
            choice.putNull("finish_reason");
            return choice;
        }
        return (ObjectNode) choices.get(0);
    }

    private static ObjectNode delta(ObjectNode chunk) {
        return (ObjectNode) choice(chunk).get("delta");
    }
}
