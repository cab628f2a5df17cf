package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpFailures;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.sse.SseParser;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;

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

    private static final int MAX_EVENT_BYTES = 1 << 20;
    private static final byte[] NO_BODY = new byte[0];
    private static final String API_KEY_HEADER = "x-api-key";
    private static final String VERSION_HEADER = "anthropic-version";

    private final String name;
    private final String model;
    private final int maxTokens;
    private final HttpSettings settings;
    private final HttpClient http;
    private final ApiKey key;
    private final ContinuationMode continuation;

    private AnthropicProvider(Builder builder) {
        this.name = builder.name();
        this.model = builder.model();
        this.maxTokens = builder.maxTokens;
        this.settings = builder.settings();
        this.http = builder.jsonClient(API_KEY_HEADER, "")
                .headers(h -> h.set(VERSION_HEADER, AnthropicTranslation.API_VERSION));
        this.key = builder.apiKey();
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
        return Mono.defer(() -> {
            byte[] body = body(request.withStream(false));
            return http.post()
                    .uri("/messages")
                    .send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body)))
                    .responseSingle((response, content) -> content.asByteArray()
                            .defaultIfEmpty(NO_BODY)
                            .map(bytes -> answer(response, bytes)));
        }).onErrorMap(error -> HttpFailures.redact(error, key));
    }

    /**
     * Sends {@code request} as a streamed Messages request and translates its events
     * ({@link AnthropicTranslation#chunks}); the flux completes at {@code message_stop}.
     */
    @Override
    public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
        return Flux.defer(() -> {
            byte[] body = body(request.withStream(true));
            return http.post()
                    .uri("/messages")
                    .send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body)))
                    .response((response, content) -> {
                        int status = response.status().code();
                        if (status < 200 || status > 299) {
                            return content.aggregate().asByteArray().defaultIfEmpty(NO_BODY)
                                    .flatMapMany(bytes -> Flux.error(HttpFailures.status(status,
                                            response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), bytes)));
                        }
                        return AnthropicTranslation.chunks(SseParser.decode(content, MAX_EVENT_BYTES));
                    });
        }).onErrorMap(error -> HttpFailures.redact(error, key));
    }

    @Override
    public ContinuationMode continuation() {
        return continuation;
    }

    private byte[] body(ChatRequest request) {
        try {
            return Json.bytes(AnthropicTranslation.request(request.rendered(), model, maxTokens));
        } catch (InvalidChatException e) {
            throw new ProviderException(Failure.status(400, null,
                    "request cannot be sent to Anthropic: " + e.getMessage()));
        }
    }

    private static ChatResponse answer(HttpClientResponse response, byte[] body) {
        int status = response.status().code();
        if (status < 200 || status > 299) {
            throw HttpFailures.status(status, response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), body);
        }
        ObjectNode json;
        try {
            json = Json.object(body, "answer");
        } catch (InvalidChatException e) {
            throw HttpFailures.malformed(e.getMessage());
        }
        if ("error".equals(json.path("type").asText())) {
            throw AnthropicTranslation.error(json);
        }
        try {
            return AnthropicTranslation.response(json);
        } catch (InvalidChatException e) {
            throw HttpFailures.malformed(e.getMessage());
        }
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
