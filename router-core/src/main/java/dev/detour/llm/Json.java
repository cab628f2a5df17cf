package dev.detour.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The one Jackson mapper of the LLM layer, kept private so that nobody reconfigures what every provider
 * uses, and the parsing that turns bad JSON into a clear error.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectReader STRICT = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    /** A new, empty JSON object. */
    public static ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    /** A new, empty JSON array. */
    public static ArrayNode newArray() {
        return MAPPER.createArrayNode();
    }

    /** Parses any JSON value (null for no content). */
    public static JsonNode parse(byte[] bytes) throws IOException {
        return MAPPER.readTree(bytes);
    }

    /** Parses any JSON value from text (null for no content). */
    public static JsonNode parse(String text) throws IOException {
        return MAPPER.readTree(text);
    }

    /** A reader that refuses anything after the first JSON value. */
    public static ObjectReader strictReader() {
        return STRICT;
    }

    /** Parses a JSON object (nothing may follow it), or throws {@link InvalidChatException} saying why. */
    public static ObjectNode object(byte[] bytes, String what) {
        JsonNode node;
        try {
            node = STRICT.readTree(bytes);
        } catch (IOException e) {
            throw new InvalidChatException(what + " is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw new InvalidChatException(what + " must be a JSON object");
        }
        return (ObjectNode) node;
    }

    /** Parses a JSON object from text. */
    public static ObjectNode object(String text, String what) {
        return object(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), what);
    }

    /** Serialises a node to UTF-8 bytes. */
    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    /** The first line of a (parser's) message, or {@code unreadable}. */
    public static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    /** {@code node}'s {@code field} as text, or null when it is missing or null. */
    public static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
