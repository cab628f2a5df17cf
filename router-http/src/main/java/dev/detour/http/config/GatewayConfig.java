package dev.detour.http.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole configuration of the standalone router, as {@link ConfigLoader} reads it from YAML: an
 * immutable value whose collections are unmodifiable copies.
 *
 * @param server        the HTTP server's address and limits
 * @param admin         the admin API
 * @param clientKeyEnvs the environment variables holding the API keys clients must present; empty
 *                      means clients need no key
 * @param breaker       the circuit breaker policy every provider gets
 * @param providers     the providers by name, in the order the file gives them
 * @param routes        the OpenAI-compatible routes, by model alias
 * @param jsonRoutes    the plain JSON routes, served under {@code /routes/{name}/}
 */
public record GatewayConfig(ServerConfig server, AdminConfig admin, List<String> clientKeyEnvs,
                            BreakerConfig breaker, Map<String, ProviderConfig> providers,
                            List<RouteConfig> routes, List<JsonRouteConfig> jsonRoutes) {

    /** Checks that no component is null and copies the collections. */
    public GatewayConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(breaker, "breaker");
        clientKeyEnvs = List.copyOf(clientKeyEnvs);
        providers = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(providers, "providers")));
        routes = List.copyOf(routes);
        jsonRoutes = List.copyOf(jsonRoutes);
    }
}
