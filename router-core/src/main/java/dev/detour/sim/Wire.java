package dev.detour.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.internal.SseWriter;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.util.List;

/** One provider wire protocol: how it authenticates, reads requests and writes answers, streams and errors. */
abstract class Wire {

    /** A request refused before it reaches a behaviour. */
    record Rejection(int status, String message) {
    }

    /** What the simulator needs from a request body; {@code continuation} is null when it continues no answer. */
    record Request(String model, boolean stream, boolean includeUsage, int maxTokens, long promptTokens,
            Continuation continuation) {
    }

    /** A request that continues a cut answer: prefill (it ends with the assistant's prefix) or an instruction after it. */
    record Continuation(String prefix, boolean prefill) {
    }

    /** The answer one request gets, before any fault spoils it. */
    record Answer(String id, String model, long created, List<String> tokens, boolean cutByMaxTokens,
            long promptTokens, boolean includeUsage) {

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

    static String bearer(String apiKey) {
        return "Bearer " + apiKey;
    }
}
