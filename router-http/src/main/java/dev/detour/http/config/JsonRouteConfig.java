package dev.detour.http.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A plain JSON route, served under {@code /routes/{name}/} by tiers of {@code http} providers.
 *
 * @param name          its name, the path segment after {@code /routes/}
 * @param deadline      the one deadline over every attempt (10 s unless set)
 * @param tiers         the tiers, tried in order; at least one
 * @param lastKnownGood the staleness up to which the last good answer to the same request is served
 *                      when every tier failed; {@code null} turns it off
 * @param defaultBody   the JSON text answered when every tier failed; {@code null} for none
 */
public record JsonRouteConfig(String name, Duration deadline, List<TierConfig> tiers, Duration lastKnownGood,
                              String defaultBody) {

    /** The deadline unless set. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    /** Checks that the name and deadline are set, and copies the tiers. */
    public JsonRouteConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(deadline, "deadline");
        tiers = List.copyOf(tiers);
    }
}
