package dev.detour.http.config;

import java.util.Objects;

/**
 * The admin API: provider state, disable / enable / force-open, config versions, reload, rollback.
 *
 * @param tokenEnv   the environment variable holding the admin token; {@code null} turns the admin
 *                   API off
 * @param pathPrefix where the admin API is served ({@code /admin} unless set)
 */
public record AdminConfig(String tokenEnv, String pathPrefix) {

    /** The path prefix unless set. */
    public static final String DEFAULT_PATH_PREFIX = "/admin";

    private static final AdminConfig OFF = new AdminConfig(null, DEFAULT_PATH_PREFIX);

    /** Checks that the path prefix is set. */
    public AdminConfig {
        Objects.requireNonNull(pathPrefix, "pathPrefix");
    }

    /** No admin API. */
    public static AdminConfig off() {
        return OFF;
    }

    /** Whether the admin API is served, i.e. a token variable is named. */
    public boolean enabled() {
        return tokenEnv != null;
    }
}
