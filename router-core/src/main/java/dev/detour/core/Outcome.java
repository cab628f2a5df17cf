package dev.detour.core;

import java.time.Duration;
import java.util.List;

/**
 * A served answer and how it was reached.
 *
 * @param value    the answer
 * @param provider the provider that served it
 * @param tier     the tier that served it, from 0
 * @param attempts every attempt made, in order, the serving one last
 * @param elapsed  the time from the start of the request to the answer
 * @param <O>      the answer type
 */
public record Outcome<O>(O value, String provider, int tier, List<Attempt> attempts, Duration elapsed) {

    /** Whether a path other than the first was taken. */
    public boolean fellBack() {
        return fallbackTrigger() != null;
    }

    /**
     * The failure that last moved the request on to another provider, or null. A retry on the same
     * provider is not a fallback.
     */
    public Failure fallbackTrigger() {
        Failure trigger = null;
        for (int i = 0; i < attempts.size() - 1; i++) {
            Attempt attempt = attempts.get(i);
            Attempt next = attempts.get(i + 1);
            if (attempt.failure() != null
                    && (attempt.tier() != next.tier() || !attempt.provider().equals(next.provider()))) {
                trigger = attempt.failure();
            }
        }
        return trigger;
    }
}
