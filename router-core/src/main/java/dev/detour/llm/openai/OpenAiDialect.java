package dev.detour.llm.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.internal.Dialect;
import dev.detour.llm.internal.EventDecoder;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.internal.SseEvent;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * The OpenAI chat-completions dialect: requests as they are (the canonical shape), answers and
 * {@code chat.completion.chunk} events up to {@code [DONE]}, and {@code error} objects inside 2xx answers
 * and chunks.
 */
final class OpenAiDialect implements Dialect {

    private static final EventDecoder CHUNKS = event -> event.isDone() ? EventDecoder.ENDED : List.of(chunk(event));

    private final String model;

    /** A dialect asking for {@code model}, or for each request's own when null. */
    OpenAiDialect(String model) {
        this.model = model;
    }

    @Override
    public String path() {
        return "/chat/completions";
    }

    /**
     * The request as sent: the provider's model, and a continuation rendered; a prefill also says so in
     * the fields prefix-capable servers read (vLLM's {@code continue_final_message} and
     * {@code add_generation_prompt}, DeepSeek's and Mistral's {@code prefix} on the last message); never
     * the {@linkplain ChatRequest#ANTHROPIC_FIELDS Anthropic-only fields}.
     */
    @Override
    public byte[] encode(ChatRequest request) {
        ChatRequest sent = (model == null ? request : request.withModel(model)).withoutAnthropicFields().rendered(json -> {
            json.put("continue_final_message", true).put("add_generation_prompt", false);
            ArrayNode messages = json.withArray("messages");
            ((ObjectNode) messages.get(messages.size() - 1)).put("prefix", true);
        });
        return Json.bytes(sent.json());
    }

    @Override
    public ChatResponse decodeAnswer(byte[] body) {
        try {
            ObjectNode json = Json.object(body, "answer");
            rejectErrorObject(json);
            return ChatResponse.of(json, body.length > 0 && body[0] == '{' ? body : null);
        } catch (InvalidChatException e) {
            throw HttpFailures.malformed(e.getMessage());
        }
    }

    /** The chunks up to {@code [DONE]}. */
    @Override
    public Flux<ChatChunk> decodeStream(Flux<SseEvent> events) {
        return EventDecoder.decode(events, () -> CHUNKS, "[DONE]");
    }

    /** A chunk; an event that is not a chunk is {@linkplain ChatChunk#malformed malformed}, an error object a failure. */
    private static ChatChunk chunk(SseEvent event) {
        try {
            ObjectNode json = Json.object(event.data(), "stream chunk");
            rejectErrorObject(json);
            return ChatChunk.of(json);
        } catch (InvalidChatException e) {
            return ChatChunk.malformed(e.getMessage());
        }
    }

    /**
     * An {@code error} object in a 2xx answer or chunk is a provider failure, classified by its type and
     * code: a context-window or content-policy error as a 400 of its kind, a rate limit as a 429, an
     * invalid request as a 400, anything else as a 502.
     */
    private static void rejectErrorObject(ObjectNode json) {
        JsonNode error = json.get("error");
        if (error == null || error.isNull()) {
            return;
        }
        String message = error.path("message").asText("error object in answer");
        UpstreamError upstream = error.isObject() ? HttpFailures.upstream(error) : null;
        String type = error.path("type").asText("") + " " + error.path("code").asText("");
        int status = HttpFailures.namedKind(upstream, message) != null ? 400
                : type.contains("rate_limit") ? 429 : type.contains("invalid_request") ? 400 : 502;
        throw new ProviderException(HttpFailures.failure(status, null, message, upstream));
    }
}
