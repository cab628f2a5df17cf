package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code client-keys}: named keys with optional limits, beside the older {@code client-key-envs}; routes' fallback spend caps. */
class ClientKeysConfigTest {

    private static final String PROVIDERS = """
            providers:
              openai: { type: openai, base-url: https://api.openai.com/v1 }
            """;

    private static List<String> problems(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(PROVIDERS + yaml, "detour.yaml")).problems();
    }

    @Test
    void namedKeysWithAndWithoutARateSitBesideTheUnnamedOnes() {
        GatewayConfig config = ConfigLoader.parse(PROVIDERS + """
                client-key-envs: [OLD_KEY]
                client-keys:
                  - { name: team-a, key-env: TEAM_A_KEY, requests-per-minute: 60 }
                  - name: team-b
                    keyEnv: TEAM_B_KEY
                """, "detour.yaml");

        assertThat(config.clientKeyEnvs()).containsExactly("OLD_KEY");
        assertThat(config.clientKeys()).containsExactly(new ClientKeyConfig("team-a", "TEAM_A_KEY", 60),
                new ClientKeyConfig("team-b", "TEAM_B_KEY", null));
        assertThat(config.allClientKeys()).containsExactly(new ClientKeyConfig("OLD_KEY", "OLD_KEY", null),
                new ClientKeyConfig("team-a", "TEAM_A_KEY", 60), new ClientKeyConfig("team-b", "TEAM_B_KEY", null));
        assertThat(ConfigLoader.requiredEnvs(config)).containsExactly("OLD_KEY", "TEAM_A_KEY", "TEAM_B_KEY");
    }

    @Test
    void aKeyMayLimitTokensAMinuteAndSpendADayAndARouteCapsItsFallbackSpend() {
        GatewayConfig config = ConfigLoader.parse(PROVIDERS + """
                client-keys:
                  - { name: team-a, key-env: TEAM_A_KEY, tokens-per-minute: 100000, spend-per-day: 25.5 }
                routes:
                  - { alias: smart, fallback-spend-per-day: 40, tiers: [ { providers: [openai] }, { providers: [openai] } ] }
                  - { alias: plain, tiers: [ { providers: [openai] } ] }
                """, "detour.yaml");

        assertThat(config.clientKeys()).containsExactly(new ClientKeyConfig("team-a", "TEAM_A_KEY", null, 100_000, 25.5));
        assertThat(config.clientKeys().get(0).limited()).isTrue();
        assertThat(ClientKeyConfig.unnamed("K").limited()).isFalse();
        assertThat(config.routes()).extracting(RouteConfig::fallbackSpendPerDay).containsExactly(40.0, null);
    }

    @Test
    void limitsAndCapsAreCheckedLikeEveryOtherPart() {
        assertThat(problems("""
                client-keys:
                  - { name: team-a, key-env: TEAM_A_KEY, tokens-per-minute: 0, spend-per-day: -1 }
                  - { name: team-b, key-env: TEAM_B_KEY, spend-per-day: lots }
                routes:
                  - { alias: smart, fallback-spend-per-day: -2, tiers: [ { providers: [openai] }, { providers: [openai] } ] }
                  - { alias: single, fallback-spend-per-day: 5, tiers: [ { providers: [openai] } ] }
                """)).containsExactly(
                "detour.yaml: client-keys[0].tokens-per-minute: '0' is not a number of tokens a minute (a whole number >= 1)",
                "detour.yaml: client-keys[0].spend-per-day: '-1' is not a spend a day, in the unit of the providers' cost-per-* prices (a number >= 0)",
                "detour.yaml: client-keys[1].spend-per-day: 'lots' is not a spend a day, in the unit of the providers' cost-per-* prices (a number >= 0)",
                "detour.yaml: routes[0].fallback-spend-per-day: '-2' is not a spend a day, in the unit of the providers' cost-per-* prices (a number >= 0)",
                "detour.yaml: routes[1].fallback-spend-per-day: caps the tiers after the first, and this route has only one; "
                        + "add a fallback tier or leave it out");
    }

    @Test
    void withoutEitherClientsNeedNoKey() {
        GatewayConfig config = ConfigLoader.parse(PROVIDERS, "detour.yaml");

        assertThat(config.clientKeys()).isEmpty();
        assertThat(config.allClientKeys()).isEmpty();
    }

    @Test
    void aKeyIsCheckedLikeEveryOtherPart() {
        assertThat(problems("""
                client-keys:
                  - { name: team-a, key-env: TEAM_A_KEY, requests-per-minute: 0 }
                  - { name: "team b", key-env: 1KEY }
                  - { key-env: KEY_C }
                  - { name: team-d, key-env: KEY_D, request-per-minute: 5 }
                  - { name: team-a, key-env: KEY_E }
                """)).containsExactly(
                "detour.yaml: client-keys[0].requests-per-minute: '0' is not a number of requests a minute (a whole number >= 1)",
                "detour.yaml: client-keys[1].name: 'team b' is not a client name (letters, digits, '.', '_' and '-', starting with a letter or digit)",
                "detour.yaml: client-keys[1].key-env: '1KEY' is not an environment variable name (letters, digits and _, not starting with a digit)",
                "detour.yaml: client-keys[2].name: missing (required: what logs and metrics call the client)",
                "detour.yaml: client-keys[3].request-per-minute: unknown field (did you mean 'requests-per-minute'?)",
                "detour.yaml: client-keys[4].name: 'team-a' is used twice");
    }

    @Test
    void aClientIsNamedOnce() {
        assertThat(problems("""
                client-key-envs: [SHARED]
                client-keys: [ { name: SHARED, key-env: OTHER } ]
                """)).containsExactly("detour.yaml: client-keys: 'SHARED' is also listed in client-key-envs; name each client once");
    }
}
