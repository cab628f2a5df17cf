package dev.detour.http.config;

import dev.detour.core.policy.HedgePolicy;
import java.time.Duration;

/**
 * Hedging: while an attempt has not answered, the same request also goes to the tier's next provider.
 * A {@link HedgePolicy}, whose builder states the defaults and rules: exactly one of {@code after} and
 * {@code percentile}, and a floor only with a percentile.
 *
 * @param after      a fixed delay before hedging, or {@code null}
 * @param percentile the percentile of the provider's observed latency to hedge at, between 0 and 1
 *                   exclusive (e.g. 0.95), or {@code null}
 * @param floor      the shortest adaptive delay (the policy's 1 ms unless set); {@code null} with {@code after}
 * @param maxHedges  the most hedges per attempt (1 unless set)
 */
public record HedgeConfig(Duration after, Double percentile, Duration floor, Integer maxHedges) {

    /**
     * Builds the policy, then holds its values for what is null.
     *
     * @throws ConfigException when the policy's builder refuses the values
     */
    public HedgeConfig {
        HedgePolicy policy = policy(after, percentile, floor, maxHedges);
        floor = policy.adaptive() ? policy.floor() : null;
        maxHedges = policy.maxHedges();
    }

    /** The policy. */
    public HedgePolicy policy() {
        return policy(after, percentile, floor, maxHedges);
    }

    private static HedgePolicy policy(Duration after, Double percentile, Duration floor, Integer maxHedges) {
        HedgePolicy.Builder policy = HedgePolicy.builder();
        if (after != null) {
            policy.after(after);
        }
        if (percentile != null) {
            policy.percentile(percentile);
        }
        if (floor != null) {
            policy.floor(floor);
        }
        if (maxHedges != null) {
            policy.maxHedges(maxHedges);
        }
        try {
            return policy.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage().replaceFirst("^floor ", "floor: "));
        }
    }
}
