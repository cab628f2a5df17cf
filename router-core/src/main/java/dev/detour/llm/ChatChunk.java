package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One streamed piece of an answer in the OpenAI {@code chat.completion.chunk} shape. It wraps the
 * provider's JSON, so fields Detour does not know reach the caller too.
 */
public final class ChatChunk {

    private final ObjectNode json;

    private ChatChunk(ObjectNode json) {
        this.json = json;
    }

    /** Wraps an OpenAI {@code chat.completion.chunk} object. */
    public static ChatChunk of(ObjectNode json) {
        if (!json.path("choices").isArray()) {
            throw new InvalidChatException("chunk has no 'choices' array");
        }
        return new ChatChunk(json);
    }

    /** A chunk carrying {@code content} (may be null), a finish reason (may be null) and usage (may be null). */
    public static ChatChunk of(String id, String model, String content, String finishReason, Usage usage) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("id", id);
        json.put("object", "chat.completion.chunk");
        json.put("created", System.currentTimeMillis() / 1000);
        json.put("model", model);
        ObjectNode choice = json.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (content != null) {
            delta.put("content", content);
        }
        choice.put("finish_reason", finishReason);
        if (usage != null) {
            json.set("usage", usage.toJson());
        }
        return new ChatChunk(json);
    }

    /** The text this chunk adds, or null. */
    public String content() {
        return Json.text(json.path("choices").path(0).path("delta"), "content");
    }

    /** The finish reason, on the chunk that ends the answer; null otherwise. */
    public String finishReason() {
        return Json.text(json.path("choices").path(0), "finish_reason");
    }

    /** Whether this chunk is part of a tool call. */
    public boolean inToolCall() {
        JsonNode calls = json.path("choices").path(0).path("delta").path("tool_calls");
        return calls.isArray() && !calls.isEmpty();
    }

    /** Tokens used, on the chunk that reports them; null otherwise. */
    public Usage usage() {
        return Usage.of(json.get("usage"));
    }

    /** The chunk as JSON (do not change it). */
    public ObjectNode json() {
        return json;
    }

    @Override
    public String toString() {
        return "ChatChunk[" + (content() != null ? '"' + content() + '"' : "") + (finishReason() != null ? " finish=" + finishReason() : "") + "]";
    }
}
