package dev.detour.llm.openai;

import dev.detour.core.AttemptContext;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.internal.Transport;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A provider that speaks the OpenAI chat-completions API: OpenAI itself, and every server that copies it
 * (vLLM, Ollama's OpenAI API, DeepSeek, Groq, OpenRouter …), which differ only in base URL and key.
 *
 * <pre>{@code
 * ChatProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("https://api.openai.com/v1"))
 *         .apiKey(ApiKey.fromEnv("OPENAI_API_KEY"))
 *         .build();
 * }</pre>
 *
 * <p>A continuation in {@link ContinuationMode#PREFILL} form also sets the fields prefix-capable servers
 * read (vLLM's {@code continue_final_message}, DeepSeek's and Mistral's {@code prefix}). An {@code error}
 * object in a 2xx answer or chunk is a failure of its type; a stream completes at {@code [DONE]}.
 */
public final class OpenAiProvider implements ChatProvider {

    private final String name;
    private final HttpSettings settings;
    private final Transport transport;
    private final ContinuationMode continuation;

    private OpenAiProvider(Builder builder) {
        this.name = builder.name();
        this.settings = builder.settings();
        this.transport = new Transport(builder.jsonClient(HttpHeaderNames.AUTHORIZATION, "Bearer "), builder.apiKey(),
                new OpenAiDialect(builder.model()));
        this.continuation = builder.continuationOr(ContinuationMode.INSTRUCTION);
    }

    /** A builder of a provider named {@code name} reached by {@code settings}. */
    public static Builder builder(String name, HttpSettings settings) {
        return new Builder(name, settings);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
        return transport.call(request);
    }

    @Override
    public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
        return transport.stream(request);
    }

    @Override
    public ContinuationMode continuation() {
        return continuation;
    }

    @Override
    public String toString() {
        return "OpenAiProvider[" + name + ", " + settings.baseUrl() + "]";
    }

    /** Builds an {@link OpenAiProvider}. */
    public static final class Builder extends ProviderBuilder<Builder> {

        private Builder(String name, HttpSettings settings) {
            super(name, settings);
        }

        /** The provider. */
        public OpenAiProvider build() {
            return new OpenAiProvider(this);
        }
    }
}
