package dev.detour.http;

import dev.detour.core.spi.StateStore;
import dev.detour.http.config.ConfigException;
import dev.detour.http.config.StateConfig;
import dev.detour.state.redis.RedisStateStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Function;

/** Opens the state store the configuration names, and tells a readiness probe how it is. */
final class SharedState {

    private SharedState() {
    }

    /**
     * In memory, or on the Redis whose URL is in the environment variable the config names; a Redis that does not
     * answer yet is no error (the instance serves from local state until it does).
     *
     * @throws ConfigException when the variable is not set or holds no Redis URL (the value is never shown)
     */
    static StateStore open(StateConfig config, Function<String, String> environment, MeterRegistry registry) {
        if (!config.shared()) {
            return StateStore.inMemory();
        }
        StateConfig.Redis redis = config.redis();
        String url = environment.apply(redis.urlEnv());
        if (url == null || url.isBlank()) {
            throw new ConfigException("state.redis.url-env: the environment variable " + redis.urlEnv()
                    + " is not set (it holds redis://[:password@]host:port)");
        }
        try {
            return RedisStateStore.builder(url.strip()).timeout(redis.timeout()).keyPrefix(redis.keyPrefix())
                    .meterRegistry(registry).build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("state.redis.url-env: the environment variable " + redis.urlEnv()
                    + " holds no Redis URL (redis://[:password@]host:port); its value is not shown");
        }
    }

    /** {@code state: memory}, {@code state: redis available}, or {@code state: redis unavailable: …; serving from local state}. */
    static String describe(StateStore store) {
        StateStore.Health health = store.health();
        return "state: " + health.store() + (health.store().equals("memory") ? "" : " " + health.detail()) + "\n";
    }

    /** Closes a Redis store's connections (blocks a little: from a main or shutdown thread). */
    static void close(StateStore store) {
        if (store instanceof RedisStateStore redis) {
            redis.close();
        }
    }
}
