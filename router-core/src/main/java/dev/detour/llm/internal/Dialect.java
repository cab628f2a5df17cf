package dev.detour.llm.internal;

import dev.detour.core.ProviderException;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import reactor.core.publisher.Flux;

/**
 * How one provider API is spoken over the {@link Transport}: where requests go, how a canonical
 * (OpenAI-shaped) request is encoded, and how answers, event streams and errors are decoded into
 * canonical ones. A dialect holds no connection and no key.
 */
public interface Dialect {

    /** The path requests are posted to, below the base URL (e.g. {@code /chat/completions}). */
    String path();

    /**
     * The body to post for {@code request}, whose {@code stream} flag is already what is asked.
     *
     * @throws ProviderException when the request cannot be expressed (a 400, and no call is made)
     */
    byte[] encode(ChatRequest request);

    /**
     * The answer in a 2xx body.
     *
     * @throws ProviderException for an error object in it, or a malformed answer
     */
    ChatResponse decodeAnswer(byte[] body);

    /**
     * The canonical chunks of a 2xx event stream, completing only at the protocol's end of stream
     * (usually by {@link EventDecoder#decode(Flux, java.util.function.Supplier, String)}).
     */
    Flux<ChatChunk> decodeStream(Flux<SseEvent> events);

    /**
     * The failure a non-2xx answer stands for; by default {@link HttpFailures#status}: its status kind,
     * Retry-After, and its error object's message, type, code and param.
     */
    default ProviderException decodeError(int status, String retryAfter, byte[] body) {
        return HttpFailures.status(status, retryAfter, body);
    }
}
