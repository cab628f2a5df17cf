package dev.detour.http.config;

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
 * @param maxConnections     its connection pool's size (256 unless set)
 * @param maxIdleTime        how long an idle pooled connection is kept (30 s unless set)
 * @param headers            headers sent with every call, in the order given
 * @param continuation       how it continues an answer another provider's stream cut off:
 *                           {@code prefill}, {@code instruction} or {@code none}; {@code null} for its
 *                           type's default ({@code prefill} for anthropic, {@code instruction} for openai)
 */
public record ProviderConfig(String name, String type, String baseUrl, String apiKeyEnv, String model,
                             double weight, double costPerCall, double costPerInputToken,
                             double costPerOutputToken, int maxConnections, Duration maxIdleTime,
                             Map<String, String> headers, String continuation) {

    /** The OpenAI-compatible type. */
    public static final String OPENAI = "openai";
    /** The Anthropic Messages type. */
    public static final String ANTHROPIC = "anthropic";
    /** The plain JSON API type. */
    public static final String HTTP = "http";

    /** Checks that the name, type, base URL and idle time are set, and copies the headers. */
    public ProviderConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(maxIdleTime, "maxIdleTime");
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(headers, "headers")));
    }

    /** Whether it speaks a chat API ({@code openai} or {@code anthropic}), so serves routes. */
    public boolean isChat() {
        return OPENAI.equals(type) || ANTHROPIC.equals(type);
    }
}
