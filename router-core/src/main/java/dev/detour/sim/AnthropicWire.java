package dev.detour.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/** Anthropic messages: {@code POST /v1/messages}, a {@code message} object and its named stream events. */
final class AnthropicWire extends Wire {

    static final AnthropicWire INSTANCE = new AnthropicWire();

    private static final Events MALFORMED = Events.event("content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
                    .getBytes(StandardCharsets.UTF_8));

    private AnthropicWire() {
    }

    @Override
    String path() {
        return "/v1/messages";
    }

    @Override
    String idPrefix() {
        return "msg_sim";
    }

    @Override
    Rejection authenticate(HttpHeaders headers, String apiKey) {
        String key = headers.get("x-api-key");
        if (key == null || key.isBlank()) {
            return new Rejection(401, "x-api-key header is required");
        }
        if (!key.equals(apiKey)) {
            return new Rejection(401, "invalid x-api-key");
        }
        String version = headers.get("anthropic-version");
        if (version == null || version.isBlank()) {
            return new Rejection(400, "anthropic-version: header is required");
        }
        return null;
    }

    @Override
    Request read(byte[] body, ObjectNode json) {
        ObjectNode request = object(body, json);
        JsonNode model = request.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw new InvalidChatException("'model' is required and must be a non-empty string");
        }
        int maxTokens = maxTokens(request, "max_tokens", true);
        JsonNode messages = request.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new InvalidChatException("'messages' is required and must be a non-empty array");
        }
        long prompt = words(request.get("system"));
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw new InvalidChatException("'messages[" + i + "].role' is required and must be a string");
            }
            prompt += words(message.get("content"));
        }
        JsonNode stream = request.get("stream");
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            throw new InvalidChatException("'stream' must be a boolean");
        }
        return new Request(model.asText(), stream != null && stream.asBoolean(), false, maxTokens, prompt,
                continuation(messages));
    }

    @Override
    byte[] error(int status, String message) {
        ObjectNode body = Json.newObject();
        body.put("type", "error");
        body.putObject("error").put("type", errorType(status)).put("message", message);
        return Json.bytes(body);
    }

    @Override
    byte[] prefillError() {
        return error(400, OpenAiWire.PREFILL_NOT_SUPPORTED);
    }

    @Override
    byte[] contextWindowError(long window, long prompt) {
        return error(400, "prompt is too long: " + prompt + " tokens > " + window + " maximum");
    }

    @Override
    byte[] contentPolicyError() {
        return error(400, "Output blocked by content filtering policy");
    }

    static String errorType(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    @Override
    byte[] answer(Answer answer) {
        ObjectNode message = message(answer);
        message.putArray("content").addObject().put("type", "text").put("text", answer.text());
        message.put("stop_reason", stopReason(answer));
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", answer.promptTokens()).put("output_tokens", answer.tokens().size());
        return Json.bytes(message);
    }

    @Override
    Events preamble(Answer answer) {
        ObjectNode start = Json.newObject().put("type", "message_start");
        ObjectNode message = start.putObject("message");
        message.setAll(message(answer));
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", answer.promptTokens()).put("output_tokens", 1);
        ObjectNode blockStart = Json.newObject().put("type", "content_block_start").put("index", 0);
        blockStart.putObject("content_block").put("type", "text").put("text", "");
        return Events.all(event("message_start", start), event("content_block_start", blockStart),
                event("ping", Json.newObject().put("type", "ping")));
    }

    @Override
    Events token(Answer answer, int index) {
        ObjectNode delta = Json.newObject().put("type", "content_block_delta").put("index", 0);
        delta.putObject("delta").put("type", "text_delta").put("text", answer.tokens().get(index));
        return event("content_block_delta", delta);
    }

    @Override
    Events finish(Answer answer) {
        ObjectNode messageDelta = Json.newObject().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", stopReason(answer)).putNull("stop_sequence");
        messageDelta.putObject("usage").put("output_tokens", answer.tokens().size());
        return Events.all(
                event("content_block_stop", Json.newObject().put("type", "content_block_stop").put("index", 0)),
                event("message_delta", messageDelta),
                event("message_stop", Json.newObject().put("type", "message_stop")));
    }

    @Override
    Events streamError(int status, String message) {
        return Events.event("error", error(status, message));
    }

    @Override
    Events malformedEvent(Answer answer) {
        return MALFORMED;
    }

    private static ObjectNode message(Answer answer) {
        ObjectNode message = Json.newObject();
        message.put("id", answer.id());
        message.put("type", "message");
        message.put("role", "assistant");
        message.put("model", answer.model());
        return message;
    }

    private static String stopReason(Answer answer) {
        return answer.cutByMaxTokens() ? "max_tokens" : "end_turn";
    }

    private static Events event(String name, ObjectNode data) {
        return Events.event(name, Json.bytes(data));
    }
}
