package dev.detour.llm.internal;

import dev.detour.core.AttemptContext;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.ProviderBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A chat provider that is a {@link Transport} speaking one {@link Dialect}: the name, base URL and
 * continuation form come from its builder. Internal: the common part of Detour's HTTP providers.
 */
public abstract class TransportProvider implements ChatProvider {

    private final String name;
    private final String baseUrl;
    private final Transport transport;
    private final ContinuationMode continuation;
    private final String model;
    private final String genAiProvider;

    /**
     * A provider built by {@code builder}, calling through {@code transport}; {@code continuation} and
     * {@code genAiProvider} (its {@code gen_ai.provider.name}) unless the builder set them.
     */
    protected TransportProvider(ProviderBuilder<?> builder, Transport transport, ContinuationMode continuation,
                                String genAiProvider) {
        this.name = builder.name();
        this.baseUrl = builder.settings().baseUrl();
        this.transport = transport;
        this.continuation = builder.continuationOr(continuation);
        this.model = builder.model();
        this.genAiProvider = builder.genAiProviderOr(genAiProvider);
    }

    @Override
    public final String name() {
        return name;
    }

    /** Sends {@code request} as one request, not streamed, and decodes the answer. */
    @Override
    public final Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
        return GenAi.call(request, this, transport.call(request));
    }

    /** Sends {@code request} as a streamed request and decodes its events; the flux completes at the protocol's end. */
    @Override
    public final Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
        return transport.stream(request);
    }

    /** The transport this provider calls through. */
    protected final Transport transport() {
        return transport;
    }

    @Override
    public final ContinuationMode continuation() {
        return continuation;
    }

    @Override
    public final String genAiProvider() {
        return genAiProvider;
    }

    /** The builder's model, which replaces the request's, or the request's. */
    @Override
    public final String model(ChatRequest request) {
        return model != null ? model : request.model();
    }

    /** The name and base URL; never the key. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + baseUrl + "]";
    }
}
