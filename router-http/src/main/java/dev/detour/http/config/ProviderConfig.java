package dev.detour.http.config;

import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One upstream provider.
 *
 * @param name               its name, the key under {@code providers}
 * @param type               {@code openai} (any OpenAI-compatible API), {@code anthropic} or
 *                           {@code http} (a plain JSON API, for json-routes)
 * @param baseUrl            its base URL, http or https (e.g. {@code https://api.openai.com/v1})
 * @param apiKeyEnv          the environment variable holding its API key; {@code null} when it needs
 *                           none (a local server, most http APIs)
 * @param model              the model it is asked for; {@code null} passes the request's model on
 * @param weight             its weight in a {@code weighted} tier (1 unless set)
 * @param costPerCall        the cost of one call (0 unless set)
 * @param costPerInputToken  the cost of one prompt token (0 unless set)
 * @param costPerOutputToken the cost of one completion token (0 unless set)
 * @param maxConnections     its connection pools' size, split among the event loops ({@link HttpSettings#client}; 256 unless set)
 * @param maxIdleTime        how long an idle pooled connection is kept ({@link HttpSettings}' 30 s unless set)
 * @param headers            headers sent with every call, in the order given
 * @param continuation       how it continues an answer another provider's stream cut off:
 *                           {@code prefill}, {@code instruction} or {@code none}; {@code null} for its
 *                           type's default ({@code prefill} for anthropic, {@code instruction} for openai)
 * @param genAiProvider      what its spans call it ({@code gen_ai.provider.name}, e.g. {@code azure.ai.openai});
 *                           {@code null} for what its type and base URL tell ({@code anthropic}; for openai the
 *                           host's well-known name, else {@code openai})
 */
public record ProviderConfig(String name, String type, String baseUrl, String apiKeyEnv, String model,
                             Double weight, Double costPerCall, Double costPerInputToken,
                             Double costPerOutputToken, Integer maxConnections, Duration maxIdleTime,
                             Map<String, String> headers, String continuation, String genAiProvider) {

    /** The kinds of provider. */
    public enum Type {
        /** Any OpenAI-compatible chat API. */
        OPENAI,
        /** Anthropic's Messages API. */
        ANTHROPIC,
        /** A plain JSON API, for json-routes. */
        HTTP
    }

    /**
     * Checks that the name, type and base URL are set, takes the defaults of what is null (the pool's
     * from {@link HttpSettings}), and copies the headers.
     */
    public ProviderConfig {
        Objects.requireNonNull(name, "name");
        type = Words.canonical(Type.class, Objects.requireNonNull(type, "type"));
        HttpSettings settings = HttpSettings.of(Objects.requireNonNull(baseUrl, "baseUrl"));
        weight = weight != null ? weight : 1;
        costPerCall = costPerCall != null ? costPerCall : 0;
        costPerInputToken = costPerInputToken != null ? costPerInputToken : 0;
        costPerOutputToken = costPerOutputToken != null ? costPerOutputToken : 0;
        maxConnections = maxConnections != null ? maxConnections : settings.maxConnections();
        maxIdleTime = maxIdleTime != null ? maxIdleTime : settings.maxIdleTime();
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers == null ? Map.of() : headers));
        continuation = continuation == null ? null : Words.canonical(ContinuationMode.class, continuation);
    }

    /** A provider with every number set. */
    public ProviderConfig(String name, String type, String baseUrl, String apiKeyEnv, String model, double weight,
                          double costPerCall, double costPerInputToken, double costPerOutputToken, int maxConnections,
                          Duration maxIdleTime, Map<String, String> headers, String continuation, String genAiProvider) {
        this(name, type, baseUrl, apiKeyEnv, model, Double.valueOf(weight), Double.valueOf(costPerCall),
                Double.valueOf(costPerInputToken), Double.valueOf(costPerOutputToken), Integer.valueOf(maxConnections),
                maxIdleTime, headers, continuation, genAiProvider);
    }

    /** Its type. */
    public Type kind() {
        return Words.value(Type.class, type);
    }

    /** Whether it speaks a chat API ({@code openai} or {@code anthropic}), so serves routes. */
    public boolean isChat() {
        return kind() != Type.HTTP;
    }

    /** How it continues an answer, or null for its type's default. */
    public ContinuationMode continuationMode() {
        return continuation == null ? null : Words.value(ContinuationMode.class, continuation);
    }

    /** How to reach it: its base URL, pool and headers. */
    public HttpSettings settings() {
        HttpSettings settings = HttpSettings.of(baseUrl);
        settings = settings.pool(maxConnections, settings.maxPending()).maxIdleTime(maxIdleTime);
        for (Map.Entry<String, String> header : headers.entrySet()) {
            settings = settings.header(header.getKey(), header.getValue());
        }
        return settings;
    }
}
