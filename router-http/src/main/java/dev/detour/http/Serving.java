package dev.detour.http;

import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.ServerConfig;
import dev.detour.http.gateway.Gateway;
import dev.detour.http.limits.KeyLimits;
import dev.detour.llm.ApiKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * What one configuration version serves with: its gateway, the client keys (read from the environment, each
 * with its limits) and admin token it names, the server's key limits, and its server settings. A reload swaps
 * the whole value at once; what the limits counted stays in the router's counters.
 */
record Serving(GatewayConfig config, Gateway gateway, ClientAuth clients, ClientAuth admin, KeyLimits limits) {

    /** The version {@code config} describes, its clients' limits and meters taken from {@code limits}. */
    static Serving of(GatewayConfig config, Gateway gateway, Function<String, String> environment, KeyLimits limits) {
        List<ClientAuth.Client> clients = config.allClientKeys().stream()
                .map(key -> new ClientAuth.Client(key.name(),
                        ApiKey.fromEnv(key.keyEnv(), environment).reveal().getBytes(StandardCharsets.UTF_8),
                        limits.key(key)))
                .toList();
        String tokenEnv = config.admin().tokenEnv();
        ClientAuth admin = tokenEnv == null ? null
                : ClientAuth.keys(List.of(ApiKey.fromEnv(tokenEnv, environment).reveal()), "admin token");
        return new Serving(config, gateway, new ClientAuth(clients, "API key"), admin, limits);
    }

    ServerConfig server() {
        return config.server();
    }
}
