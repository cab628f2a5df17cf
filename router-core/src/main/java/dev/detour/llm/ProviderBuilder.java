package dev.detour.llm;

import java.util.Objects;

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

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
