package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.stream.Failover;
import java.util.Locale;

/**
 * One streamed piece of an answer in the OpenAI {@code chat.completion.chunk} shape. It wraps the
 * provider's JSON, so fields Detour does not know reach the caller too. A piece of an Anthropic provider's
 * thinking rides in {@code choices[0].delta.x_anthropic} ({@link #thinking()}): it is not answer text, and
 * only the Anthropic door relays it.
 */
public final class ChatChunk {

    private static final String DETOUR = "x_detour";
    private static final String MALFORMED = "malformed";
    private static final String FAILOVER = "failover";

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
        ObjectNode json = Json.newObject();
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

    /**
     * A stand-in for a stream event that could not be read (not JSON, or not a chunk), so that a stream
     * route can skip and count it rather than fail the stream.
     */
    public static ChatChunk malformed(String detail) {
        ObjectNode json = Json.newObject();
        json.putArray("choices");
        json.putObject(DETOUR).put(MALFORMED, detail);
        return new ChatChunk(json);
    }

    /**
     * The marker of a failover: no choice, and {@code x_detour.failover} with the providers before and
     * after, the reason's kind, and the words the caller had.
     */
    public static ChatChunk marker(Failover failover) {
        ObjectNode json = Json.newObject();
        json.put("object", "chat.completion.chunk");
        json.putArray("choices");
        json.putObject(DETOUR).putObject(FAILOVER)
                .put("from", failover.from())
                .put("to", failover.to())
                .put("reason", failover.reason().kind().name().toLowerCase(Locale.ROOT))
                .put("words_sent", failover.sentWords())
                .put("restated_chars", failover.restated());
        return new ChatChunk(json);
    }

    /** Whether this chunk stands for an event that could not be read. */
    public boolean isMalformed() {
        return json.path(DETOUR).has(MALFORMED);
    }

    /** Why the event this chunk stands for could not be read, or null when it is an ordinary chunk. */
    public String malformation() {
        return Json.text(json.path(DETOUR), MALFORMED);
    }

    /** Whether this chunk marks a failover. */
    public boolean isMarker() {
        return json.path(DETOUR).has(FAILOVER);
    }

    /** A marker's failover ({@code from}, {@code to}, {@code reason}, {@code words_sent}, {@code restated_chars}); a missing node otherwise. */
    public JsonNode failover() {
        return json.path(DETOUR).path(FAILOVER);
    }

    /** The text this chunk adds, or null. */
    public String content() {
        return Json.text(json.path("choices").path(0).path("delta"), "content");
    }

    /**
     * The piece of a thinking block this chunk carries, as the Anthropic provider streamed it: {@code block},
     * a block's start ({@code {"type":"thinking","thinking":"","signature":""}} or {@code {"type":"redacted_thinking",
     * "data":…}}), or {@code delta}, a piece of the open one ({@code thinking_delta} or {@code signature_delta});
     * a missing node when it carries none.
     */
    public JsonNode thinking() {
        return json.path("choices").path(0).path("delta").path(ChatRequest.ANTHROPIC_FIELDS);
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

    /** A copy whose text is {@code content}. */
    public ChatChunk withContent(String content) {
        ObjectNode copy = json.deepCopy();
        ((ObjectNode) copy.path("choices").path(0).path("delta")).put("content", content);
        return new ChatChunk(copy);
    }

    /**
     * This chunk as part of the answer whose first chunk was {@code first}: the same {@code id},
     * {@code created} and {@code model}, and no second {@code role}. Itself when it already is; else a copy
     * that shares the parts it does not change.
     */
    public ChatChunk within(ChatChunk first) {
        ObjectNode head = first.json;
        JsonNode delta = json.path("choices").path(0).path("delta");
        boolean role = this != first && delta.has("role");
        if (this == first || !role && json.path("id").equals(head.path("id"))
                && json.path("created").equals(head.path("created")) && json.path("model").equals(head.path("model"))) {
            return this;
        }
        ObjectNode copy = json.objectNode().setAll(json);
        copy.set("id", head.get("id"));
        copy.set("created", head.get("created"));
        copy.set("model", head.get("model"));
        if (role) {
            ObjectNode choice = json.objectNode().setAll((ObjectNode) json.get("choices").get(0));
            ObjectNode roleless = json.objectNode().setAll((ObjectNode) delta);
            roleless.remove("role");
            choice.set("delta", roleless);
            ArrayNode choices = json.arrayNode().add(choice);
            json.get("choices").forEach(other -> {
                if (other != json.get("choices").get(0)) {
                    choices.add(other);
                }
            });
            copy.set("choices", choices);
        }
        return new ChatChunk(copy);
    }

    /** A copy without the {@code usage} this chunk reports. */
    public ChatChunk withoutUsage() {
        ObjectNode copy = json.objectNode().setAll(json);
        copy.remove("usage");
        return new ChatChunk(copy);
    }

    /** The chunk as JSON: a read-only view (change it through the {@code with…} methods, which copy). */
    public JsonNode json() {
        return json;
    }

    @Override
    public String toString() {
        if (isMalformed()) {
            return "malformed event: " + malformation();
        }
        return "ChatChunk[" + (content() != null ? '"' + content() + '"' : "") + (finishReason() != null ? " finish=" + finishReason() : "") + "]";
    }
}
