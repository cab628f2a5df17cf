package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A complete chat answer in the OpenAI {@code chat.completion} shape. It wraps the provider's JSON,
 * so fields Detour does not know reach the caller too. An answer from an Anthropic provider that thought
 * carries its thinking blocks in {@code choices[0].message.x_anthropic.thinking} ({@link #thinking()}),
 * which only the Anthropic door relays.
 */
public final class ChatResponse {

    private final ObjectNode json;
    private final byte[] body;

    private ChatResponse(ObjectNode json, byte[] body) {
        this.json = json;
        this.body = body;
    }

    /** Wraps an OpenAI {@code chat.completion} object; it must have a {@code choices} array. */
    public static ChatResponse of(ObjectNode json) {
        return of(json, null);
    }

    /**
     * Wraps an OpenAI {@code chat.completion} object read from {@code body}, its JSON text as received (null when
     * there is none), which {@link #bytes()} then gives as it is instead of writing the object again.
     */
    public static ChatResponse of(ObjectNode json, byte[] body) {
        if (!json.path("choices").isArray()) {
            throw new InvalidChatException("answer has no 'choices' array");
        }
        return new ChatResponse(json, body);
    }

    /** An answer with one assistant message. */
    public static ChatResponse of(String id, String model, String content, String finishReason, Usage usage) {
        ObjectNode json = Json.newObject();
        json.put("id", id);
        json.put("object", "chat.completion");
        json.put("created", System.currentTimeMillis() / 1000);
        json.put("model", model);
        ObjectNode choice = json.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        choice.put("finish_reason", finishReason);
        if (usage != null) {
            json.set("usage", usage.toJson());
        }
        return new ChatResponse(json, null);
    }

    /**
     * The answer as JSON text: the bytes it was read from when it has them (not to be changed), else
     * {@link #json()} written.
     */
    public byte[] bytes() {
        return body != null ? body : Json.bytes(json);
    }

    /** The model that answered. */
    public String model() {
        return Json.text(json, "model");
    }

    /** The first choice's text, or null when it has none (e.g. only tool calls). */
    public String content() {
        return Json.text(json.path("choices").path(0).path("message"), "content");
    }

    /** The first choice's finish reason ({@code stop}, {@code length}, {@code tool_calls}, {@code content_filter}), or null. */
    public String finishReason() {
        return Json.text(json.path("choices").path(0), "finish_reason");
    }

    /** Whether the first choice calls tools. */
    public boolean hasToolCalls() {
        JsonNode calls = json.path("choices").path(0).path("message").path("tool_calls");
        return calls.isArray() && !calls.isEmpty();
    }

    /** The first choice's token log-probabilities ({@code logprobs.content}), or a missing node. */
    public JsonNode logprobs() {
        return json.path("choices").path(0).path("logprobs").path("content");
    }

    /**
     * The first choice's thinking blocks, as the Anthropic provider sent them ({@code thinking} with its
     * {@code signature}, {@code redacted_thinking} with its {@code data}), in order; a missing node when it has none.
     */
    public JsonNode thinking() {
        return json.path("choices").path(0).path("message").path(ChatRequest.ANTHROPIC_FIELDS).path("thinking");
    }

    /** A copy without the choices' {@link ChatRequest#ANTHROPIC_FIELDS} (thinking blocks); itself when it has none. */
    public ChatResponse withoutAnthropicFields() {
        boolean any = false;
        for (JsonNode choice : json.path("choices")) {
            any |= choice.path("message").has(ChatRequest.ANTHROPIC_FIELDS);
        }
        if (!any) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        for (JsonNode choice : copy.path("choices")) {
            if (choice.path("message").isObject()) {
                ((ObjectNode) choice.get("message")).remove(ChatRequest.ANTHROPIC_FIELDS);
            }
        }
        return new ChatResponse(copy, null);
    }

    /** Tokens used, or null when the provider did not say. */
    public Usage usage() {
        return Usage.of(json.get("usage"));
    }

    /** The answer as JSON: a read-only view (change it through the {@code with…} methods, which copy). */
    public JsonNode json() {
        return json;
    }

    @Override
    public String toString() {
        return "ChatResponse[model=" + model() + ", finish=" + finishReason() + "]";
    }
}
