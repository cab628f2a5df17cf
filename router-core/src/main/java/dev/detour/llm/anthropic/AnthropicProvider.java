package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.internal.Transport;
import dev.detour.llm.internal.TransportProvider;
import java.io.IOException;
import java.util.Set;
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
public final class AnthropicProvider extends TransportProvider {

    /** The {@code max_tokens} sent when neither the request nor the builder sets one. */
    public static final int DEFAULT_MAX_TOKENS = 1024;

    private static final String API_KEY_HEADER = "x-api-key";
    private static final String VERSION_HEADER = "anthropic-version";

    /** The fields of a Messages request that {@code count_tokens} accepts; the rest are left out. */
    private static final Set<String> COUNTED_FIELDS =
            Set.of("model", "messages", "system", "tools", "tool_choice", "thinking");

    private final AnthropicDialect dialect;

    private AnthropicProvider(Builder builder) {
        this(builder, new AnthropicDialect(builder.model(), builder.maxTokens));
    }

    private AnthropicProvider(Builder builder, AnthropicDialect dialect) {
        super(builder, new Transport(builder.jsonClient(API_KEY_HEADER, "")
                .headers(h -> h.set(VERSION_HEADER, AnthropicTranslation.API_VERSION)), builder.apiKey(), dialect),
                ContinuationMode.PREFILL, "anthropic");
        this.dialect = dialect;
    }

    /**
     * Asks the provider to count the input tokens of {@code request} ({@code POST {baseUrl}/messages/count_tokens}
     * with the translated request, its fields {@code count_tokens} does not take left out): its
     * {@code input_tokens}. Fails like a call: a request that cannot be expressed is a 400 without a call, a
     * non-2xx answer the failure of its status, an answer without {@code input_tokens} a malformed answer.
     */
    public Mono<Long> countTokens(ChatRequest request) {
        return Mono.defer(() -> {
            ObjectNode body = Json.object(dialect.encode(request.withStream(false)), "request");
            body.retain(COUNTED_FIELDS);
            return transport().post(dialect.path() + "/count_tokens", Json.bytes(body));
        }).map(answer -> {
            JsonNode tokens;
            try {
                tokens = Json.parse(answer).path("input_tokens");
            } catch (IOException e) {
                throw HttpFailures.malformed("count_tokens answer is not JSON");
            }
            if (!tokens.canConvertToLong()) {
                throw HttpFailures.malformed("count_tokens answer has no input_tokens");
            }
            return tokens.asLong();
        });
    }

    /** A builder of a provider named {@code name} reached by {@code settings}. */
    public static Builder builder(String name, HttpSettings settings) {
        return new Builder(name, settings);
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
