package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The side-by-side command line: named targets, per-target headers, the reference, how Detour runs. */
class OptionsTest {

    @Test
    void namedTargetsRepeatAndCarryTheirHeaders() {
        Options options = Options.parse("overhead", "--target", "nginx=http://127.0.0.1:9302/",
                "--target", "haproxy=http://127.0.0.1:9303", "--header", "nginx:x-config=a=b",
                "--header", "detour:Authorization=Bearer k", "--reference", "nginx", "--slice", "2s", "--watch", "nginx=12,13");

        assertThat(options.target()).isNull();
        assertThat(options.lineup().peers()).extracting(Peer::name).containsExactly("nginx", "haproxy");
        assertThat(options.lineup().peers().get(0).url()).isEqualTo("http://127.0.0.1:9302");
        assertThat(options.lineup().headers("nginx")).containsExactly(Map.entry("x-config", "a=b"));
        assertThat(options.lineup().headers(Peer.DETOUR)).containsExactly(Map.entry("Authorization", "Bearer k"));
        assertThat(options.lineup().headers("haproxy")).isEmpty();
        assertThat(options.lineup().reference()).isEqualTo("nginx");
        assertThat(options.lineup().slice()).isEqualTo(Duration.ofSeconds(2));
        assertThat(options.lineup().watch()).containsExactly(Map.entry("nginx", List.of(12L, 13L)));
        assertThat(options.lineup().inProcess()).isFalse();
    }

    @Test
    void aBareTargetUrlStillMeansOneExternalRouter() {
        Options options = Options.parse("--target", "http://host:8080", "--direct", "http://host:9090", "--header",
                "target:x-a=1", "--reference", "target");

        assertThat(options.target()).isEqualTo("http://host:8080");
        assertThat(options.lineup().peers()).isEmpty();
        assertThat(options.lineup().headers("target")).containsEntry("x-a", "1");
    }

    @Test
    void defaultsRunDetourInItsOwnJvmWithItsOwnUpstream() {
        Options options = Options.parse("soak", "--in-process", "--upstream", "http://127.0.0.1:1");
        Options defaults = Options.parse();

        assertThat(defaults.lineup()).isEqualTo(Lineup.DEFAULT);
        assertThat(defaults.soak()).isEqualTo(Duration.ofMinutes(10));
        assertThat(defaults.steps()).isEqualTo(16);
        assertThat(options.lineup().inProcess()).isTrue();
        assertThat(options.lineup().upstream()).isEqualTo("http://127.0.0.1:1");
        assertThat(options.scenarios()).containsExactly("soak");
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> Options.parse("--target", "nginx=http://a", "--target", "nginx=http://b"))
                .hasMessageContaining("the name 'nginx' is taken");
        assertThatThrownBy(() -> Options.parse("--target", "detour=http://a")).hasMessageContaining("'detour' is taken");
        assertThatThrownBy(() -> Options.parse("--header", "nginx:x=1")).hasMessageContaining("no peer 'nginx'");
        assertThatThrownBy(() -> Options.parse("--header", "detour:novalue")).hasMessageContaining("is not NAME:Header=value");
        assertThatThrownBy(() -> Options.parse("--reference", "direct")).hasMessageContaining("no peer 'direct'");
        assertThatThrownBy(() -> Options.parse("--target", "bad name=http://a")).hasMessageContaining("not a peer name");
        assertThatThrownBy(() -> Options.parse("--target", "nginx=ftp://a")).hasMessageContaining("not an http(s) URL");
        assertThatThrownBy(() -> Options.parse("--slice", "0s")).hasMessageContaining("--slice must be positive");
        assertThatThrownBy(() -> Options.parse("--watch", "nginx=x")).hasMessageContaining("is not a number");
    }
}
