package dev.detour.http.config;

import dev.detour.core.policy.BreakerPolicy;
import java.time.Duration;

/**
 * The circuit breaker every provider gets (one breaker per provider, shared by every route): a
 * {@link BreakerPolicy}, whose builder states the defaults and rules.
 *
 * @param window         how many of the latest calls are judged (the policy's 20 unless set)
 * @param minimumCalls   how many calls the window needs before it can open (10 unless set); set, at
 *                       most the window
 * @param failureRate    the failure rate that opens it, above 0 and at most 1 (0.5 unless set)
 * @param openFor        how long it stays open before probing (30 s unless set)
 * @param halfOpenProbes how many probes must succeed to close it (3 unless set)
 * @param slowCall       a call slower than this counts as slow; {@code null} (the default) ignores
 *                       slowness
 * @param slowCallRate   the slow-call rate that opens it, above 0 and at most 1 (1.0 unless set)
 */
public record BreakerConfig(Integer window, Integer minimumCalls, Double failureRate, Duration openFor,
                            Integer halfOpenProbes, Duration slowCall, Double slowCallRate) {

    private static final BreakerConfig DEFAULTS = new BreakerConfig(null, null, null, null, null, null, null);

    /**
     * Builds the policy, then holds its values for what is null.
     *
     * @throws ConfigException when the policy's builder refuses the values, naming the field
     */
    public BreakerConfig {
        BreakerPolicy policy = policy(window, minimumCalls, failureRate, openFor, halfOpenProbes, slowCall, slowCallRate, true);
        window = policy.countWindow();
        minimumCalls = policy.minimumCalls();
        failureRate = policy.failureRate();
        openFor = policy.openFor();
        halfOpenProbes = policy.halfOpenProbes();
        slowCallRate = slowCallRate != null ? slowCallRate : BreakerPolicy.DEFAULT_SLOW_CALL_RATE;
    }

    /** The core's defaults, those of {@code BreakerPolicy.defaults()}. */
    public static BreakerConfig defaults() {
        return DEFAULTS;
    }

    /** The policy (the values were judged when this was made; a default minimum is not re-stated as given). */
    public BreakerPolicy policy() {
        return policy(window, minimumCalls, failureRate, openFor, halfOpenProbes, slowCall, slowCallRate, false);
    }

    private static BreakerPolicy policy(Integer window, Integer minimumCalls, Double failureRate, Duration openFor,
                                        Integer halfOpenProbes, Duration slowCall, Double slowCallRate, boolean given) {
        BreakerPolicy.Builder policy = BreakerPolicy.builder();
        if (window != null) {
            policy.countWindow(window);
        }
        if (minimumCalls != null && (given || minimumCalls != BreakerPolicy.defaults().minimumCalls())) {
            policy.minimumCalls(minimumCalls);
        }
        if (failureRate != null) {
            policy.failureRate(failureRate);
        }
        if (openFor != null) {
            policy.openFor(openFor);
        }
        if (halfOpenProbes != null) {
            policy.halfOpenProbes(halfOpenProbes);
        }
        if (slowCall != null && slowCallRate != null) {
            policy.slowCalls(slowCall, slowCallRate);
        } else if (slowCall != null) {
            policy.slowCalls(slowCall);
        }
        try {
            return policy.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage().replaceFirst("^minimumCalls ", "minimum-calls: "));
        }
    }
}
