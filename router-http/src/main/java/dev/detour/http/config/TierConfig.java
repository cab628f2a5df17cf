package dev.detour.http.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One tier of a route: providers tried before the next tier.
 *
 * @param providers         the providers' names; at least one, each once
 * @param timeout           each attempt's timeout (never more than the deadline leaves); {@code null}
 *                          for the deadline alone. In a streaming call, the time to the first token
 *                          unless {@code firstTokenTimeout} is set
 * @param balance           how the providers are ordered per request: {@code ordered} (the default),
 *                          {@code round-robin}, {@code weighted} (by the providers' {@code weight}) or
 *                          {@code least-latency}
 * @param retry             retries on the same provider; {@code null} for none
 * @param hedge             hedging; {@code null} for none
 * @param firstTokenTimeout in a streaming call, each attempt's time to its first token; {@code null}
 *                          to use {@code timeout}
 */
public record TierConfig(List<String> providers, Duration timeout, String balance, RetryConfig retry,
                         HedgeConfig hedge, Duration firstTokenTimeout) {

    /** The balance that keeps the providers in the order given. */
    public static final String ORDERED = "ordered";
    /** The balance that rotates the first provider per request. */
    public static final String ROUND_ROBIN = "round-robin";
    /** The balance that picks the first provider by the providers' weights. */
    public static final String WEIGHTED = "weighted";
    /** The balance that puts the provider with the lowest latency first. */
    public static final String LEAST_LATENCY = "least-latency";

    /** Checks that the providers and balance are set, and copies the list. */
    public TierConfig {
        providers = List.copyOf(providers);
        Objects.requireNonNull(balance, "balance");
    }

    /** A tier whose streams use {@code timeout} for their first token. */
    public TierConfig(List<String> providers, Duration timeout, String balance, RetryConfig retry, HedgeConfig hedge) {
        this(providers, timeout, balance, retry, hedge, null);
    }

    /** The timeout of a streaming attempt: {@code firstTokenTimeout}, else {@code timeout} (either may be null). */
    public Duration streamTimeout() {
        return firstTokenTimeout != null ? firstTokenTimeout : timeout;
    }
}
