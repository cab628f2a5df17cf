package dev.detour.http.config;

import java.time.Duration;

/**
 * Hedging: while an attempt has not answered, the same request also goes to the tier's next provider.
 * Exactly one of {@code after} and {@code percentile} is set.
 *
 * @param after      a fixed delay before hedging, or {@code null}
 * @param percentile the percentile of the provider's observed latency to hedge at, between 0 and 1
 *                   exclusive (e.g. 0.95), or {@code null}
 * @param floor      the shortest adaptive delay (1 ms unless set); {@code null} with {@code after}
 * @param maxHedges  the most hedges per attempt (1 unless set)
 */
public record HedgeConfig(Duration after, Double percentile, Duration floor, int maxHedges) {

    /** Checks that exactly one of {@code after} and {@code percentile} is set. */
    public HedgeConfig {
        if ((after == null) == (percentile == null)) {
            throw new IllegalArgumentException("a hedge needs exactly one of after and percentile, was after="
                    + after + ", percentile=" + percentile);
        }
    }
}
