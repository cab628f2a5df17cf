package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Tokens a call used, in the OpenAI shape.
 *
 * @param promptTokens     tokens of the request
 * @param completionTokens tokens of the answer
 */
public record Usage(long promptTokens, long completionTokens) {

    /** No tokens. */
    public static final Usage NONE = new Usage(0, 0);

    /** Both together. */
    public long totalTokens() {
        return promptTokens + completionTokens;
    }

    /** The sum of this and {@code other}, e.g. over the attempts of a stream that failed over. */
    public Usage plus(Usage other) {
        return other == null ? this : new Usage(promptTokens + other.promptTokens, completionTokens + other.completionTokens);
    }

    /** Reads an OpenAI {@code usage} object; null when absent. */
    public static Usage of(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        return new Usage(usage.path("prompt_tokens").asLong(), usage.path("completion_tokens").asLong());
    }

    /** This usage as an OpenAI {@code usage} object. */
    public ObjectNode toJson() {
        ObjectNode node = Json.newObject();
        node.put("prompt_tokens", promptTokens);
        node.put("completion_tokens", completionTokens);
        node.put("total_tokens", totalTokens());
        return node;
    }
}
