package dev.detour.llm.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Chat messages (OpenAI's shape, Detour's canonical one) as OpenTelemetry's GenAI conventions record them
 * when content capture is on: {@code gen_ai.input.messages} and {@code gen_ai.output.messages}, JSON arrays
 * of {@code {"role", "parts": [...]}} (output messages with their {@code finish_reason}). A part is
 * {@code {"type": "text", "content"}}, {@code {"type": "tool_call", "id", "name", "arguments"}} or
 * {@code {"type": "tool_call_response", "id", "response"}}; any other content part keeps only its type (no
 * image or file data is copied). Internal.
 */
final class GenAiMessages {

    private GenAiMessages() {
    }

    /** {@code messages}, a chat request's, as {@code gen_ai.input.messages}. */
    static String input(ArrayNode messages) {
        ArrayNode out = Json.newArray();
        for (JsonNode message : messages) {
            out.add(message(message, Json.text(message, "role")));
        }
        return text(out);
    }

    /** An answer's {@code message} and finish reason as {@code gen_ai.output.messages}. */
    static String output(JsonNode message, String finishReason) {
        ObjectNode answer = message(message, "assistant");
        answer.put("finish_reason", finishReason);
        return text(Json.newArray().add(answer));
    }

    /** A streamed answer's text and finish reason as {@code gen_ai.output.messages}. */
    static String output(CharSequence text, String finishReason) {
        ObjectNode message = Json.newObject();
        message.put("content", text.toString());
        return output(message, finishReason);
    }

    private static ObjectNode message(JsonNode message, String role) {
        ObjectNode out = Json.newObject().put("role", role);
        ArrayNode parts = out.putArray("parts");
        JsonNode content = message.path("content");
        if ("tool".equals(role)) {
            ObjectNode response = parts.addObject().put("type", "tool_call_response")
                    .put("id", Json.text(message, "tool_call_id"));
            response.set("response", content.isTextual() ? content : content.deepCopy());
            return out;
        }
        if (content.isTextual()) {
            parts.addObject().put("type", "text").put("content", content.asText());
        } else if (content.isArray()) {
            for (JsonNode part : content) {
                String type = Json.text(part, "type");
                if ("text".equals(type)) {
                    parts.addObject().put("type", "text").put("content", Json.text(part, "text"));
                } else {
                    parts.addObject().put("type", type);
                }
            }
        }
        for (JsonNode call : message.path("tool_calls")) {
            JsonNode function = call.path("function");
            ObjectNode part = parts.addObject().put("type", "tool_call").put("id", Json.text(call, "id"))
                    .put("name", Json.text(function, "name"));
            part.set("arguments", arguments(function.path("arguments")));
        }
        return out;
    }

    /** A tool call's arguments: the JSON object they are, or the text as it came when it is not JSON. */
    private static JsonNode arguments(JsonNode arguments) {
        if (arguments.isTextual()) {
            try {
                return Json.parse(arguments.asText());
            } catch (IOException e) {
                return arguments;
            }
        }
        return arguments.deepCopy();
    }

    private static String text(JsonNode json) {
        return new String(Json.bytes(json), StandardCharsets.UTF_8);
    }
}
