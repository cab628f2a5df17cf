package dev.detour.http.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration of the standalone router, as {@link ConfigLoader} reads it from YAML: an
 * immutable value whose collections are unmodifiable copies.
 *
 * @param server        the HTTP server's address and limits (the defaults unless set)
 * @param admin         the admin API (off unless set)
 * @param clientKeyEnvs the environment variables holding the API keys clients must present, each a
 *                      client named after its variable, with no rate limit
 * @param breaker       the circuit breaker policy every provider gets (the core's defaults unless set)
 * @param providers     the providers by name, in the order the file gives them
 * @param routes        the OpenAI-compatible routes, by model alias
 * @param jsonRoutes    the plain JSON routes, served under {@code /routes/{name}/}
 * @param clientKeys    the client keys with a name and, optionally, a rate limit; with
 *                      {@code clientKeyEnvs}, the keys clients must present (none in either means
 *                      clients need no key)
 * @param tracing       where spans go and how many are kept; null: no tracing
 * @param state         where providers' shared state is kept (in memory unless set)
 */
public record GatewayConfig(ServerConfig server, AdminConfig admin, List<String> clientKeyEnvs,
                            BreakerConfig breaker, Map<String, ProviderConfig> providers,
                            List<RouteConfig> routes, List<JsonRouteConfig> jsonRoutes,
                            List<ClientKeyConfig> clientKeys, TracingConfig tracing, StateConfig state) {

    /** Takes the defaults of what is null and copies the collections. */
    public GatewayConfig {
        server = server != null ? server : ServerConfig.defaults();
        admin = admin != null ? admin : AdminConfig.off();
        state = state != null ? state : StateConfig.defaults();
        breaker = breaker != null ? breaker : BreakerConfig.defaults();
        clientKeyEnvs = clientKeyEnvs == null ? List.of() : List.copyOf(clientKeyEnvs);
        providers = Collections.unmodifiableMap(new LinkedHashMap<>(providers == null ? Map.of() : providers));
        routes = routes == null ? List.of() : List.copyOf(routes);
        jsonRoutes = jsonRoutes == null ? List.of() : List.copyOf(jsonRoutes);
        clientKeys = clientKeys == null ? List.of() : List.copyOf(clientKeys);
        for (ClientKeyConfig key : clientKeys) {
            if (clientKeyEnvs.contains(key.name())) {
                throw new ConfigException("client-keys: '" + key.name() + "' is also listed in client-key-envs; "
                        + "name each client once");
            }
        }
    }

    /** A configuration with its state in memory. */
    public GatewayConfig(ServerConfig server, AdminConfig admin, List<String> clientKeyEnvs, BreakerConfig breaker,
                         Map<String, ProviderConfig> providers, List<RouteConfig> routes, List<JsonRouteConfig> jsonRoutes,
                         List<ClientKeyConfig> clientKeys, TracingConfig tracing) {
        this(server, admin, clientKeyEnvs, breaker, providers, routes, jsonRoutes, clientKeys, tracing, null);
    }

    /** A configuration without tracing. */
    public GatewayConfig(ServerConfig server, AdminConfig admin, List<String> clientKeyEnvs, BreakerConfig breaker,
                         Map<String, ProviderConfig> providers, List<RouteConfig> routes, List<JsonRouteConfig> jsonRoutes,
                         List<ClientKeyConfig> clientKeys) {
        this(server, admin, clientKeyEnvs, breaker, providers, routes, jsonRoutes, clientKeys, null, null);
    }

    /** A configuration without named client keys (every key listed in {@code clientKeyEnvs}). */
    public GatewayConfig(ServerConfig server, AdminConfig admin, List<String> clientKeyEnvs, BreakerConfig breaker,
                         Map<String, ProviderConfig> providers, List<RouteConfig> routes, List<JsonRouteConfig> jsonRoutes) {
        this(server, admin, clientKeyEnvs, breaker, providers, routes, jsonRoutes, null, null, null);
    }

    /** Every client key: those of {@code clientKeyEnvs} (named after their variables), then {@code clientKeys}. */
    public List<ClientKeyConfig> allClientKeys() {
        List<ClientKeyConfig> all = new ArrayList<>(clientKeyEnvs.size() + clientKeys.size());
        clientKeyEnvs.forEach(env -> all.add(ClientKeyConfig.unnamed(env)));
        all.addAll(clientKeys);
        return List.copyOf(all);
    }
}
