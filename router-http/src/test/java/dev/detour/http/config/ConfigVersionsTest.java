package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

class ConfigVersionsTest {

    private static String config(int port) {
        return """
                server: { port: %d }
                providers:
                  openai: { type: openai, base-url: https://api.openai.com/v1, api-key-env: OPENAI_API_KEY }
                routes:
                  - { alias: smart, tiers: [ { providers: [openai] } ] }
                """.formatted(port);
    }

    private static String sha256(String text) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest).substring(0, 12);
    }

    @Test
    void theFirstConfigIsVersion1() throws Exception {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");

        ConfigVersions.Version first = versions.current();
        assertThat(first.number()).isEqualTo(1);
        assertThat(first.source()).isEqualTo("detour.yaml");
        assertThat(first.sha256()).isEqualTo(sha256(config(8080))).hasSize(12);
        assertThat(first.config().server().port()).isEqualTo(8080);
        assertThat(first.loadedAt()).isNotNull();
        assertThat(versions.all()).containsExactly(first);

        ConfigVersions inCode = new ConfigVersions(ConfigLoader.parse(config(8080), "demo.yaml"), "demo.yaml");
        assertThat(inCode.current().number()).isEqualTo(1);
        assertThat(inCode.current().source()).isEqualTo("demo.yaml");
        assertThat(inCode.current().sha256()).matches("[0-9a-f]{12}");
    }

    @Test
    void aGoodOfferBecomesTheNextVersion() throws Exception {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");

        ConfigVersions.Version second = versions.offer(config(9090), "admin");

        assertThat(second.number()).isEqualTo(2);
        assertThat(second.source()).isEqualTo("admin");
        assertThat(second.sha256()).isEqualTo(sha256(config(9090)));
        assertThat(second.config().server().port()).isEqualTo(9090);
        assertThat(versions.current()).isEqualTo(second);
        assertThat(versions.all()).extracting(ConfigVersions.Version::number).containsExactly(1, 2);
    }

    @Test
    void identicalTextMakesNoNewVersion() {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");
        List<Integer> heard = new CopyOnWriteArrayList<>();
        versions.onChange(version -> heard.add(version.number()));

        assertThat(versions.offer(config(8080), "detour.yaml")).isSameAs(versions.current());
        assertThat(versions.current().number()).isEqualTo(1);
        assertThat(versions.offer(config(8080) + "# a comment\n", "detour.yaml").number()).isEqualTo(2);
        assertThat(heard).containsExactly(2);
    }

    @Test
    void aConfigBuiltInCodeIsComparedByValue() {
        ConfigVersions versions = new ConfigVersions(ConfigLoader.parse(config(8080), "detour.yaml"), "detour.yaml");

        assertThat(versions.offer(config(8080), "detour.yaml").number()).isEqualTo(1);
        assertThat(versions.offer(config(9090), "detour.yaml").number()).isEqualTo(2);
        assertThat(versions.offer(config(9090), "detour.yaml").number()).isEqualTo(2);
    }

    @Test
    void aBadOfferThrowsAndKeepsTheCurrentVersion() {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");
        List<Integer> heard = new CopyOnWriteArrayList<>();
        versions.onChange(version -> heard.add(version.number()));

        assertThatThrownBy(() -> versions.offer(config(-1) + "json-routes: {}\n", "admin"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("admin: server.port: '-1' is not a port (0-65535)\n"
                        + "admin: json-routes: expected a list of json routes, got a mapping");

        assertThat(versions.current().number()).isEqualTo(1);
        assertThat(versions.current().config().server().port()).isEqualTo(8080);
        assertThat(versions.all()).hasSize(1);
        assertThat(heard).isEmpty();
    }

    @Test
    void rollbackMakesAnEarlierVersionCurrentAsANewVersion() {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");
        ConfigVersions.Version first = versions.current();
        versions.offer(config(9090), "detour.yaml");

        ConfigVersions.Version third = versions.rollback(1);

        assertThat(third.number()).isEqualTo(3);
        assertThat(third.source()).isEqualTo("rollback to v1");
        assertThat(third.config()).isEqualTo(first.config());
        assertThat(third.sha256()).isEqualTo(first.sha256());
        assertThat(versions.current()).isEqualTo(third);
        assertThat(versions.all()).extracting(ConfigVersions.Version::source)
                .containsExactly("detour.yaml", "detour.yaml", "rollback to v1");
        assertThat(versions.offer(config(8080), "detour.yaml")).isEqualTo(third);
        assertThat(versions.rollback(3)).isEqualTo(third);
        assertThat(versions.all()).hasSize(3);
    }

    @Test
    void rollbackToAnUnknownVersionNamesTheKnownOnes() {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");
        versions.offer(config(9090), "detour.yaml");
        versions.rollback(1);

        assertThatThrownBy(() -> versions.rollback(7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no config version 7 (known: 1, 2, 3)");
        assertThat(versions.current().number()).isEqualTo(3);
    }

    @Test
    void listenersHearEveryChangeInOrderAndOneFailingListenerStopsNone() {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");
        List<String> heard = new CopyOnWriteArrayList<>();
        versions.onChange(version -> {
            throw new IllegalStateException("a broken listener");
        });
        versions.onChange(version -> heard.add(version.number() + " " + version.source()
                + " current=" + versions.current().number()));

        versions.offer(config(9090), "detour.yaml");
        versions.offer(config(9091), "admin");
        versions.rollback(1);

        assertThat(heard).containsExactly("2 detour.yaml current=2", "3 admin current=3", "4 rollback to v1 current=4");
    }

    @Test
    void concurrentOffersGetDistinctNumbersHeardInOrder() {
        ConfigVersions versions = ConfigVersions.parse(config(8000), "detour.yaml");
        List<Integer> heard = new CopyOnWriteArrayList<>();
        versions.onChange(version -> heard.add(version.number()));

        List<Integer> numbers = Flux.range(1, 40)
                .parallel(8)
                .runOn(Schedulers.boundedElastic())
                .map(i -> versions.offer(config(8000 + i), "admin").number())
                .sequential()
                .collectList()
                .block(Duration.ofSeconds(30));

        assertThat(numbers).doesNotHaveDuplicates().hasSize(40).allMatch(n -> n >= 2 && n <= 41);
        assertThat(heard).isSorted().hasSize(40);
        assertThat(versions.all()).extracting(ConfigVersions.Version::number).isSorted().hasSize(41);
        assertThat(versions.current().number()).isEqualTo(41);
    }
}
