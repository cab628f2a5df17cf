package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code state} section: in memory unless set, Redis with its defaults, and its mistakes named by field. */
class StateConfigTest {

    private static final String PROVIDERS = """
            providers:
              openai: { type: openai, base-url: https://api.openai.com/v1 }
            """;

    @Test
    void stateIsInMemoryUnlessSet() {
        StateConfig state = ConfigLoader.parse(PROVIDERS, "detour.yaml").state();
        assertThat(state.shared()).isFalse();
        assertThat(state.redis()).isEqualTo(new StateConfig.Redis("DETOUR_REDIS_URL", Duration.ofMillis(5), "detour:"));
    }

    @Test
    void redisTakesItsUrlVariableTimeoutAndPrefix() {
        StateConfig state = ConfigLoader.parse(PROVIDERS + """
                state: { store: redis, redis: { url-env: FLEET_REDIS, timeout: 20ms, key-prefix: "fleet-a:" } }
                """, "detour.yaml").state();
        assertThat(state.shared()).isTrue();
        assertThat(state.redis()).isEqualTo(new StateConfig.Redis("FLEET_REDIS", Duration.ofMillis(20), "fleet-a:"));
        assertThat(ConfigLoader.parse(PROVIDERS + "state: { store: redis }\n", "detour.yaml").state().redis().urlEnv())
                .isEqualTo("DETOUR_REDIS_URL");
    }

    @Test
    void mistakesAreNamedByTheirField() {
        List<String> problems = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(PROVIDERS + """
                state: { store: disk, redis: { url: "redis://:pw@host:6379", timeout: soon, key-prefix: "has space" } }
                """, "detour.yaml")).problems();
        assertThat(String.join("\n", problems)).contains("state.store", "memory or redis", "state.redis", "url",
                "state.redis.timeout", "state.redis.key-prefix").doesNotContain("pw@host");
    }
}
