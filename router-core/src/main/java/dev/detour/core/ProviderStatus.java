package dev.detour.core;

import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;

/**
 * What a router knows of one provider now, for operators and admin endpoints.
 *
 * @param provider   the provider's name
 * @param breaker    its circuit breaker's state and window
 * @param latency    the moving average of its latency, or null before its first answer
 * @param errorRate  the moving average of its failure rate, 0 to 1
 * @param disabled   whether an operator disabled it
 */
public record ProviderStatus(String provider, CircuitBreaker.Snapshot breaker, Duration latency, double errorRate,
                             boolean disabled) {
}
