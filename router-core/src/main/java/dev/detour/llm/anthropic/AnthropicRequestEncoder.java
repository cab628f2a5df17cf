package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Encodes canonical requests as Anthropic Messages requests, as {@link AnthropicTranslation} describes. */
final class AnthropicRequestEncoder {

    private static final String DATA_URL_BASE64 = ";base64,";

    private AnthropicRequestEncoder() {
    }

    /** The Messages request for {@code request}; see {@link AnthropicTranslation#request}. */
    static ObjectNode request(ChatRequest request, String model, int defaultMaxTokens) {
        Objects.requireNonNull(request, "request");
        JsonNode in = request.json();
        ObjectNode out = Json.newObject();
        out.put("model", model != null ? model : request.model());
        out.put("max_tokens", maxTokens(in, defaultMaxTokens));

        List<String> system = new ArrayList<>();
        ArrayNode messages = out.putArray("messages");
        ArrayNode source = request.messages();
        for (int i = 0; i < source.size(); i++) {
            JsonNode message = source.get(i);
            String role = message.get("role").asText();
            String where = "messages[" + i + "]";
            switch (role) {
                case "system":
                case "developer":
                    String text = systemText(message.get("content"), where);
                    if (!text.isEmpty()) {
                        system.add(text);
                    }
                    break;
                case "user":
                    append(messages, "user", content(message.get("content"), where, true));
                    break;
                case "assistant":
                    append(messages, "assistant", assistantContent(message, where));
                    break;
                case "tool":
                    append(messages, "user", toolResult(message, where));
                    break;
                default:
                    throw new InvalidChatException("'" + where + ".role' '" + role + "' has no Anthropic equivalent");
            }
        }
        if (messages.isEmpty()) {
            throw new InvalidChatException("'messages' has no user or assistant message; Anthropic needs at least one");
        }
        JsonNode extension = in.path(ChatRequest.ANTHROPIC_FIELDS);
        if (extension.path("system").isArray()) {
            out.set("system", extension.get("system").deepCopy());
        } else if (!system.isEmpty()) {
            out.put("system", String.join("\n\n", system));
        }

        JsonNode temperature = in.get("temperature");
        if (temperature != null && temperature.isNumber()) {
            out.put("temperature", Math.min(1.0, temperature.asDouble()));
        }
        copyNumber(in, "top_p", out, "top_p");
        copyNumber(in, "top_k", out, "top_k");
        copyNumber(extension, "top_k", out, "top_k");
        if (extension.has("thinking") && !toolLoopBegunWithoutThinking(messages)) {
            out.set("thinking", extension.get("thinking").deepCopy());
        }
        JsonNode stop = in.get("stop");
        if (stop != null && stop.isTextual()) {
            out.putArray("stop_sequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            out.set("stop_sequences", stop.deepCopy());
        }
        JsonNode tools = in.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            out.set("tools", tools(tools));
        }
        ObjectNode toolChoice = toolChoice(in.get("tool_choice"));
        if (in.path("parallel_tool_calls").isBoolean() && !in.get("parallel_tool_calls").asBoolean()
                && out.has("tools")) {
            if (toolChoice == null) {
                toolChoice = Json.newObject().put("type", "auto");
            }
            if (!"none".equals(toolChoice.path("type").asText())) {
                toolChoice.put("disable_parallel_tool_use", true);
            }
        }
        if (toolChoice != null) {
            out.set("tool_choice", toolChoice);
        }
        if (request.stream()) {
            out.put("stream", true);
        }
        JsonNode user = in.get("user");
        if (user != null && user.isTextual() && !user.asText().isEmpty()) {
            out.putObject("metadata").put("user_id", user.asText());
        }
        extension.path("fields").fields().forEachRemaining(field -> {
            if (!out.has(field.getKey())) {
                out.set(field.getKey(), field.getValue().deepCopy());
            }
        });
        return out;
    }

    /**
     * Whether the request answers tool results in an assistant turn (a tool-use loop) whose first message did
     * not think (one an OpenAI-compatible provider served): Anthropic keeps one thinking configuration per
     * turn and refuses thinking for it, so the loop goes on without.
     */
    private static boolean toolLoopBegunWithoutThinking(ArrayNode messages) {
        int turn = -1;
        for (int i = messages.size() - 1; i >= 1 && toolResults(messages.get(i))
                && "assistant".equals(messages.get(i - 1).path("role").asText()); i -= 2) {
            turn = i - 1;
        }
        if (turn < 0) {
            return false;
        }
        String first = messages.get(turn).path("content").path(0).path("type").asText();
        return !"thinking".equals(first) && !"redacted_thinking".equals(first);
    }

