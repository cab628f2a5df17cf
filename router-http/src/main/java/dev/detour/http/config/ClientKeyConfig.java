package dev.detour.http.config;

/**
 * One client key ({@code client-keys: [ { name: team-a, key-env: TEAM_A_KEY, requests-per-minute: 60,
 * tokens-per-minute: 100000, spend-per-day: 25 } ]}). Each limit counts in fixed windows (a minute, a day from
 * midnight UTC) in the router's counters: per router, or for a fleet when they are shared.
 *
 * @param name              what logs and metrics call the client; the key itself never appears in either
 * @param keyEnv            the environment variable holding the key the client presents as its bearer token
 * @param requestsPerMinute the most requests a minute the key may make, or null for no limit
 * @param tokensPerMinute   the most tokens (prompt and completion, from the answers' usage) a minute, or null
 * @param spendPerDay       the most the key's requests may spend a day, in the unit of the providers'
 *                          {@code cost-per-*} prices, or null for no budget
 */
public record ClientKeyConfig(String name, String keyEnv, Integer requestsPerMinute, Integer tokensPerMinute,
                              Double spendPerDay) {

    /** A key with at most a request rate. */
    public ClientKeyConfig(String name, String keyEnv, Integer requestsPerMinute) {
        this(name, keyEnv, requestsPerMinute, null, null);
    }

    /** An unlimited key named after its environment variable: what {@code client-key-envs: [ENV]} lists. */
    public static ClientKeyConfig unnamed(String keyEnv) {
        return new ClientKeyConfig(keyEnv, keyEnv, null);
    }

    /** Whether the key has any limit. */
    public boolean limited() {
        return requestsPerMinute != null || tokensPerMinute != null || spendPerDay != null;
    }
}
