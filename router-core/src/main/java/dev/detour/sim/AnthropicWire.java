package dev.detour.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Anthropic messages: {@code POST /v1/messages}, a {@code message} object and its named stream events. With
 * {@code thinking} enabled (a {@code budget_tokens} of at least 1024 and below {@code max_tokens}), the answer
 * starts with a thinking block whose signature the simulator checks when the block comes back in an assistant
 * turn; a prefill whose assistant turn does not start with thinking is refused, as Anthropic does.
 */
final class AnthropicWire extends Wire {

    static final AnthropicWire INSTANCE = new AnthropicWire();

    /** What the model thinks before it answers, when thinking is on. */
    static final String THINKING = "The user wants an answer. I will give it plainly.";

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
    String toolIdPrefix() {
        return "toolu_sim";
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
            checkSignatures(message.path("content"), "messages." + i);
        }
        boolean thinking = thinking(request.path("thinking"), maxTokens);
        int turn = assistantTurn(messages);
        String first = turn < 0 ? "thinking" : messages.get(turn).path("content").path(0).path("type").asText("text");
        if (thinking && !first.equals("thinking") && !first.equals("redacted_thinking")) {
            throw new InvalidChatException("messages." + turn + ".content.0.type: Expected `thinking` or `redacted_thinking`, "
                    + "but found `" + first + "`. When `thinking` is enabled, a final `assistant` message must start with "
                    + "a thinking block.");
        }
        Continuation continuation = continuation(messages);
        JsonNode stream = request.get("stream");
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            throw new InvalidChatException("'stream' must be a boolean");
        }
        return new Request(model.asText(), stream != null && stream.asBoolean(), false, maxTokens, prompt,
                continuation, toolNames(request.get("tools"), "name"), thinking);
    }

    /**
     * The first message of the assistant turn the request goes on with: a last assistant message (a prefill) or
     * one answered by tool results, and the tool-use loop it ends; -1 when the request starts a new turn.
     */
    private static int assistantTurn(JsonNode messages) {
        int i = messages.size() - 1;
        if (!"assistant".equals(messages.get(i).path("role").asText()) && !toolResults(messages.get(i))) {
            return -1;
        }
        int turn = -1;
        if ("assistant".equals(messages.get(i).path("role").asText())) {
            turn = i;
            i--;
        }
        for (; i >= 1 && toolResults(messages.get(i)) && "assistant".equals(messages.get(i - 1).path("role").asText()); i -= 2) {
            turn = i - 1;
        }
        return turn;
    }

    private static boolean toolResults(JsonNode message) {
        return "user".equals(message.path("role").asText())
                && "tool_result".equals(message.path("content").path(0).path("type").asText());
    }

    /** Whether {@code thinking} is enabled, with a budget Anthropic accepts. */
    private static boolean thinking(JsonNode thinking, int maxTokens) {
        if (!"enabled".equals(thinking.path("type").asText())) {
            return false;
        }
        int budget = thinking.path("budget_tokens").asInt();
        if (budget < 1024 || budget >= maxTokens) {
            throw new InvalidChatException("thinking.enabled.budget_tokens: must be at least 1024 and less than max_tokens");
        }
        return true;
    }

    /** Refuses a thinking block sent back with a signature the simulator did not give it. */
    private static void checkSignatures(JsonNode content, String where) {
        for (int j = 0; j < content.size(); j++) {
            JsonNode block = content.get(j);
            if ("thinking".equals(block.path("type").asText())
                    && !signature(block.path("thinking").asText("")).equals(block.path("signature").asText())) {
                throw new InvalidChatException(where + ".content." + j + ": Invalid `signature` in `thinking` block");
            }
        }
    }

    /** The signature of {@code thinking}: a digest only the simulator makes, so a changed thinking text fails. */
    static String signature(String thinking) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("detour-sim:" + thinking).getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
        ArrayNode content = message.putArray("content");
        if (!answer.thinking().isEmpty()) {
            String thinking = String.join("", answer.thinking());
            content.addObject().put("type", "thinking").put("thinking", thinking).put("signature", signature(thinking));
        }
        if (answer.toolUse() == null) {
            content.addObject().put("type", "text").put("text", answer.text());
        } else {
            JsonNode input;
            try {
                input = Json.parse(answer.text());
            } catch (IOException e) {
                input = Json.newObject();
            }
            content.addObject().put("type", "tool_use").put("id", answer.toolUse().id()).put("name", answer.toolUse().name())
                    .set("input", input);
        }
        message.put("stop_reason", stopReason(answer));
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", answer.promptTokens()).put("output_tokens", answer.outputTokens());
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
        List<Events> events = new ArrayList<>();
        events.add(event("message_start", start));
        if (!answer.thinking().isEmpty()) {
            ObjectNode thinkingStart = Json.newObject().put("type", "content_block_start").put("index", 0);
            thinkingStart.putObject("content_block").put("type", "thinking").put("thinking", "").put("signature", "");
            events.add(event("content_block_start", thinkingStart));
            for (String piece : answer.thinking()) {
                events.add(delta(0, Json.newObject().put("type", "thinking_delta").put("thinking", piece)));
            }
            events.add(delta(0, Json.newObject().put("type", "signature_delta")
                    .put("signature", signature(String.join("", answer.thinking())))));
            events.add(event("content_block_stop", Json.newObject().put("type", "content_block_stop").put("index", 0)));
        }
        ObjectNode blockStart = Json.newObject().put("type", "content_block_start").put("index", answerBlock(answer));
        if (answer.toolUse() == null) {
            blockStart.putObject("content_block").put("type", "text").put("text", "");
        } else {
            blockStart.putObject("content_block").put("type", "tool_use").put("id", answer.toolUse().id())
                    .put("name", answer.toolUse().name()).putObject("input");
        }
        events.add(event("content_block_start", blockStart));
        events.add(event("ping", Json.newObject().put("type", "ping")));
        return Events.all(events.toArray(Events[]::new));
    }

    @Override
    Events token(Answer answer, int index) {
        String token = answer.tokens().get(index);
        return delta(answerBlock(answer), answer.toolUse() == null
                ? Json.newObject().put("type", "text_delta").put("text", token)
                : Json.newObject().put("type", "input_json_delta").put("partial_json", token));
    }

    /** The index of the answer's text or tool_use block: after the thinking block, if any. */
    private static int answerBlock(Answer answer) {
        return answer.thinking().isEmpty() ? 0 : 1;
    }

    private static Events delta(int index, ObjectNode delta) {
        ObjectNode event = Json.newObject().put("type", "content_block_delta").put("index", index);
        event.set("delta", delta);
        return event("content_block_delta", event);
    }

    @Override
    Events finish(Answer answer) {
        ObjectNode messageDelta = Json.newObject().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", stopReason(answer)).putNull("stop_sequence");
        messageDelta.putObject("usage").put("output_tokens", answer.outputTokens());
        return Events.all(
                event("content_block_stop", Json.newObject().put("type", "content_block_stop").put("index", answerBlock(answer))),
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
        return answer.cutByMaxTokens() ? "max_tokens" : answer.toolUse() != null ? "tool_use" : "end_turn";
    }

    private static Events event(String name, ObjectNode data) {
        return Events.event(name, Json.bytes(data));
    }
}
