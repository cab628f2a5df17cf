package dev.detour.llm;

import dev.detour.core.AttemptContext;
import dev.detour.core.Provider;
import reactor.core.publisher.Flux;

/**
 * An LLM provider: a whole answer ({@link #call}) or a stream of chunks ({@link #stream}). Both are
 * lazy and cancellable; cancelling closes the upstream connection. Failures are
 * {@link dev.detour.core.ProviderException}s of the engine's failure kinds.
 */
public interface ChatProvider extends Provider<ChatRequest, ChatResponse> {

    /**
     * Streams the answer to {@code request}. The stream completes only after the provider said the
     * answer is complete ({@code [DONE]}, {@code message_stop}); a stream cut before that ends in an
     * error, never in a clean completion.
     */
    Flux<ChatChunk> stream(ChatRequest request, AttemptContext context);

    /**
     * How this provider can continue an answer another provider's stream cut off: the form its
     * {@link #stream} sends a {@linkplain ChatRequest#continuing continuation request} in, or
     * {@link ContinuationMode#NONE} when it is never to be asked. {@link ContinuationMode#INSTRUCTION}
     * unless a provider says otherwise.
     */
    default ContinuationMode continuation() {
        return ContinuationMode.INSTRUCTION;
    }

    /**
     * What OpenTelemetry's GenAI conventions call this provider ({@code gen_ai.provider.name}) on the spans of
     * its calls: {@code openai} (the API Detour's requests are shaped in) unless a provider says otherwise.
     */
    default String genAiProvider() {
        return "openai";
    }

    /**
     * The model this provider asks for when sent {@code request} ({@code gen_ai.request.model}): the request's,
     * unless the provider replaces it (a route alias).
     */
    default String model(ChatRequest request) {
        return request.model();
    }
}
