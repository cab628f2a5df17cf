package dev.detour.llm;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.util.Objects;
import reactor.netty.http.client.HttpClient;

/**
 * What every HTTP LLM provider is built from: a name, how to reach it, an optional API key and an
 * optional model that replaces the request's (a route alias). Each provider's builder extends it.
 *
 * @param <B> the concrete builder
 */
public abstract class ProviderBuilder<B extends ProviderBuilder<B>> {

    private final String name;
    private final HttpSettings settings;
    private ApiKey apiKey;
    private String model;
    private ContinuationMode continuation;
    private String genAiProvider;

    protected ProviderBuilder(String name, HttpSettings settings) {
        if (name == null || name.isBlank()) {
            throw new InvalidChatException("a provider needs a name");
        }
        this.name = name;
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** The API key; none for servers that need none. */
    public B apiKey(ApiKey apiKey) {
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        return self();
    }

    /** The provider's model to ask for, whatever the request named (a route alias); unset, the request's. */
    public B model(String model) {
        this.model = Objects.requireNonNull(model, "model");
        return self();
    }

    /**
     * How the provider can continue an answer another provider's stream cut off; unset, the default of
     * its kind ({@link ContinuationMode#PREFILL} for Anthropic, {@link ContinuationMode#INSTRUCTION} for
     * OpenAI-compatible APIs, which may not support a prefill).
     */
    public B continuation(ContinuationMode continuation) {
        this.continuation = Objects.requireNonNull(continuation, "continuation");
        return self();
    }

    /**
     * What OpenTelemetry's GenAI conventions call the provider in traces ({@code gen_ai.provider.name}, e.g.
     * {@code azure.ai.openai}); unset, the well-known value its API and base URL tell ({@code anthropic} for
     * the Messages API; for OpenAI's API the host's: {@code openai}, {@code deepseek}, {@code groq} …, and
     * {@code openai} for any other host).
     */
    public B genAiProvider(String genAiProvider) {
        this.genAiProvider = Objects.requireNonNull(genAiProvider, "genAiProvider");
        return self();
    }

    /** The provider's {@code gen_ai.provider.name}, or {@code otherwise} when unset. */
    public String genAiProviderOr(String otherwise) {
        return genAiProvider != null ? genAiProvider : otherwise;
    }

    /** How the provider continues answers, or {@code otherwise} when unset. */
    public ContinuationMode continuationOr(ContinuationMode otherwise) {
        return continuation != null ? continuation : otherwise;
    }

    /** The provider's name. */
    public String name() {
        return name;
    }

    /** How to reach the provider. */
    public HttpSettings settings() {
        return settings;
    }

    /** The API key, or null. */
    public ApiKey apiKey() {
        return apiKey;
    }

    /** The model to ask for, or null for the request's. */
    public String model() {
        return model;
    }

    /**
     * A JSON client with the provider's own pool, sending the key, when there is one, as
     * {@code keyHeader: keyPrefix + key}.
     */
    public HttpClient jsonClient(CharSequence keyHeader, String keyPrefix) {
        HttpClient client = settings.client(name)
                .headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON));
        if (apiKey == null) {
            return client;
        }
        String value = keyPrefix + apiKey.reveal();
        return client.headers(h -> h.set(keyHeader, value));
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
