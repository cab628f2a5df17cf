package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes one canonical chunk stream as Anthropic's stream events, as {@link AnthropicDoor.StreamEncoder}
 * describes: the mirror image of {@link AnthropicStreamDecoder}. Not thread-safe: one stream, in order.
 */
final class AnthropicStreamEncoder implements AnthropicDoor.StreamEncoder {

    private final Map<Integer, Integer> blockOfToolCall = new HashMap<>();
    private boolean started;
    private int blocks;
    private int open = -1;
    private String openType;
    private String finishReason;
    private JsonNode usage;

    @Override
    public List<AnthropicDoor.Event> next(ChatChunk chunk) {
        List<AnthropicDoor.Event> events = new ArrayList<>(3);
        JsonNode json = chunk.json();
        if (!started) {
            started = true;
            ObjectNode message = AnthropicAnswerEncoder.head(json.path("id").asText(""), json.path("model").asText(""));
            message.putArray("content");
            message.putNull("stop_reason");
            message.putNull("stop_sequence");
            message.set("usage", AnthropicAnswerEncoder.usage(null));
            ObjectNode start = Json.newObject().put("type", "message_start");
            start.set("message", message);
            events.add(new AnthropicDoor.Event("message_start", start));
            events.add(new AnthropicDoor.Event("ping", Json.newObject().put("type", "ping")));
        }
        JsonNode choice = json.path("choices").path(0);
        JsonNode delta = choice.path("delta");
        thinking(chunk.thinking(), events);
        String text = delta.path("content").isTextual() ? delta.get("content").asText() : "";
        if (!text.isEmpty()) {
            if (!"text".equals(openType)) {
                startBlock(events, Json.newObject().put("type", "text").put("text", ""));
            }
            ObjectNode textDelta = Json.newObject().put("type", "text_delta").put("text", text);
            events.add(blockDelta(open, textDelta));
        }
        for (JsonNode call : delta.path("tool_calls")) {
            int index = call.path("index").asInt(blockOfToolCall.size());
            Integer block = blockOfToolCall.get(index);
            if (block == null) {
                ObjectNode toolUse = Json.newObject().put("type", "tool_use").put("id", call.path("id").asText(""))
                        .put("name", call.path("function").path("name").asText(""));
                toolUse.putObject("input");
                startBlock(events, toolUse);
                block = open;
                blockOfToolCall.put(index, block);
            }
            String arguments = call.path("function").path("arguments").asText("");
            if (!arguments.isEmpty()) {
                events.add(blockDelta(block, Json.newObject().put("type", "input_json_delta").put("partial_json", arguments)));
            }
        }
        if (choice.path("finish_reason").isTextual()) {
            finishReason = choice.get("finish_reason").asText();
        }
        if (json.path("usage").isObject()) {
            usage = json.get("usage");
        }
        return events;
    }

    @Override
    public List<AnthropicDoor.Event> end() {
        List<AnthropicDoor.Event> events = new ArrayList<>(3);
        closeBlock(events);
        ObjectNode delta = Json.newObject().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", AnthropicAnswerEncoder.stopReason(finishReason)).putNull("stop_sequence");
        delta.set("usage", AnthropicAnswerEncoder.usage(usage));
        events.add(new AnthropicDoor.Event("message_delta", delta));
        events.add(new AnthropicDoor.Event("message_stop", Json.newObject().put("type", "message_stop")));
        return events;
    }

    /**
     * A thinking block's start opens a block of its own; a piece of thinking goes to the open thinking block
     * (one is opened if none is).
     */
    private void thinking(JsonNode thinking, List<AnthropicDoor.Event> events) {
        if (thinking.isMissingNode()) {
            return;
        }
        JsonNode block = thinking.get("block");
        if (block != null) {
            startBlock(events, block);
        }
        JsonNode delta = thinking.get("delta");
        if (delta != null) {
            if (!"thinking".equals(openType)) {
                startBlock(events, Json.newObject().put("type", "thinking").put("thinking", "").put("signature", ""));
            }
            events.add(blockDelta(open, delta));
        }
    }

    private void startBlock(List<AnthropicDoor.Event> events, JsonNode block) {
        closeBlock(events);
        open = blocks++;
        openType = block.path("type").asText();
        ObjectNode start = Json.newObject().put("type", "content_block_start").put("index", open);
        start.set("content_block", block);
        events.add(new AnthropicDoor.Event("content_block_start", start));
    }

    private void closeBlock(List<AnthropicDoor.Event> events) {
        if (open >= 0) {
            events.add(new AnthropicDoor.Event("content_block_stop",
                    Json.newObject().put("type", "content_block_stop").put("index", open)));
            open = -1;
            openType = null;
        }
    }

    private static AnthropicDoor.Event blockDelta(int index, JsonNode delta) {
        ObjectNode event = Json.newObject().put("type", "content_block_delta").put("index", index);
        event.set("delta", delta);
        return new AnthropicDoor.Event("content_block_delta", event);
    }
}
