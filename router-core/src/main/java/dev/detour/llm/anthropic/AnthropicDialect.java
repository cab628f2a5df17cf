package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.internal.Dialect;
import dev.detour.llm.internal.EventDecoder;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.internal.SseEvent;
import reactor.core.publisher.Flux;

/** The Anthropic Messages dialect, as {@link AnthropicTranslation} describes it. */
final class AnthropicDialect implements Dialect {

    private final String model;
    private final int maxTokens;

    /** A dialect asking for {@code model} (null for each request's own), with {@code maxTokens} when a request sets none. */
    AnthropicDialect(String model, int maxTokens) {
        this.model = model;
        this.maxTokens = maxTokens;
    }

    @Override
    public String path() {
        return "/messages";
    }

    /**
     * The Messages request; one that cannot be expressed fails as a 400 naming the field. A continuation goes
     * without {@code thinking}: Anthropic refuses a prefill with extended thinking on, and the thinking was
     * relayed already; only the answer's text is continued.
     */
    @Override
    public byte[] encode(ChatRequest request) {
        try {
            ObjectNode body = AnthropicRequestEncoder.request(request.rendered(), model, maxTokens);
            if (request.partial() != null) {
                body.remove("thinking");
            }
            return Json.bytes(body);
        } catch (InvalidChatException e) {
            throw new ProviderException(Failure.status(400, null,
                    "request cannot be sent to Anthropic: " + e.getMessage()));
        }
    }

    @Override
    public ChatResponse decodeAnswer(byte[] body) {
        ObjectNode json;
        try {
            json = Json.object(body, "answer");
        } catch (InvalidChatException e) {
            throw HttpFailures.malformed(e.getMessage());
        }
        if ("error".equals(json.path("type").asText())) {
            throw AnthropicErrors.error(json);
        }
        try {
            return AnthropicAnswerDecoder.response(json);
        } catch (InvalidChatException e) {
            throw HttpFailures.malformed(e.getMessage());
        }
    }

    /** The chunks up to {@code message_stop}. */
    @Override
    public Flux<ChatChunk> decodeStream(Flux<SseEvent> events) {
        return EventDecoder.decode(events, AnthropicStreamDecoder::new, "message_stop");
    }
}
