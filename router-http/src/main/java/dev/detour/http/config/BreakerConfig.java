package dev.detour.http.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The circuit breaker every provider gets (one breaker per provider, shared by every route).
 *
 * @param window         how many of the latest calls are judged (20 unless set)
 * @param minimumCalls   how many calls the window needs before it can open (10 unless set)
 * @param failureRate    the failure rate that opens it, above 0 and at most 1 (0.5 unless set)
 * @param openFor        how long it stays open before probing (30 s unless set)
 * @param halfOpenProbes how many probes must succeed to close it (3 unless set)
 * @param slowCall       a call slower than this counts as slow; {@code null} (the default) ignores
 *                       slowness
 * @param slowCallRate   the slow-call rate that opens it, above 0 and at most 1 (1.0 unless set)
 */
public record BreakerConfig(int window, int minimumCalls, double failureRate, Duration openFor,
                            int halfOpenProbes, Duration slowCall, double slowCallRate) {

    private static final BreakerConfig DEFAULTS =
            new BreakerConfig(20, 10, 0.5, Duration.ofSeconds(30), 3, null, 1.0);

    /** Checks that {@code openFor} is set. */
    public BreakerConfig {
        Objects.requireNonNull(openFor, "openFor");
    }

    /** The defaults, those of the core's {@code BreakerPolicy.defaults()}. */
    public static BreakerConfig defaults() {
        return DEFAULTS;
    }
}
