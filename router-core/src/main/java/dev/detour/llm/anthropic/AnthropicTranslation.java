package dev.detour.llm.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.HttpFailures;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.sse.SseEvent;
import dev.detour.llm.sse.SseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Translation between Detour's canonical chat shape (OpenAI chat completions) and the Anthropic
 * Messages API: requests one way, answers, stream events and errors the other.
 *
 * <p><b>Requests.</b> Mapped: {@code model}, {@code messages}, {@code max_completion_tokens} /
 * {@code max_tokens}, {@code temperature} (capped at 1, Anthropic's maximum), {@code top_p},
 * {@code top_k}, {@code stop}, {@code tools} (of type {@code function}), {@code tool_choice},
 * {@code parallel_tool_calls: false}, {@code stream} and {@code user}. System and developer messages
 * become the {@code system} prompt; tool messages become {@code tool_result} blocks; consecutive
 * messages of one role are merged, because Anthropic requires user and assistant to alternate.
 * Dropped, because Anthropic rejects fields it does not know and has no equivalent: every other field,
 * in particular {@code n}, {@code frequency_penalty}, {@code presence_penalty}, {@code logit_bias},
 * {@code logprobs}, {@code top_logprobs}, {@code seed}, {@code response_format},
 * {@code stream_options}, {@code store}, {@code metadata}, {@code service_tier},
 * {@code reasoning_effort}, {@code modalities}, {@code audio}, {@code prediction},
 * {@code web_search_options} and the legacy {@code functions} / {@code function_call}; and a message's
 * {@code name}. What cannot be translated without changing the request's meaning (an unknown role or
 * content part, a tool that is not a function, tool-call arguments that are not a JSON object, an
 * image URL that is neither {@code data:…;base64,} nor http(s)) is an {@link InvalidChatException}
 * naming the field.
 *
 * <p><b>Answers.</b> Text blocks are joined into {@code message.content}, {@code tool_use} blocks become
 * {@code message.tool_calls}, other blocks (thinking, server tools) are dropped; stop reasons map to
 * finish reasons ({@link #finishReason}); usage counts cached input tokens as prompt tokens, as OpenAI
 * does, and reports the cache reads as {@code prompt_tokens_details.cached_tokens}.
 *
 * <p><b>Streams.</b> See {@link #chunks(Flux)}.
 */
public final class AnthropicTranslation {

    /** The {@code anthropic-version} header value this translation is written for. */
    public static final String API_VERSION = "2023-06-01";

    private static final String DATA_URL_BASE64 = ";base64,";

    /** Marks {@code message_stop} among translated chunks; never leaves {@link #chunks(Flux)}. */
    private static final ChatChunk STOP = ChatChunk.of(Json.MAPPER.createObjectNode().set("choices", Json.MAPPER.createArrayNode()));

    private AnthropicTranslation() {
    }

    /**
     * The Anthropic Messages request for {@code request}.
     *
     * @param model            the model to ask for; null for the request's own
     * @param defaultMaxTokens {@code max_tokens} when the request sets neither {@code max_completion_tokens}
     *                         nor {@code max_tokens}
     * @throws InvalidChatException naming the field that has no Anthropic equivalent
     */
    public static ObjectNode request(ChatRequest request, String model, int defaultMaxTokens) {
        Objects.requireNonNull(request, "request");
        ObjectNode in = request.json();
        ObjectNode out = Json.MAPPER.createObjectNode();
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
        if (!system.isEmpty()) {
            out.put("system", String.join("\n\n", system));
        }

        JsonNode temperature = in.get("temperature");
        if (temperature != null && temperature.isNumber()) {
            out.put("temperature", Math.min(1.0, temperature.asDouble()));
        }
        copyNumber(in, "top_p", out, "top_p");
        copyNumber(in, "top_k", out, "top_k");
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
                toolChoice = Json.MAPPER.createObjectNode().put("type", "auto");
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
        return out;
    }

    private static int maxTokens(ObjectNode in, int defaultMaxTokens) {
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

    private static void copyNumber(ObjectNode in, String from, ObjectNode out, String to) {
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
            return Json.MAPPER.createArrayNode();
        }
        if (content.isTextual()) {
            return content.deepCopy();
        }
        if (!content.isArray()) {
            throw new InvalidChatException("'" + where + ".content' must be a string or an array of parts");
        }
        ArrayNode blocks = Json.MAPPER.createArrayNode();
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
                        blocks.addObject().put("type", "text").put("text", text.asText());
                    }
                    break;
                case "image_url":
                    if (!images) {
                        throw new InvalidChatException("'" + partWhere + "' is an image, which Anthropic accepts only from users");
                    }
                    blocks.add(image(part.get("image_url"), partWhere));
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
        ObjectNode block = Json.MAPPER.createObjectNode().put("type", "image");
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

    private static JsonNode assistantContent(JsonNode message, String where) {
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
            return Json.MAPPER.createObjectNode();
        }
        if (arguments.isObject()) {
            return arguments.deepCopy();
        }
        JsonNode parsed;
        try {
            parsed = arguments.isTextual() ? Json.MAPPER.readTree(arguments.asText()) : null;
        } catch (JsonProcessingException e) {
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
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        ObjectNode result = blocks.addObject().put("type", "tool_result").put("tool_use_id", id.asText());
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
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        if (!content.asText().isEmpty()) {
            blocks.addObject().put("type", "text").put("text", content.asText());
        }
        return blocks;
    }

    private static ArrayNode tools(JsonNode tools) {
        ArrayNode out = Json.MAPPER.createArrayNode();
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
        ObjectNode out = Json.MAPPER.createObjectNode();
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

    /**
     * The canonical answer for an Anthropic {@code message} object.
     *
     * @throws InvalidChatException when {@code message} is not a message (its {@code type} is not {@code message})
     */
    public static ChatResponse response(ObjectNode message) {
        Objects.requireNonNull(message, "message");
        String type = message.path("type").asText("");
        if (!"message".equals(type)) {
            throw new InvalidChatException("answer is not an Anthropic message (type '" + type + "')");
        }
        JsonNode content = message.path("content");
        if (!content.isArray()) {
            throw new InvalidChatException("answer has no 'content' array");
        }
        StringBuilder text = new StringBuilder();
        boolean hasText = false;
        ArrayNode calls = Json.MAPPER.createArrayNode();
        for (JsonNode block : content) {
            String blockType = block.path("type").asText();
            if ("text".equals(blockType)) {
                text.append(block.path("text").asText(""));
                hasText = true;
            } else if ("tool_use".equals(blockType)) {
                ObjectNode call = calls.addObject();
                call.put("id", block.path("id").asText());
                call.put("type", "function");
                call.putObject("function")
                        .put("name", block.path("name").asText())
                        .put("arguments", block.path("input").isObject() ? block.get("input").toString() : "{}");
            }
        }

        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("id", message.path("id").asText(""));
        json.put("object", "chat.completion");
        json.put("created", System.currentTimeMillis() / 1000);
        json.put("model", message.path("model").asText(""));
        ObjectNode choice = json.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode out = choice.putObject("message").put("role", "assistant");
        if (hasText || calls.isEmpty()) {
            out.put("content", text.toString());
        } else {
            out.putNull("content");
        }
        if (!calls.isEmpty()) {
            out.set("tool_calls", calls);
        }
        choice.put("finish_reason", finishReason(textOrNull(message.get("stop_reason"))));
        ObjectNode usage = usage(message.path("usage"), null);
        if (usage != null) {
            json.set("usage", usage);
        }
        return ChatResponse.of(json);
    }

    /**
     * The canonical finish reason for an Anthropic stop reason: {@code end_turn}, {@code stop_sequence}
     * and {@code pause_turn} are {@code stop}; {@code max_tokens} and {@code model_context_window_exceeded}
     * are {@code length}; {@code tool_use} is {@code tool_calls}; {@code refusal} is {@code content_filter};
     * null stays null and any other reason is {@code stop}.
     */
    public static String finishReason(String stopReason) {
        if (stopReason == null) {
            return null;
        }
        switch (stopReason) {
            case "max_tokens":
            case "model_context_window_exceeded":
                return "length";
            case "tool_use":
                return "tool_calls";
            case "refusal":
                return "content_filter";
            default:
                return "stop";
        }
    }

    /**
     * An OpenAI {@code usage} object for an Anthropic one; null when {@code usage} is not an object.
     * Input tokens, tokens written to the cache and tokens read from it are all prompt tokens.
     *
     * @param input where input counts are read when {@code usage} has none (a stream's {@code message_start}); may be null
     */
    private static ObjectNode usage(JsonNode usage, JsonNode input) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        JsonNode inputSource = usage.has("input_tokens") || input == null ? usage : input;
        long cached = inputSource.path("cache_read_input_tokens").asLong();
        long prompt = inputSource.path("input_tokens").asLong()
                + inputSource.path("cache_creation_input_tokens").asLong() + cached;
        long completion = usage.path("output_tokens").asLong();
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("prompt_tokens", prompt);
        out.put("completion_tokens", completion);
        out.put("total_tokens", prompt + completion);
        if (cached > 0) {
            out.putObject("prompt_tokens_details").put("cached_tokens", cached);
        }
        return out;
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    /**
     * The HTTP status Anthropic documents for an error type: {@code invalid_request_error} 400,
     * {@code authentication_error} 401, {@code billing_error} 402, {@code permission_error} 403,
     * {@code not_found_error} 404, {@code request_too_large} 413, {@code rate_limit_error} 429,
     * {@code api_error} 500, {@code timeout_error} 504, {@code overloaded_error} 529; any other 502.
     */
    public static int status(String errorType) {
        if (errorType == null) {
            return 502;
        }
        switch (errorType) {
            case "invalid_request_error":
                return 400;
            case "authentication_error":
                return 401;
            case "billing_error":
                return 402;
            case "permission_error":
                return 403;
            case "not_found_error":
                return 404;
            case "request_too_large":
                return 413;
            case "rate_limit_error":
                return 429;
            case "api_error":
                return 500;
            case "timeout_error":
                return 504;
            case "overloaded_error":
                return 529;
            default:
                return 502;
        }
    }

    /**
     * The failure an Anthropic error object ({@code {"type":"error","error":{"type":…,"message":…}}})
     * stands for, when it arrives where an answer or an event was expected; its status is
     * {@link #status(String)} of the error's type (400 for an error that names a context window or
     * content policy), and it is classified by {@link HttpFailures#failure}: e.g. an
     * {@code invalid_request_error} whose message starts {@code prompt is too long} is a context-window
     * failure. It keeps the error's type.
     */
    public static ProviderException error(JsonNode body) {
        JsonNode error = body.path("error");
        String type = error.path("type").isTextual() ? error.get("type").asText() : null;
        String message = error.path("message").isTextual() ? error.get("message").asText()
                : "error " + (type == null ? "without a type" : type) + " from Anthropic";
        UpstreamError upstream = UpstreamError.of(type, null, null);
        int status = status(type);
        if (HttpFailures.namedKind(upstream, message) != null && (status < 400 || status > 499)) {
            status = 400;
        }
        return new ProviderException(HttpFailures.failure(status, null, message, upstream));
    }

    /**
     * The canonical chunks of an Anthropic event stream. {@code message_start} gives a chunk with
     * {@code delta.role} and remembers the id, model and input usage; text deltas become
     * {@code delta.content}; a {@code tool_use} block's start and its {@code input_json_delta}s become
     * {@code delta.tool_calls}, indexed by tool call (not by content block); {@code message_delta} gives
     * a chunk with the finish reason, then a usage-only chunk (no choices); {@code message_stop}
     * completes the stream. {@code ping}, {@code content_block_stop}, other delta types (thinking,
     * signatures, citations) and unknown events are ignored.
     *
     * <p>An {@code error} event fails the stream with {@link #error(JsonNode)}; data that is not a JSON
     * object becomes a {@linkplain ChatChunk#malformed malformed} chunk (a stream that then ends
     * before {@code message_stop} is a malformed answer); an end before {@code message_stop}, or an
     * {@link SseException} from the events (a body cut inside an event), with a
     * {@link dev.detour.core.FailureKind#CONNECTION} failure. Each subscription translates afresh.
     */
    public static Flux<ChatChunk> chunks(Flux<SseEvent> events) {
        Objects.requireNonNull(events, "events");
        return Flux.defer(() -> {
            StreamState state = new StreamState();
            boolean[] stopped = new boolean[1];
            ChatChunk[] malformed = new ChatChunk[1];
            return events
                    .onErrorMap(SseException.class, e -> new ProviderException(Failure.connection(e.getMessage())))
                    .concatMapIterable(state::translate)
                    .<ChatChunk>handle((chunk, sink) -> {
                        if (chunk == STOP) {
                            stopped[0] = true;
                        } else if (!stopped[0]) {
                            if (chunk.isMalformed()) {
                                malformed[0] = chunk;
                            }
                            sink.next(chunk);
                        }
                    })
                    .concatWith(Mono.defer(() -> stopped[0] ? Mono.empty()
                            : Mono.error(HttpFailures.cut("stream ended before message_stop", malformed[0]))));
        });
    }

    /** The translation state of one stream: what {@code message_start} said and the tool calls seen. */
    private static final class StreamState {

        private final long created = System.currentTimeMillis() / 1000;
        private final Map<Integer, Integer> toolCallOfBlock = new HashMap<>();
        private String id = "";
        private String model = "";
        private JsonNode inputUsage;

        List<ChatChunk> translate(SseEvent event) {
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
                    return List.of(STOP);
                case "error":
                    throw error(data);
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
            return List.of();
        }

        private ChatChunk text(String text) {
            ObjectNode chunk = chunk();
            delta(chunk).put("content", text);
            return ChatChunk.of(chunk);
        }

        private ObjectNode chunk() {
            ObjectNode json = Json.MAPPER.createObjectNode();
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
}
