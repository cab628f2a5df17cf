package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.policy.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The README's quick-start is this test's code, verbatim: it compiles, runs, and cannot rot. */
class ReadmeQuickStartTest {

    private static final String BEGIN = "// README quick-start begin";
    private static final String END = "// README quick-start end";

    @Test
    void theQuickStartServesFromTheThirdTierWithinItsDeadline() {
        // README quick-start begin
        Router router = Router.create();

        Provider<String, String> primary = Provider.of("primary",
                (question, attempt) -> Mono.error(ProviderException.status(503, "overloaded")));
        Provider<String, String> secondary = Provider.of("secondary",
                (question, attempt) -> Mono.delay(Duration.ofSeconds(5)).thenReturn("a slow answer"));
        Provider<String, String> cache = Provider.of("cache",
                (question, attempt) -> Mono.just("a cached answer"));

        Route<String, String> route = router.<String, String>route("answer")
                .deadline(Duration.ofSeconds(3))
                .tier(Tier.of(primary).timeout(Duration.ofSeconds(1))
                        .retry(RetryPolicy.backoff(2, Duration.ofMillis(100))))
                .tier(Tier.of(secondary).timeout(Duration.ofSeconds(1)))
                .tier(cache)
                .build();

        Mono<Outcome<String>> answer = route.execute("Where is my order?");
        // "a cached answer" from cache after [primary#1 503, primary#2 503, secondary#1 timeout 1000ms, cache#1 ok]
        // README quick-start end

        StepVerifier.withVirtualTime(() -> answer)
                .thenAwait(Duration.ofSeconds(3))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("a cached answer");
                    assertThat(outcome.provider()).isEqualTo("cache");
                    assertThat(outcome.attempts()).hasToString(
                            "[primary#1 503, primary#2 503, secondary#1 timeout 1000ms, cache#1 ok]");
                    assertThat(outcome.elapsed()).isLessThan(Duration.ofSeconds(3));
                })
                .verifyComplete();
    }

    @Test
    void theReadmeShowsTheQuickStartVerbatimInUnderTwentyFiveLines() throws IOException {
        List<String> source = Files.readAllLines(Path.of("src/test/java/dev/detour/core/ReadmeQuickStartTest.java"));
        int begin = indexOf(source, "        " + BEGIN);
        int end = indexOf(source, "        " + END);
        List<String> snippet = source.subList(begin + 1, end).stream()
                .map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.toList());
        String readme = Files.readString(Path.of("../README.md"));

        assertThat(readme).contains("```java\n" + String.join("\n", snippet) + "\n```");
        assertThat(snippet).hasSizeLessThan(25);
    }

    private static int indexOf(List<String> lines, String line) {
        int index = lines.indexOf(line);
        assertThat(index).as("marker %s", line.strip()).isNotNegative();
        return index;
    }
}
