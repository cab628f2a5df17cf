package dev.detour.http.config;

import java.time.Duration;

/**
 * Where the router keeps what its providers share (breakers, budgets, overrides, last-known-good answers):
 * {@code memory} (the default: this instance alone) or {@code redis} (every instance on the same Redis acts as
 * one). The Redis URL, which may hold its password, is read only from the environment variable {@code url-env}.
 *
 * @param store {@code memory} or {@code redis} ({@code memory} unless set)
 * @param redis the Redis settings (the defaults unless set; used only with {@code store: redis})
 */
public record StateConfig(String store, Redis redis) {

    /** Takes the defaults of what is null. */
    public StateConfig {
        store = store != null ? store : "memory";
        redis = redis != null ? redis : new Redis(null, null, null);
    }

    /** In memory. */
    public static StateConfig defaults() {
        return new StateConfig(null, null);
    }

    /** Whether the state is shared on Redis. */
    public boolean shared() {
        return store.equals("redis");
    }

    /**
     * How to reach Redis.
     *
     * @param urlEnv    the environment variable holding {@code redis://[:password@]host:port[/db]} ({@code DETOUR_REDIS_URL} unless set)
     * @param timeout   how long any Redis command may take before the instance uses local state (5 ms unless set)
     * @param keyPrefix what every key starts with, so that fleets can share a Redis ({@code detour:} unless set)
     */
    public record Redis(String urlEnv, Duration timeout, String keyPrefix) {

        /** Takes the defaults of what is null. */
        public Redis {
            urlEnv = urlEnv != null ? urlEnv : "DETOUR_REDIS_URL";
            timeout = timeout != null ? timeout : Duration.ofMillis(5);
            keyPrefix = keyPrefix != null ? keyPrefix : "detour:";
        }
    }
}
