package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Decodes an Anthropic Messages request (what a client sends to the Anthropic door) into a canonical
 * request, as {@link AnthropicDoor#request} describes: the mirror image of {@link AnthropicRequestEncoder}.
 */
final class AnthropicRequestDecoder {

    /** The canonical field holding what only an Anthropic provider can use; other dialects drop it. */
    static final String EXTENSION = ChatRequest.ANTHROPIC_FIELDS;

    private static final String CACHE_CONTROL = "cache_control";

    private static final Set<String> TRANSLATED = Set.of("model", "max_tokens", "system", "messages", "tools",
            "tool_choice", "stop_sequences", "temperature", "top_p", "top_k", "metadata", "thinking", "stream");

    private AnthropicRequestDecoder() {
    }

    static ChatRequest request(ObjectNode in) {
        ObjectNode out = Json.newObject();
        JsonNode model = in.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw new InvalidChatException("model: Field required (a non-empty string)");
        }
        out.put("model", model.asText());
        JsonNode maxTokens = in.get("max_tokens");
        if (maxTokens == null || !maxTokens.isIntegralNumber() || !maxTokens.canConvertToInt() || maxTokens.asInt() < 1) {
            throw new InvalidChatException("max_tokens: Field required (a positive integer)");
        }
        out.put("max_tokens", maxTokens.asInt());
        ObjectNode extension = Json.newObject();
        ArrayNode messages = out.putArray("messages");

        JsonNode system = in.get("system");
        if (system != null && !system.isNull()) {
            messages.addObject().put("role", "system").put("content", systemText(system));
            if (system.isArray() && hasExtras(system)) {
                extension.set("system", system.deepCopy());
            }
        }
        JsonNode source = in.get("messages");
        if (source == null || !source.isArray() || source.isEmpty()) {
            throw new InvalidChatException("messages: Field required (a non-empty array)");
        }
        for (int i = 0; i < source.size(); i++) {
            message(source.get(i), "messages." + i, messages);
        }

        copy(in, "temperature", out, "temperature");
        copy(in, "top_p", out, "top_p");
        JsonNode stop = in.get("stop_sequences");
        if (stop != null && stop.isArray() && !stop.isEmpty()) {
            out.set("stop", stop.deepCopy());
        }
        JsonNode tools = in.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            out.set("tools", tools(tools));
        }
        toolChoice(in.get("tool_choice"), out);
        JsonNode stream = in.get("stream");
        if (stream != null && !stream.isNull()) {
            if (!stream.isBoolean()) {
                throw new InvalidChatException("stream: Input should be a valid boolean");
            }
            out.put("stream", stream.asBoolean());
        }
        JsonNode user = in.path("metadata").path("user_id");
        if (user.isTextual() && !user.asText().isEmpty()) {
            out.put("user", user.asText());
        }
        JsonNode topK = in.get("top_k");
        if (topK != null && topK.isNumber()) {
            extension.set("top_k", topK.deepCopy());
        }
        if (in.has("thinking")) {
            extension.set("thinking", in.get("thinking").deepCopy());
        }
        in.fields().forEachRemaining(field -> {
            if (!TRANSLATED.contains(field.getKey())) {
                extension.withObjectProperty("fields").set(field.getKey(), field.getValue().deepCopy());
            }
        });
        if (!extension.isEmpty()) {
            out.set(EXTENSION, extension);
        }
        return ChatRequest.of(out);
    }

    private static String systemText(JsonNode system) {
        if (system.isTextual()) {
            return system.asText();
        }
        if (!system.isArray()) {
            throw new InvalidChatException("system: Input should be a string or a list of text blocks");
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < system.size(); i++) {
            JsonNode block = system.get(i);
            if (!"text".equals(block.path("type").asText()) || !block.path("text").isTextual()) {
                throw new InvalidChatException("system." + i + ": Input should be a text block");
            }
            texts.add(block.get("text").asText());
        }
        return String.join("\n\n", texts);
    }

    /** Whether any block carries more than its type and text (e.g. {@code cache_control}). */
    private static boolean hasExtras(JsonNode blocks) {
        for (JsonNode block : blocks) {
            if (block.size() > 2) {
                return true;
            }
        }
        return false;
    }

    private static void message(JsonNode message, String where, ArrayNode out) {
        if (!message.isObject()) {
            throw new InvalidChatException(where + ": Input should be an object");
        }
        String role = message.path("role").asText();
        if (!"user".equals(role) && !"assistant".equals(role)) {
            throw new InvalidChatException(where + ".role: Input should be 'user' or 'assistant'");
        }
        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            throw new InvalidChatException(where + ".content: Field required");
        }
        if (content.isTextual()) {
            out.addObject().put("role", role).put("content", content.asText());
            return;
        }
        if (!content.isArray()) {
            throw new InvalidChatException(where + ".content: Input should be a string or a list of blocks");
        }
        if ("assistant".equals(role)) {
            assistant(content, where, out);
        } else {
            user(content, where, out);
        }
    }

    /**
     * An assistant turn: its text joined, its tool_use blocks as tool calls; when it holds thinking blocks or
     * {@code cache_control} marks, its blocks as sent too, for an Anthropic provider (thinking must go back
     * with its signature, in place, for a tool-use conversation to go on).
     */
    private static void assistant(JsonNode content, String where, ArrayNode out) {
        StringBuilder text = new StringBuilder();
        ArrayNode calls = Json.newArray();
        boolean verbatim = false;
        for (int j = 0; j < content.size(); j++) {
            JsonNode block = content.get(j);
            verbatim |= block.has(CACHE_CONTROL);
            String blockWhere = where + ".content." + j;
            switch (block.path("type").asText()) {
                case "text":
                    text.append(block.path("text").asText(""));
                    break;
                case "tool_use":
                    if (!block.path("id").isTextual() || !block.path("name").isTextual()) {
                        throw new InvalidChatException(blockWhere + ": a tool_use block needs a string 'id' and 'name'");
                    }
                    JsonNode input = block.path("input");
                    calls.addObject().put("id", block.get("id").asText()).put("type", "function")
                            .putObject("function").put("name", block.get("name").asText())
                            .put("arguments", input.isObject() ? input.toString() : "{}");
                    break;
                case "thinking":
                case "redacted_thinking":
                    verbatim = true;
                    break;
                default:
                    throw new InvalidChatException(blockWhere + ".type: '" + block.path("type").asText()
                            + "' is not supported in an assistant message");
            }
        }
        ObjectNode message = out.addObject().put("role", "assistant");
        if (text.length() > 0 || calls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
        if (verbatim) {
            message.putObject(EXTENSION).set("content", content.deepCopy());
        }
    }

    /** {@code part} with {@code block}'s {@code cache_control}, if it has one, kept for Anthropic providers. */
    private static ObjectNode cacheControl(JsonNode block, ObjectNode part) {
        JsonNode mark = block.get(CACHE_CONTROL);
        if (mark != null && !mark.isNull()) {
            part.putObject(EXTENSION).set(CACHE_CONTROL, mark.deepCopy());
        }
        return part;
    }

    /** A user message: its tool results first, as tool messages (they answer the previous turn), then the rest. */
    private static void user(JsonNode content, String where, ArrayNode out) {
        ArrayNode parts = Json.newArray();
        for (int j = 0; j < content.size(); j++) {
            JsonNode block = content.get(j);
            String blockWhere = where + ".content." + j;
            String type = block.path("type").asText();
            switch (type) {
                case "text":
                    if (!block.path("text").isTextual()) {
                        throw new InvalidChatException(blockWhere + ".text: Field required");
                    }
                    parts.add(cacheControl(block, Json.newObject().put("type", "text").put("text", block.get("text").asText())));
                    break;
                case "image":
                    parts.add(cacheControl(block, image(block, blockWhere)));
                    break;
                case "tool_result":
                    toolResult(block, blockWhere, out, parts);
                    break;
                default:
                    throw new InvalidChatException(blockWhere + ".type: '" + type + "' is not supported");
            }
        }
        if (!parts.isEmpty()) {
            out.addObject().put("role", "user").set("content", parts);
        }
    }

    private static void toolResult(JsonNode block, String where, ArrayNode out, ArrayNode parts) {
        if (!block.path("tool_use_id").isTextual()) {
            throw new InvalidChatException(where + ".tool_use_id: Field required");
        }
        JsonNode content = block.get("content");
        StringBuilder text = new StringBuilder();
        if (content != null && content.isTextual()) {
            text.append(content.asText());
        } else if (content != null && content.isArray()) {
            for (int k = 0; k < content.size(); k++) {
                JsonNode inner = content.get(k);
                String type = inner.path("type").asText();
                if ("text".equals(type)) {
                    text.append(text.length() == 0 ? "" : "\n").append(inner.path("text").asText(""));
                } else if ("image".equals(type)) {
                    parts.add(image(inner, where + ".content." + k));
                } else {
                    throw new InvalidChatException(where + ".content." + k + ".type: '" + type + "' is not supported");
                }
            }
        }
        String result = block.path("is_error").asBoolean(false) ? "Error: " + text : text.toString();
        cacheControl(block, out.addObject().put("role", "tool").put("tool_call_id", block.get("tool_use_id").asText())
                .put("content", result));
    }

    private static ObjectNode image(JsonNode block, String where) {
        JsonNode source = block.path("source");
        String type = source.path("type").asText();
        String url;
        if ("base64".equals(type) && source.path("media_type").isTextual() && source.path("data").isTextual()) {
            url = "data:" + source.get("media_type").asText() + ";base64," + source.get("data").asText();
        } else if ("url".equals(type) && source.path("url").isTextual()) {
            url = source.get("url").asText();
        } else {
            throw new InvalidChatException(where + ".source: an image needs a base64 source with media_type and data, or a url source");
        }
        ObjectNode part = Json.newObject().put("type", "image_url");
        part.putObject("image_url").put("url", url);
        return part;
    }

    private static ArrayNode tools(JsonNode tools) {
        ArrayNode out = Json.newArray();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String type = tool.path("type").asText("custom");
            if (!"custom".equals(type) || !tool.path("name").isTextual()) {
                throw new InvalidChatException("tools." + i + ": only client tools with a 'name' and an 'input_schema' are supported"
                        + (tool.has("type") ? " (type '" + type + "')" : ""));
            }
            ObjectNode function = cacheControl(tool, out.addObject().put("type", "function")).putObject("function");
            function.put("name", tool.get("name").asText());
            if (tool.path("description").isTextual()) {
                function.put("description", tool.get("description").asText());
            }
            JsonNode schema = tool.get("input_schema");
            if (schema != null && schema.isObject()) {
                function.set("parameters", schema.deepCopy());
            }
        }
        return out;
    }

    private static void toolChoice(JsonNode choice, ObjectNode out) {
        if (choice == null || choice.isNull()) {
            return;
        }
        String type = choice.path("type").asText();
        switch (type) {
            case "auto":
                out.put("tool_choice", "auto");
                break;
            case "any":
                out.put("tool_choice", "required");
                break;
            case "none":
                out.put("tool_choice", "none");
                break;
            case "tool":
                if (!choice.path("name").isTextual()) {
                    throw new InvalidChatException("tool_choice.name: Field required");
                }
                out.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.get("name").asText());
                break;
            default:
                throw new InvalidChatException("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
        }
        if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
            out.put("parallel_tool_calls", false);
        }
    }

    private static void copy(JsonNode in, String from, ObjectNode out, String to) {
        JsonNode value = in.get(from);
        if (value != null && value.isNumber()) {
            out.set(to, value.deepCopy());
        }
    }
}
