package dev.detour.core;

import java.time.Duration;
import java.util.List;

/**
 * A served answer and how it was reached.
 *
 * @param value    the answer
 * @param provider the provider that served it, or for a degraded answer the step that did
 *                 ({@code last-known-good}, {@code default}, {@code hand-off})
 * @param tier     the tier that served it, from 0; -1 for a degraded step
 * @param attempts every attempt made, in order (for a live answer, the serving one last)
 * @param elapsed  the time from the start of the request to the answer
 * @param degraded how the answer is degraded, or null for a live answer that passed every check
 * @param <O>      the answer type
 */
public record Outcome<O>(O value, String provider, int tier, List<Attempt> attempts, Duration elapsed,
                         Degraded degraded) {

    /** Whether a path other than the first was taken. */
    public boolean fellBack() {
        return fallbackTrigger() != null;
    }

    /** Calls made to providers: attempts, less those the router refused without a call (breaker open, disabled). */
    public int calls() {
        return Attempt.calls(attempts);
    }

    /**
     * The failure that last moved the request on to another provider or to a degraded answer, or null.
     * A retry on the same provider is not a fallback.
     */
    public Failure fallbackTrigger() {
        Failure trigger = null;
        for (int i = 0; i < attempts.size(); i++) {
            Attempt attempt = attempts.get(i);
            Attempt next = i + 1 < attempts.size() ? attempts.get(i + 1) : null;
            boolean movedOn = next == null ? degraded != null
                    : attempt.tier() != next.tier() || !attempt.provider().equals(next.provider());
            if (attempt.failure() != null && movedOn) {
                trigger = attempt.failure();
            }
        }
        return trigger;
    }
}
