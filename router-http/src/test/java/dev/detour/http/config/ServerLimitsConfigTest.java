package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The {@code server:} keys for slow and malformed clients: their defaults, their values, their checks. */
class ServerLimitsConfigTest {

    private static final String PROVIDERS = """
            providers:
              openai: { type: openai, base-url: https://api.openai.com/v1 }
            """;

    @Test
    void theLimitsHaveDefaults() {
        ServerConfig server = ConfigLoader.parse(PROVIDERS, "detour.yaml").server();

        assertThat(server.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(server.bodyIdleTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(server.bodyTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(server.keepAliveTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(server.maxHeaderBytes()).isEqualTo(16384);
        assertThat(server.maxConnections()).isEqualTo(4096);
        assertThat(server).isEqualTo(ServerConfig.defaults());
    }

    @Test
    void theLimitsAreRead() {
        ServerConfig server = ConfigLoader.parse(PROVIDERS + """
                server: { header-timeout: 2s, body-idle-timeout: 500ms, body-timeout: 30s, keep-alive-timeout: 5m,
                          max-header-bytes: 8192, max-connections: 100 }
                """, "detour.yaml").server();

        assertThat(server.headerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(server.bodyIdleTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(server.bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(server.keepAliveTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(server.maxHeaderBytes()).isEqualTo(8192);
        assertThat(server.maxConnections()).isEqualTo(100);
    }

    @Test
    void badLimitsAreReported() {
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(PROVIDERS + """
                server: { header-timeout: 0s, body-idle-timeout: soon, max-header-bytes: 10, max-connections: 0 }
                """, "detour.yaml")).problems()).containsExactly(
                "detour.yaml: server.header-timeout: '0s' is not a positive duration",
                "detour.yaml: server.body-idle-timeout: 'soon' is not a duration (use e.g. 250ms, 5s, 2m, 1h)",
                "detour.yaml: server.max-header-bytes: '10' is not a number of bytes from 1024 to 1048576",
                "detour.yaml: server.max-connections: '0' is not a positive number of connections");
    }
}
