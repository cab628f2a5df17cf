package dev.detour.http;

import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.ServerConfig;
import dev.detour.http.gateway.Gateway;
import dev.detour.llm.ApiKey;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What one configuration version serves with: its gateway, the client keys and admin token it names
 * (read from the environment), and its server limits. A reload swaps the whole value at once.
 */
record Serving(GatewayConfig config, Gateway gateway, ClientAuth clients, ClientAuth admin) {

    static Serving of(GatewayConfig config, Gateway gateway, Function<String, String> environment) {
        List<String> keys = new ArrayList<>();
        config.clientKeyEnvs().forEach(env -> keys.add(ApiKey.fromEnv(env, environment).reveal()));
        String tokenEnv = config.admin().tokenEnv();
        ClientAuth admin = tokenEnv == null ? null
                : new ClientAuth(List.of(ApiKey.fromEnv(tokenEnv, environment).reveal()), "admin token");
        return new Serving(config, gateway, new ClientAuth(keys, "API key"), admin);
    }

    ServerConfig server() {
        return config.server();
    }
}
