package dev.detour.core;

import java.time.Duration;

/**
 * Marks an answer that is not a live provider's full-quality answer, so the caller can say so
 * ("showing cached data as of 10:05").
 *
 * @param kind   what kind of degraded answer
 * @param reason why the route served it (the failure that ended the live tiers, or the rejection of a
 *               below-floor answer)
 * @param age    how old the data is, for a cached answer; {@link Duration#ZERO} otherwise
 */
public record Degraded(Kind kind, String reason, Duration age) {

    /** Kinds of degraded answer. */
    public enum Kind {
        /** The best live answer, though it failed a validator or the confidence floor. */
        BELOW_FLOOR,
        /** The last good answer to the same request key, from the cache. */
        LAST_KNOWN_GOOD,
        /** The route's fixed default answer. */
        STATIC_DEFAULT,
        /** The request was handed off (e.g. to a human); the answer says so. */
        HAND_OFF
    }
}
