package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The JVM flags the benchmark runs the router with are the ones the README tells users to run it with. */
class RecommendedFlagsTest {

    @Test
    void theReadmeRecommendsTheFlagsTheBenchmarkUses() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme).contains("java " + String.join(" ", DetourUnderTest.ROUTER_FLAGS)
                + " -jar router-http/target/router-http.jar");
    }
}
