package dev.detour.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's "In a Spring WebFlux app" shows the code of {@link ChatApplication} verbatim: it cannot rot. */
class ReadmeWebFluxTest {

    private static final String BEGIN = "// README webflux begin";
    private static final String END = "// README webflux end";
    private static final String SECTION = "## In a Spring WebFlux app";

    @ParameterizedTest
    @ValueSource(strings = {"DetourConfig", "ChatController", "DetourErrors", "TenantFilter"})
    void theReadmeShowsTheApplicationsCodeVerbatim(String type) throws IOException {
        List<String> source = Files.readAllLines(Path.of("src/test/java/dev/detour/webflux/" + type + ".java"));
        int begin = indexOf(source, BEGIN);
        int end = indexOf(source, END);
        String snippet = String.join("\n", source.subList(begin + 1, end));
        String readme = Files.readString(Path.of("../README.md"));
        int section = readme.indexOf("\n" + SECTION + "\n");
        int next = readme.indexOf("\n## ", section + 1);

        assertThat(section).as("README section %s", SECTION).isNotNegative();
        assertThat(readme.substring(section, next < 0 ? readme.length() : next))
                .contains("```java\n" + snippet + "\n```");
    }

    private static int indexOf(List<String> lines, String line) {
        int index = lines.indexOf(line);
        assertThat(index).as("marker %s", line).isNotNegative();
        return index;
    }
}
