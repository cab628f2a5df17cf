package dev.detour.http.config;

/**
 * One client key ({@code client-keys: [ { name: team-a, key-env: TEAM_A_KEY, requests-per-minute: 60 } ]}).
 *
 * @param name              what logs and metrics call the client; the key itself never appears in either
 * @param keyEnv            the environment variable holding the key the client presents as its bearer token
 * @param requestsPerMinute the most requests a minute the key may make (a token bucket holding a minute's
 *                          worth, refilled evenly), or null for no limit
 */
public record ClientKeyConfig(String name, String keyEnv, Integer requestsPerMinute) {

    /** An unlimited key named after its environment variable: what {@code client-key-envs: [ENV]} lists. */
    public static ClientKeyConfig unnamed(String keyEnv) {
        return new ClientKeyConfig(keyEnv, keyEnv, null);
    }
}
