package dev.detour.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import dev.detour.llm.Usage;
import dev.detour.llm.internal.SseEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI chat completions: {@code POST /v1/chat/completions}, {@code chat.completion} and {@code chat.completion.chunk}.
 * The prefill dialects' fields ({@code continue_final_message}, {@code add_generation_prompt}, {@code prefix: true}
 * on the last assistant message) are accepted and ignored: a last assistant message is always a prefix.
 */
final class OpenAiWire extends Wire {

    static final String PREFILL_NOT_SUPPORTED = "prefill is not supported: the last message must have role 'user'";

    static final OpenAiWire INSTANCE = new OpenAiWire();

    private static final Events DONE = Events.event(null, SseEvent.DONE.getBytes(StandardCharsets.US_ASCII));

    private OpenAiWire() {
    }

    @Override
    String path() {
        return "/v1/chat/completions";
    }

    @Override
    String idPrefix() {
        return "chatcmpl-sim";
    }

    @Override
    String toolIdPrefix() {
        return "call_sim";
    }

    @Override
    Rejection authenticate(HttpHeaders headers, String apiKey) {
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null || authorization.isBlank()) {
            return new Rejection(401, "missing API key: send it as 'Authorization: Bearer <key>'");
        }
        if (!authorization.equals(bearer(apiKey))) {
            return new Rejection(401, "incorrect API key provided");
        }
        return null;
    }

    @Override
    Request read(byte[] body, ObjectNode json) {
        ChatRequest request = ChatRequest.of(object(body, json));
        JsonNode fields = request.json();
        int maxTokens = fields.hasNonNull("max_completion_tokens")
                ? maxTokens(fields, "max_completion_tokens", false)
                : maxTokens(fields, "max_tokens", false);
        long prompt = 0;
        for (JsonNode message : request.messages()) {
            prompt += words(message.get("content"));
        }
        boolean includeUsage = fields.path("stream_options").path("include_usage").asBoolean(false);
        return new Request(request.model(), request.stream(), includeUsage, maxTokens, prompt,
                continuation(request.messages()), toolNames(fields.get("tools"), "function", "name"), false);
    }

    @Override
    byte[] error(int status, String message) {
        return error(message, status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error", null,
                status == 401 ? "invalid_api_key" : status == 429 ? "rate_limit_exceeded" : status == 404 ? "not_found" : null);
    }

    @Override
    byte[] prefillError() {
        return error(PREFILL_NOT_SUPPORTED, "invalid_request_error", "messages", null);
    }

    @Override
    byte[] contextWindowError(long window, long prompt) {
        return error("This model's maximum context length is " + window + " tokens. However, your messages resulted in "
                + prompt + " tokens. Please reduce the length of the messages.", "invalid_request_error", "messages",
                "context_length_exceeded");
    }

    @Override
    byte[] contentPolicyError() {
        return error("Your request was rejected as a result of our safety system.", "invalid_request_error", null,
                "content_policy_violation");
    }

    private static byte[] error(String message, String type, String param, String code) {
        ObjectNode body = Json.newObject();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Json.bytes(body);
    }

    @Override
    byte[] answer(Answer answer) {
        if (answer.toolUse() == null) {
            return Json.bytes(ChatResponse.of(answer.id(), answer.model(), answer.text(), finishReason(answer),
                    new Usage(answer.promptTokens(), answer.outputTokens())).json());
        }
        ObjectNode json = chunk(answer).put("object", "chat.completion");
        json.remove("usage");
        ObjectNode choice = (ObjectNode) json.get("choices").get(0);
        ObjectNode message = choice.putObject("message").put("role", "assistant").putNull("content");
        message.putArray("tool_calls").addObject().put("id", answer.toolUse().id()).put("type", "function")
                .putObject("function").put("name", answer.toolUse().name()).put("arguments", answer.text());
        choice.put("finish_reason", finishReason(answer));
        json.set("usage", new Usage(answer.promptTokens(), answer.outputTokens()).toJson());
        return Json.bytes(json);
    }

    @Override
    Events preamble(Answer answer) {
        return Events.NONE;
    }

    @Override
    Events token(Answer answer, int index) {
        ObjectNode chunk = chunk(answer);
        ObjectNode choice = (ObjectNode) chunk.get("choices").get(0);
        ObjectNode delta = choice.putObject("delta");
        if (index == 0) {
            delta.put("role", "assistant");
        }
        if (answer.toolUse() == null) {
            delta.put("content", answer.tokens().get(index));
        } else {
            ObjectNode call = delta.putArray("tool_calls").addObject().put("index", 0);
            if (index == 0) {
                call.put("id", answer.toolUse().id()).put("type", "function").putObject("function")
                        .put("name", answer.toolUse().name());
            }
            call.withObjectProperty("function").put("arguments", answer.tokens().get(index));
        }
        choice.putNull("finish_reason");
        return data(chunk);
    }

    @Override
    Events finish(Answer answer) {
        List<Events> events = new ArrayList<>(4);
        if (answer.tokens().isEmpty()) {
            ObjectNode chunk = chunk(answer);
            ObjectNode choice = (ObjectNode) chunk.get("choices").get(0);
            choice.putObject("delta").put("role", "assistant").put("content", "");
            choice.putNull("finish_reason");
            events.add(data(chunk));
        }
        ObjectNode last = chunk(answer);
        ObjectNode choice = (ObjectNode) last.get("choices").get(0);
        choice.putObject("delta");
        choice.put("finish_reason", finishReason(answer));
        events.add(data(last));
        if (answer.includeUsage()) {
            ObjectNode usage = chunk(answer);
            usage.putArray("choices");
            usage.set("usage", new Usage(answer.promptTokens(), answer.outputTokens()).toJson());
            events.add(data(usage));
        }
        events.add(DONE);
        return Events.all(events.toArray(Events[]::new));
    }

    @Override
    Events streamError(int status, String message) {
        return Events.event(null, error(status, message));
    }

    @Override
    Events malformedEvent(Answer answer) {
        return Events.event(null, ("{\"id\":\"" + answer.id() + "\",\"choices\":[{\"delta\":{\"content\":")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static String finishReason(Answer answer) {
        return answer.cutByMaxTokens() ? "length" : answer.toolUse() != null ? "tool_calls" : "stop";
    }

    private static ObjectNode chunk(Answer answer) {
        ObjectNode chunk = Json.newObject();
        chunk.put("id", answer.id());
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", answer.created());
        chunk.put("model", answer.model());
        chunk.putArray("choices").addObject().put("index", 0);
        if (answer.includeUsage()) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    private static Events data(ObjectNode json) {
        return Events.event(null, Json.bytes(json));
    }
}