    private static boolean toolResults(JsonNode message) {
        return "user".equals(message.path("role").asText())
                && "tool_result".equals(message.path("content").path(0).path("type").asText());
    }

    private static int maxTokens(JsonNode in, int defaultMaxTokens) {
        for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
            JsonNode value = in.get(field);
            if (value != null && !value.isNull()) {
                if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
                    throw new InvalidChatException("'" + field + "' must be a positive integer, was " + value);
                }
                return value.asInt();
            }
        }
        return defaultMaxTokens;
    }

    private static void copyNumber(JsonNode in, String from, ObjectNode out, String to) {
        JsonNode value = in.get(from);
        if (value != null && value.isNumber()) {
            out.set(to, value.deepCopy());
        }
    }

    private static String systemText(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            List<String> texts = new ArrayList<>();
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw new InvalidChatException("'" + where + ".content[" + j + "]' of a system message must be a text part");
                }
                texts.add(part.get("text").asText());
            }
            return String.join("\n\n", texts);
        }
        throw new InvalidChatException("'" + where + ".content' must be a string or an array of parts");
    }

    /** A user or assistant message's content: a string stays a string, parts become blocks. */
    private static JsonNode content(JsonNode content, String where, boolean images) {
        if (content == null || content.isNull()) {
            return Json.newArray();
        }
        if (content.isTextual()) {
            return content.deepCopy();
        }
        if (!content.isArray()) {
            throw new InvalidChatException("'" + where + ".content' must be a string or an array of parts");
        }
        ArrayNode blocks = Json.newArray();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String partWhere = where + ".content[" + j + "]";
            String type = part.path("type").asText();
            switch (type) {
                case "text":
                case "refusal":
                    JsonNode text = part.get(type);
                    if (text == null || !text.isTextual()) {
                        throw new InvalidChatException("'" + partWhere + "." + type + "' must be a string");
                    }
                    if (!text.asText().isEmpty()) {
                        blocks.add(cacheControl(part, Json.newObject().put("type", "text").put("text", text.asText())));
                    }
                    break;
                case "image_url":
                    if (!images) {
                        throw new InvalidChatException("'" + partWhere + "' is an image, which Anthropic accepts only from users");
                    }
                    blocks.add(cacheControl(part, image(part.get("image_url"), partWhere)));
                    break;
                default:
                    throw new InvalidChatException("'" + partWhere + ".type' '" + type + "' has no Anthropic equivalent");
            }
        }
        return blocks;
    }

    private static ObjectNode image(JsonNode imageUrl, String where) {
        JsonNode urlNode = imageUrl != null && imageUrl.isObject() ? imageUrl.get("url") : imageUrl;
        if (urlNode == null || !urlNode.isTextual()) {
            throw new InvalidChatException("'" + where + ".image_url.url' must be a string");
        }
        String url = urlNode.asText();
        ObjectNode block = Json.newObject().put("type", "image");
        ObjectNode source = block.putObject("source");
        if (url.startsWith("data:")) {
            int base64 = url.indexOf(DATA_URL_BASE64);
            int comma = url.indexOf(',');
            if (base64 < 0 || comma != base64 + DATA_URL_BASE64.length() - 1 || base64 == "data:".length()) {
                throw new InvalidChatException("'" + where + ".image_url.url' must be a base64 data URL with a media type");
            }
            source.put("type", "base64")
                    .put("media_type", url.substring("data:".length(), base64))
                    .put("data", url.substring(comma + 1));
        } else if (url.startsWith("https://") || url.startsWith("http://")) {
            source.put("type", "url").put("url", url);
        } else {
            throw new InvalidChatException("'" + where + ".image_url.url' must be a data: or http(s) URL");
        }
        return block;
    }

    /** {@code block} with the {@code cache_control} the Anthropic door kept in {@code canonical}, if any. */
    private static ObjectNode cacheControl(JsonNode canonical, ObjectNode block) {
        JsonNode mark = canonical.path(ChatRequest.ANTHROPIC_FIELDS).get("cache_control");
        if (mark != null) {
            block.set("cache_control", mark.deepCopy());
        }
        return block;
    }

    /** An assistant message's blocks: as the Anthropic door received them when it kept them (thinking), else translated. */
    private static JsonNode assistantContent(JsonNode message, String where) {
        JsonNode kept = message.path(ChatRequest.ANTHROPIC_FIELDS).get("content");
        if (kept != null && kept.isArray()) {
            return kept.deepCopy();
        }
        JsonNode content = content(message.get("content"), where, false);
        JsonNode calls = message.get("tool_calls");
        if (calls == null || calls.isNull() || calls.isArray() && calls.isEmpty()) {
            return content;
        }
        if (!calls.isArray()) {
            throw new InvalidChatException("'" + where + ".tool_calls' must be an array");
        }
        ArrayNode blocks = blocks(content);
        for (int j = 0; j < calls.size(); j++) {
            JsonNode call = calls.get(j);
            String callWhere = where + ".tool_calls[" + j + "]";
            JsonNode function = call.path("function");
            if (!call.path("id").isTextual() || !function.path("name").isTextual()) {
                throw new InvalidChatException("'" + callWhere + "' needs a string 'id' and 'function.name'");
            }
            blocks.addObject()
                    .put("type", "tool_use")
                    .put("id", call.get("id").asText())
                    .put("name", function.get("name").asText())
                    .set("input", arguments(function.get("arguments"), callWhere + ".function.arguments"));
        }
        return blocks;
    }

    private static JsonNode arguments(JsonNode arguments, String where) {
        if (arguments == null || arguments.isNull() || arguments.isTextual() && arguments.asText().isBlank()) {
            return Json.newObject();
        }
        if (arguments.isObject()) {
            return arguments.deepCopy();
        }
        JsonNode parsed;
        try {
            parsed = arguments.isTextual() ? Json.parse(arguments.asText()) : null;
        } catch (IOException e) {
            parsed = null;
        }
        if (parsed == null || !parsed.isObject()) {
            throw new InvalidChatException("'" + where + "' must be a JSON object in a string");
        }
        return parsed;
    }

    private static JsonNode toolResult(JsonNode message, String where) {
        JsonNode id = message.get("tool_call_id");
        if (id == null || !id.isTextual()) {
            throw new InvalidChatException("'" + where + ".tool_call_id' is required and must be a string");
        }
        ArrayNode blocks = Json.newArray();
        ObjectNode result = cacheControl(message, blocks.addObject().put("type", "tool_result").put("tool_use_id", id.asText()));
        JsonNode content = message.get("content");
        if (content != null && !content.isNull()) {
            result.set("content", content(content, where, true));
        }
        return blocks;
    }

    /** Adds a message, merging it into the previous one when both have {@code role}. */
    private static void append(ArrayNode messages, String role, JsonNode content) {
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last != null && role.equals(last.get("role").asText())) {
            ArrayNode merged = blocks(last.get("content"));
            merged.addAll(blocks(content));
            ((ObjectNode) last).set("content", merged);
            return;
        }
        messages.addObject().put("role", role).set("content", content);
    }

    /** Content as a list of blocks: a string becomes one text block, or none when empty. */
    private static ArrayNode blocks(JsonNode content) {
        if (content.isArray()) {
            return (ArrayNode) content;
        }
        ArrayNode blocks = Json.newArray();
        if (!content.asText().isEmpty()) {
            blocks.addObject().put("type", "text").put("text", content.asText());
        }
        return blocks;
    }

    private static ArrayNode tools(JsonNode tools) {
        ArrayNode out = Json.newArray();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String type = tool.path("type").asText();
            JsonNode function = tool.path("function");
            if (!"function".equals(type)) {
                throw new InvalidChatException("'tools[" + i + "].type' '" + type + "' has no Anthropic equivalent");
            }
            if (!function.path("name").isTextual()) {
                throw new InvalidChatException("'tools[" + i + "].function.name' is required and must be a string");
            }
            ObjectNode translated = out.addObject().put("name", function.get("name").asText());
            cacheControl(tool, translated);
            if (function.path("description").isTextual()) {
                translated.put("description", function.get("description").asText());
            }
            JsonNode parameters = function.get("parameters");
            if (parameters != null && parameters.isObject()) {
                translated.set("input_schema", parameters.deepCopy());
            } else {
                translated.putObject("input_schema").put("type", "object").putObject("properties");
            }
        }
        return out;
    }

    private static ObjectNode toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        ObjectNode out = Json.newObject();
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "auto":
                    return out.put("type", "auto");
                case "none":
                    return out.put("type", "none");
                case "required":
                    return out.put("type", "any");
                default:
                    throw new InvalidChatException("'tool_choice' '" + choice.asText() + "' has no Anthropic equivalent");
            }
        }
        JsonNode name = choice.path("function").path("name");
        if (!name.isTextual()) {
            throw new InvalidChatException("'tool_choice' must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":…}}");
        }
        return out.put("type", "tool").put("name", name.asText());
    }
}
