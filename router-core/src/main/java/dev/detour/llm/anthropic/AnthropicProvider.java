package dev.detour.llm.anthropic;

import dev.detour.core.AttemptContext;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.internal.Transport;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A provider that speaks the Anthropic Messages API ({@code POST {baseUrl}/messages}), translating
 * Detour's canonical (OpenAI-shaped) requests, answers and streams with {@link AnthropicTranslation}.
 *
 * <pre>{@code
 * ChatProvider claude = AnthropicProvider.builder("anthropic", HttpSettings.of("https://api.anthropic.com/v1"))
 *         .apiKey(ApiKey.fromEnv("ANTHROPIC_API_KEY"))
 *         .model("claude-sonnet-4-5")
 *         .build();
 * }</pre>
 *
 * <p>Error statuses become failures of their kind, with Retry-After and Anthropic's error message; an
 * {@code error} event in a stream becomes the failure of its error type (an {@code overloaded_error}
 * is a 529); a request that cannot be expressed in the Messages API fails as a 400 naming the field,
 * without a call.
 */
public final class AnthropicProvider implements ChatProvider {

    /** The {@code max_tokens} sent when neither the request nor the builder sets one. */
    public static final int DEFAULT_MAX_TOKENS = 1024;

    private static final String API_KEY_HEADER = "x-api-key";
    private static final String VERSION_HEADER = "anthropic-version";

    private final String name;
    private final HttpSettings settings;
    private final Transport transport;
    private final ContinuationMode continuation;

    private AnthropicProvider(Builder builder) {
        this.name = builder.name();
        this.settings = builder.settings();
        this.transport = new Transport(builder.jsonClient(API_KEY_HEADER, "")
                .headers(h -> h.set(VERSION_HEADER, AnthropicTranslation.API_VERSION)), builder.apiKey(),
                new AnthropicDialect(builder.model(), builder.maxTokens));
        this.continuation = builder.continuationOr(ContinuationMode.PREFILL);
    }

    /** A builder of a provider named {@code name} reached by {@code settings}. */
    public static Builder builder(String name, HttpSettings settings) {
        return new Builder(name, settings);
    }

    @Override
    public String name() {
        return name;
    }

    /** Sends {@code request} as one Messages request, not streamed, and translates the message it answers. */
    @Override
    public Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
        return transport.call(request);
    }

    /**
     * Sends {@code request} as a streamed Messages request and translates its events
     * ({@link AnthropicTranslation#chunks}); the flux completes at {@code message_stop}.
     */
    @Override
    public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
        return transport.stream(request);
    }

    @Override
    public ContinuationMode continuation() {
        return continuation;
    }

    /** The name and base URL; never the key. */
    @Override
    public String toString() {
        return "AnthropicProvider[" + name + ", " + settings.baseUrl() + "]";
    }

    /** Builds an {@link AnthropicProvider}. */
    public static final class Builder extends ProviderBuilder<Builder> {

        private int maxTokens = DEFAULT_MAX_TOKENS;

        private Builder(String name, HttpSettings settings) {
            super(name, settings);
        }

        /**
         * The {@code max_tokens} to send when the request sets neither {@code max_completion_tokens} nor
         * {@code max_tokens} (Anthropic requires one); {@value AnthropicProvider#DEFAULT_MAX_TOKENS} unless set.
         */
        public Builder maxTokens(int maxTokens) {
            if (maxTokens < 1) {
                throw new InvalidChatException("maxTokens must be at least 1, was " + maxTokens);
            }
            this.maxTokens = maxTokens;
            return this;
        }

        /** The provider. */
        public AnthropicProvider build() {
            return new AnthropicProvider(this);
        }
    }
}
