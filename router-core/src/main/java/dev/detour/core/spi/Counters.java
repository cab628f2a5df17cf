package dev.detour.core.spi;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Counters over fixed time windows (a minute, a day), aligned to multiples of the window since the
 * epoch, that per-key limits and spend caps count in. The in-memory implementation counts for one
 * router; a shared one (Redis) counts for a fleet and must never fail or delay a request past its
 * own short timeout: when it cannot answer it counts locally instead.
 */
public interface Counters {

    /**
     * Adds {@code amount} (may be 0, to read) to the counter {@code key} in the window of length
     * {@code window} that holds now, and emits the window's new total.
     */
    Mono<Long> add(String key, long amount, Duration window);

    /** The time left until the window of length {@code window} that holds now ends. */
    Duration untilWindowEnds(Duration window);
}
