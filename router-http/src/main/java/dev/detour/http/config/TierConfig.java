package dev.detour.http.config;

import dev.detour.core.Provider;
import dev.detour.core.Tier;
import dev.detour.core.policy.Balancer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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

    /** How a tier orders its providers for each request. */
    public enum Balance {
        /** In the order given. */
        ORDERED,
        /** The first provider rotates per request. */
        ROUND_ROBIN,
        /** The first provider is drawn by the providers' weights. */
        WEIGHTED,
        /** The provider with the lowest recent latency first. */
        LEAST_LATENCY;

        /** The balancer, weighing providers by {@code weights}. */
        Balancer balancer(Map<String, Double> weights) {
            return switch (this) {
                case ORDERED -> Balancer.ordered();
                case ROUND_ROBIN -> Balancer.roundRobin();
                case WEIGHTED -> Balancer.weighted(weights);
                case LEAST_LATENCY -> Balancer.leastLatency();
            };
        }
    }

    /** Copies the providers and takes the ordered balance unless set. */
    public TierConfig {
        providers = List.copyOf(providers);
        balance = balance == null ? Words.word(Balance.ORDERED) : Words.canonical(Balance.class, balance);
    }

    /** A tier whose streams use {@code timeout} for their first token. */
    public TierConfig(List<String> providers, Duration timeout, String balance, RetryConfig retry, HedgeConfig hedge) {
        this(providers, timeout, balance, retry, hedge, null);
    }

    /** The timeout of a streaming attempt: {@code firstTokenTimeout}, else {@code timeout} (either may be null). */
    public Duration streamTimeout() {
        return firstTokenTimeout != null ? firstTokenTimeout : timeout;
    }

    /**
     * The core tier of {@code providers} (this tier's, built for one kind of call) with {@code timeout}
     * when set, and this tier's retry, hedge and balance, weighing providers by {@code weights}.
     */
    public <I, O> Tier<I, O> tier(List<? extends Provider<I, O>> providers, Duration timeout, Map<String, Double> weights) {
        Tier.Builder<I, O> tier = Tier.builder(providers);
        if (timeout != null) {
            tier.timeout(timeout);
        }
        if (retry != null) {
            tier.retry(retry.policy());
        }
        if (hedge != null) {
            tier.hedge(hedge.policy());
        }
        return tier.balance(Words.value(Balance.class, balance).balancer(weights)).build();
    }
}
