package dev.detour.http.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

class ConfigWatcherTest {

    private static final Duration INTERVAL = Duration.ofMillis(20);

    @TempDir
    Path dir;

    private final List<ConfigException> failures = new CopyOnWriteArrayList<>();
    private Disposable watching;

    @AfterEach
    void stop() {
        if (watching != null) {
            watching.dispose();
        }
    }

    private static String config(int port) {
        return """
                server: { port: %d }
                providers:
                  openai: { type: openai, base-url: https://api.openai.com/v1 }
                routes:
                  - { alias: smart, tiers: [ { providers: [openai] } ] }
                """.formatted(port);
    }

    /** Waits, polling, until {@code condition} holds; fails after 10 seconds. */
    private static void await(BooleanSupplier condition) {
        Flux.interval(Duration.ofMillis(5))
                .filter(tick -> condition.getAsBoolean())
                .blockFirst(Duration.ofSeconds(10));
    }

    /** Replaces {@code file} in one step, as editors save, so the watcher never sees it half written. */
    private void replace(Path file, String text) throws IOException {
        Path next = Files.writeString(Files.createTempFile(dir, "next", ".yaml"), text);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void watch(Path file, ConfigVersions versions) {
        watching = new ConfigWatcher(file, versions, INTERVAL, failures::add).start();
    }

    @Test
    void aChangedFileBecomesANewVersion() throws IOException {
        Path file = dir.resolve("detour.yaml");
        Files.writeString(file, config(8080));
        ConfigVersions versions = ConfigVersions.load(file);
        watch(file, versions);

        replace(file, config(18080));
        await(() -> versions.current().config().server().port() == 18080);

        assertThat(versions.all()).hasSize(2);
        assertThat(versions.current().number()).isEqualTo(2);
        assertThat(versions.current().source()).isEqualTo("detour.yaml");
        assertThat(failures).isEmpty();
    }

    @Test
    void anUnchangedFileMakesNoVersionEvenForAConfigBuiltFromItEarlier() throws IOException {
        Path file = dir.resolve("detour.yaml");
        replace(file, config(8080));
        ConfigVersions versions = new ConfigVersions(ConfigLoader.load(file), "detour.yaml");
        watch(file, versions);

        replace(file, config(18080));
        await(() -> versions.current().config().server().port() == 18080);

        assertThat(versions.all()).extracting(ConfigVersions.Version::number).containsExactly(1, 2);
    }

    @Test
    void aBrokenChangeKeepsTheRunningVersionAndSaysWhy() throws IOException {
        Path file = dir.resolve("detour.yaml");
        replace(file, config(8080));
        ConfigVersions versions = ConfigVersions.load(file);
        watch(file, versions);

        replace(file, config(-1) + "  - { alias: smart, tiers: [ { providers: [opnai] } ] }\n");
        await(() -> !failures.isEmpty());

        assertThat(failures.get(0)).hasMessage("""
                detour.yaml: server.port: '-1' is not a port (0-65535)
                detour.yaml: routes[1].alias: 'smart' is used twice
                detour.yaml: routes[1].tiers[0].providers[0]: no provider 'opnai' (known: openai)""");
        assertThat(versions.all()).hasSize(1);
        assertThat(versions.current().config().server().port()).isEqualTo(8080);

        replace(file, config(18080));
        await(() -> versions.current().config().server().port() == 18080);
        assertThat(versions.current().number()).isEqualTo(2);
        assertThat(failures).hasSize(1);
    }

    @Test
    void aDeletedFileIsReportedOnceAndItsReturnIsTaken() throws IOException {
        Path file = dir.resolve("detour.yaml");
        replace(file, config(8080));
        ConfigVersions versions = ConfigVersions.load(file);
        watch(file, versions);

        Files.delete(file);
        await(() -> !failures.isEmpty());
        assertThat(failures.get(0)).hasMessage("detour.yaml: cannot read " + file
                + ": no such file (the running configuration stays)");
        assertThat(versions.current().number()).isEqualTo(1);

        replace(file, config(18080));
        await(() -> versions.current().config().server().port() == 18080);
        assertThat(failures).hasSize(1);
    }

    @Test
    void theIntervalMustBePositive() {
        ConfigVersions versions = ConfigVersions.parse(config(8080), "detour.yaml");
        assertThatThrownBy(() -> new ConfigWatcher(dir.resolve("x.yaml"), versions, Duration.ZERO, failures::add))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("watch interval must be positive, was PT0S");
    }
}
