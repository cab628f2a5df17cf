package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The default layout, briefly: the router and the upstream simulator each in a JVM of their own (the
 * router from {@code router-http/target/router-http.jar} when the build has made it, else from this
 * JVM's classpath), a peer beside them that gets its own header, CPU and memory per series, and a soak
 * that reads the router's heap and descriptors. The children are gone when the run ends.
 */
class SeparateJvmTest {

    private static final String COMPLETION = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"bench\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}";

    @Test
    void detourRunsInItsOwnJvmBesideAPeer(@TempDir Path out) throws Exception {
        Queue<String> configHeaders = new ConcurrentLinkedQueue<>();
        DisposableServer peer = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.post("/v1/chat/completions", (request, response) -> {
                    configHeaders.add(String.valueOf(request.requestHeaders().get("x-gateway-config")));
                    return request.receive().then(response.header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .sendString(Mono.just(COMPLETION)).then());
                }))
                .bindNow();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int status;
        try {
            status = Main.run(new String[] {"overhead", "soak", "--rate", "50", "--duration", "1s", "--warmup", "300ms",
                    "--slice", "500ms", "--soak", "1s", "--target", "peer=http://127.0.0.1:" + peer.port(),
                    "--header", "peer:x-gateway-config=abc", "--reference", "peer", "--out", out.toString()},
                    new PrintStream(new ByteArrayOutputStream()), new PrintStream(stderr, true, StandardCharsets.UTF_8));
        } finally {
            peer.disposeNow(Duration.ofSeconds(5));
        }

        assertThat(status).as(stderr.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)).as("router and upstream stopped").isEmpty();
        JsonNode json = Report.MAPPER.readTree(out.resolve("report.json").toFile());
        assertThat(json.at("/machine/layout").asText()).contains("separate JVMs", "-Xmx96m -XX:+UseSerialGC");
        JsonNode overhead = json.at("/scenarios/0");
        assertThat(overhead.get("notes").toString()).contains("Detour router (java " + String.join(" ", DetourUnderTest.ROUTER_FLAGS));
        assertThat(overhead.get("series")).extracting(s -> s.get("name").asText()).containsExactly("direct", "detour", "peer");
        for (JsonNode series : overhead.get("series")) {
            for (String key : List.of("router_cpu_pct", "upstream_cpu_pct", "generator_cpu_pct", "router_rss_mb", "upstream_rss_mb")) {
                assertThat(series.at("/resources/" + key).isNumber()).as(series.get("name") + " " + key).isTrue();
            }
            assertThat(series.at("/resources/router_rss_mb").asDouble()).isGreaterThan(20);
        }
        JsonNode detour = overhead.at("/series/1");
        assertThat(detour.at("/resources/router_heap_after_gc_mb").asDouble()).isPositive()
                .isLessThan(96).isGreaterThanOrEqualTo(detour.at("/resources/router_old_gen_after_gc_mb").asDouble());
        assertThat(detour.at("/resources/router_cpu_pct").asDouble()).as("the router worked during its turns").isPositive();
        JsonNode comparison = overhead.at("/comparisons/0");
        assertThat(comparison.get("reference").asText()).isEqualTo("peer");
        assertThat(comparison.get("rows")).extracting(r -> r.get("target").asText()).containsExactly("detour", "peer");
        long peerSent = overhead.at("/series/2/sent").asLong();
        assertThat(configHeaders).hasSizeGreaterThanOrEqualTo((int) peerSent).containsOnly("abc");

        JsonNode soak = json.at("/scenarios/1");
        assertThat(soak.get("failures")).isEmpty();
        assertThat(soak.at("/figures/open_files_start").asDouble()).isPositive();
        assertThat(soak.at("/figures/old_gen_after_gc_end_mb").asDouble()).isPositive();
        assertThat(Files.readString(out.resolve("report.md"))).contains("| added over direct |", "p50 ×peer", "router cpu pct");
    }
}
