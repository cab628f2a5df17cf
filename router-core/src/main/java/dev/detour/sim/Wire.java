package dev.detour.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.internal.SseWriter;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** One provider wire protocol: how it authenticates, reads requests and writes answers, streams and errors. */
abstract class Wire {

    /** A request refused before it reaches a behaviour. */
    record Rejection(int status, String message) {
    }

    /**
     * What the simulator needs from a request body; {@code continuation} is null when it continues no answer,
     * {@code tools} the names of the tools offered, {@code thinking} whether extended thinking is on.
     */
    record Request(String model, boolean stream, boolean includeUsage, int maxTokens, long promptTokens,
            Continuation continuation, Set<String> tools, boolean thinking) {
    }

    /** A tool call an answer makes: its id and the tool's name; its arguments are the answer's tokens. */
    record ToolUse(String id, String name) {
    }

    /** A request that continues a cut answer: prefill (it ends with the assistant's prefix) or an instruction after it. */
    record Continuation(String prefix, boolean prefill) {
    }

    /**
     * The answer one request gets, before any fault spoils it: text, or a tool call ({@code toolUse} not null)
     * whose arguments are the tokens; {@code thinking} the thinking before it, in tokens (empty for none).
     */
    record Answer(String id, String model, long created, List<String> tokens, boolean cutByMaxTokens,
            long promptTokens, boolean includeUsage, ToolUse toolUse, List<String> thinking) {

        long outputTokens() {
            return tokens.size() + thinking.size();
        }

        String text() {
            return String.join("", tokens);
        }
    }

    /** Stream events, written into a buffer when they are sent ({@link dev.detour.llm.sse.SseWriter}). */
    @FunctionalInterface
    interface Events {

        /** No events. */
        Events NONE = out -> { };

        void writeTo(ByteBuf out);

        /** The data event {@code data} (null {@code name} for none). */
        static Events event(String name, byte[] data) {
            return out -> SseWriter.event(out, name, data);
        }

        /** {@code events}, one after the other. */
        static Events all(Events... events) {
            return out -> {
                for (Events each : events) {
                    each.writeTo(out);
                }
            };
        }
    }

    /** The prefix of tool call ids. */
    abstract String toolIdPrefix();

    /** The path this protocol answers on. */
    abstract String path();

    /** The prefix of answer ids. */
    abstract String idPrefix();

    /** Null when the request may go on; otherwise why not. Only checked when the simulator has a key. */
    abstract Rejection authenticate(HttpHeaders headers, String apiKey);

    /** Reads a request body ({@code json} is null when {@code body} is not a JSON object). */
    abstract Request read(byte[] body, ObjectNode json);

    /** The error body for {@code status}. */
    abstract byte[] error(int status, String message);

    /** A complete, not streamed answer. */
    abstract byte[] answer(Answer answer);

    /** The events a stream sends before its first token; may be {@link Events#NONE}. */
    abstract Events preamble(Answer answer);

    /** The event carrying token {@code index}. */
    abstract Events token(Answer answer, int index);

    /** The events after the last token, up to the protocol's end of stream. */
    abstract Events finish(Answer answer);

    /** An error event inside a stream. */
    abstract Events streamError(int status, String message);

    /** An event of the stream whose data is cut short, so not JSON. */
    abstract Events malformedEvent(Answer answer);

    /** The 400 for a prefill request to a model that refuses prefill. */
    abstract byte[] prefillError();

    /** The 400 for a prompt of {@code prompt} tokens, more than a context window of {@code window} tokens. */
    abstract byte[] contextWindowError(long window, long prompt);

    /** The 400 for a request refused by the content policy. */
    abstract byte[] contentPolicyError();

    /**
     * The continuation {@code messages} ask for: prefill when the last message is the assistant's, an
     * instruction when it is the user's right after an assistant message with text; null otherwise.
     */
    static Continuation continuation(JsonNode messages) {
        int last = messages.size() - 1;
        JsonNode message = messages.get(last);
        String role = message.path("role").asText();
        if (role.equals("assistant")) {
            return new Continuation(text(message.get("content")), true);
        }
        if (!role.equals("user") || last == 0 || !messages.get(last - 1).path("role").asText().equals("assistant")) {
            return null;
        }
        String prefix = text(messages.get(last - 1).get("content"));
        return prefix.isEmpty() ? null : new Continuation(prefix, false);
    }

    /** The text of a message's content: a string, or the {@code text} of its parts joined; empty when it has none. */
    static String text(JsonNode content) {
        if (content == null) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        if (content.isArray()) {
            for (JsonNode part : content) {
                JsonNode value = part.get("text");
                if (value != null && value.isTextual()) {
                    text.append(value.asText());
                }
            }
        }
        return text.toString();
    }

    /** A JSON object, or null when {@code body} is not one. */
    static ObjectNode lenientObject(byte[] body) {
        try {
            JsonNode node = Json.parse(body);
            return node instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The body as a JSON object, or the parser's precise complaint. */
    static ObjectNode object(byte[] body, ObjectNode json) {
        return json != null ? json : Json.object(body, "request body");
    }

    /** Checks an optional maximum of tokens; 0 when absent. */
    static int maxTokens(JsonNode json, String field, boolean required) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new InvalidChatException("'" + field + "' is required and must be a positive integer");
            }
            return 0;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 1) {
            throw new InvalidChatException("'" + field + "' must be a positive integer, was " + value);
        }
        return value.intValue();
    }

    /** Words in a message's content: a string, or an array of parts with {@code text}. */
    static long words(JsonNode content) {
        if (content == null) {
            return 0;
        }
        if (content.isTextual()) {
            return Behaviour.tokenize(content.asText().strip()).size();
        }
        long words = 0;
        if (content.isArray()) {
            for (JsonNode part : content) {
                words += words(part.get("text"));
            }
        }
        return words;
    }

    /** The tools a request offers: the names {@code field} gives in each of {@code tools}. */
    static Set<String> toolNames(JsonNode tools, String... field) {
        if (tools == null || !tools.isArray() || tools.isEmpty()) {
            return Set.of();
        }
        Set<String> names = new HashSet<>();
        for (JsonNode tool : tools) {
            JsonNode name = tool;
            for (String step : field) {
                name = name.path(step);
            }
            if (name.isTextual()) {
                names.add(name.asText());
            }
        }
        return names;
    }

    /** Tool-call arguments as streamed: pieces of up to eight characters. */
    static List<String> fragments(String arguments) {
        List<String> pieces = new ArrayList<>();
        for (int from = 0; from < arguments.length(); ) {
            int to = Math.min(arguments.length(), from + 8);
            if (to < arguments.length() && Character.isHighSurrogate(arguments.charAt(to - 1))) {
                to++;
            }
            pieces.add(arguments.substring(from, to));
            from = to;
        }
        return pieces;
    }

    static String bearer(String apiKey) {
        return "Bearer " + apiKey;
    }
}
