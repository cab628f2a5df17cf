package dev.detour.http;

import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.ServerConfig;
import dev.detour.http.gateway.Gateway;
import dev.detour.llm.ApiKey;
import java.util.List;
import java.util.function.Function;

/**
 * What one configuration version serves with: its gateway, the client keys and admin token it names
 * (read from the environment), and its server limits. A reload swaps the whole value at once.
 */
record Serving(GatewayConfig config, Gateway gateway, ClientAuth clients, ClientAuth admin) {

    static Serving of(GatewayConfig config, Gateway gateway, Function<String, String> environment) {
        return of(config, gateway, environment, ClientLimits.unmetered());
    }

    /** The version {@code config} describes, its clients' buckets and counters taken from {@code limits}. */
    static Serving of(GatewayConfig config, Gateway gateway, Function<String, String> environment, ClientLimits limits) {
        List<ClientAuth.Client> clients = config.allClientKeys().stream()
                .map(key -> limits.client(key, ApiKey.fromEnv(key.keyEnv(), environment).reveal()))
                .toList();
        String tokenEnv = config.admin().tokenEnv();
        ClientAuth admin = tokenEnv == null ? null
                : ClientAuth.keys(List.of(ApiKey.fromEnv(tokenEnv, environment).reveal()), "admin token");
        return new Serving(config, gateway, new ClientAuth(clients, "API key"), admin);
    }

    ServerConfig server() {
        return config.server();
    }
}
