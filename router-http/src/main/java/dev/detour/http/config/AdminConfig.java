package dev.detour.http.config;

import java.util.List;

/**
 * The admin API: provider state, disable / enable / force-open, config versions, reload, rollback.
 *
 * @param tokenEnv   the environment variable holding the admin token; {@code null} turns the admin
 *                   API off
 * @param pathPrefix where the admin API is served ({@code /admin} unless set); it cannot hide the
 *                   router's own paths
 */
public record AdminConfig(String tokenEnv, String pathPrefix) {

    /** The path prefix unless set. */
    public static final String DEFAULT_PATH_PREFIX = "/admin";

    private static final List<String> RESERVED_PATHS = List.of("/v1", "/routes", "/metrics", "/healthz", "/readyz");
    private static final AdminConfig OFF = new AdminConfig(null, null);

    /**
     * Takes the default prefix unless set.
     *
     * @throws ConfigException when the prefix would hide the router's own paths
     */
    public AdminConfig {
        pathPrefix = pathPrefix != null ? pathPrefix : DEFAULT_PATH_PREFIX;
        for (String reserved : RESERVED_PATHS) {
            if (pathPrefix.equals(reserved) || pathPrefix.startsWith(reserved + "/")) {
                throw new ConfigException("path-prefix: '" + pathPrefix + "' would hide the router's own " + reserved + " paths");
            }
        }
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
