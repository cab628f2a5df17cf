package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.http.config.ConfigException;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.http.config.GatewayConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * With tracing on, a request is a server span under the client's {@code traceparent}, with the route's
 * request span and a span per attempt under it, and the provider gets the attempt's {@code traceparent}.
 */
class TracingTest {

    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_SPAN = "b7ad6b7169203331";
    private static final String ANSWER = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}";
    private static final List<HttpHeaders> seen = new CopyOnWriteArrayList<>();
    private static final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private static DisposableServer upstream;
    private static DetourServer router;

    @BeforeAll
    static void start() {
        upstream = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> {
                    seen.add(request.requestHeaders().copy());
                    String answer = request.uri().endsWith("/count_tokens") ? "{\"input_tokens\":7}" : ANSWER;
                    return request.receive().then(response.header("content-type", "application/json")
                            .sendString(Mono.just(answer)).then());
                })
                .bindNow();
        router = router("", exporter);
    }

    /** A router with tracing exported to {@code exporter} (which it shuts down when closed), its config's tracing section {@code tracing}. */
    private static DetourServer router(String tracing, InMemorySpanExporter exporter) {
        String config = """
                server: { port: 0 }
                %s
                providers:
                  down:    { type: openai, base-url: "http://127.0.0.1:1/v1", api-key-env: UPSTREAM_KEY, model: m-down }
                  capture: { type: openai, base-url: "http://127.0.0.1:%d/v1", api-key-env: UPSTREAM_KEY, model: gpt-4o-mini }
                  claude:  { type: anthropic, base-url: "http://127.0.0.1:%2$d/v1", api-key-env: UPSTREAM_KEY, model: claude-haiku-4-5 }
                routes:
                  - alias: chat
                    tiers: [ { providers: [down] }, { providers: [capture] } ]
                  - alias: claude
                    tiers: [ { providers: [claude] } ]
                """.formatted(tracing, upstream.port());
        return DetourServer.start(new ConfigVersions(ConfigLoader.parse(config, "test.yaml"), "test.yaml"),
                Map.of("UPSTREAM_KEY", "sk-upstream")::get,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Tracing.exportingTo(exporter));
    }

    private static int post(DetourServer server, String path, String body) {
        return HttpClient.create().baseUrl(server.baseUrl())
                .headers(h -> h.set("traceparent", "00-" + TRACE + "-" + CLIENT_SPAN + "-01"))
                .post().uri(path)
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((response, content) -> content.asString().thenReturn(response.status().code()))
                .block(Harness.WAIT);
    }

    private static void awaitSpan(String name) {
        awaitSpan(exporter, name);
    }

    private static void awaitSpan(InMemorySpanExporter exporter, String name) {
        Harness.await("span " + name + " ends", () -> exporter.getFinishedSpanItems().stream()
                .anyMatch(span -> span.getName().equals(name)));
    }

    @AfterAll
    static void stop() {
        router.close();
        upstream.disposeNow();
    }

    @Test
    void aFallbackThroughTheRouterIsOneTraceFromTheClientsSpanToTheProvider() {
        exporter.reset();
        seen.clear();
        assertThat(post(router, "/v1/chat/completions", Harness.chat("chat", false))).isEqualTo(200);
        awaitSpan("POST /v1/chat/completions");

        String tree = tree(exporter.getFinishedSpanItems());
        System.out.println("A fallback through router-http, as spans (client traceparent 00-" + TRACE + "-" + CLIENT_SPAN
                + "-01):\n" + tree);
        assertThat(tree.lines().map(line -> line.substring(0, line.indexOf(" ("))).toList()).containsExactly(
                "POST /v1/chat/completions", "  detour.request chat", "    chat m-down", "    chat gpt-4o-mini");
        SpanData server = span("POST /v1/chat/completions");
        assertThat(server.getTraceId()).isEqualTo(TRACE);
        assertThat(server.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        SpanData down = span("chat m-down");
        SpanData capture = span("chat gpt-4o-mini");
        assertThat(down.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attribute(down, "detour.failure.kind")).isEqualTo("connection");
        assertThat(attribute(capture, "detour.attempt.role")).isEqualTo("fallback");
        assertThat(attribute(capture, "detour.fallback.reason")).isEqualTo("connection");
        assertThat(attribute(span("detour.request chat"), "detour.served_by")).isEqualTo("capture");
        assertThat(attribute(capture, "gen_ai.operation.name")).isEqualTo("chat");
        assertThat(attribute(capture, "gen_ai.provider.name")).isEqualTo("openai");
        assertThat(attribute(capture, "gen_ai.request.model")).isEqualTo("gpt-4o-mini");
        assertThat(attribute(capture, "detour.client.model")).isEqualTo("chat");
        assertThat(attribute(capture, "detour.provider")).isEqualTo("capture");
        assertThat(attribute(capture, "gen_ai.input.messages")).isNull();
        assertThat(attribute(capture, "gen_ai.output.messages")).isNull();
        assertThat(attribute(capture, "gen_ai.response.model")).isEqualTo("m");
        assertThat(attribute(capture, "gen_ai.response.finish_reasons")).isEqualTo("stop");
        assertThat(attribute(capture, "gen_ai.usage.input_tokens")).isEqualTo("9");
        assertThat(attribute(capture, "gen_ai.usage.output_tokens")).isEqualTo("1");
        assertThat(attribute(down, "gen_ai.provider.name")).isEqualTo("openai");
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).get("traceparent")).isEqualTo("00-" + TRACE + "-" + capture.getSpanId() + "-01");
    }

    @Test
    void countTokensIsAServerSpanWithTheProvidersCallAsItsChildAndTheProviderGetsItsTraceparent() {
        exporter.reset();
        seen.clear();
        String body = "{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        assertThat(post(router, "/v1/messages/count_tokens", body)).isEqualTo(200);
        awaitSpan("POST /v1/messages/count_tokens");

        String tree = tree(exporter.getFinishedSpanItems());
        assertThat(tree.lines().map(line -> line.substring(0, line.indexOf(" ("))).toList())
                .containsExactly("POST /v1/messages/count_tokens", "  count_tokens claude-haiku-4-5");
        SpanData server = span("POST /v1/messages/count_tokens");
        assertThat(server.getTraceId()).isEqualTo(TRACE);
        assertThat(server.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        SpanData count = span("count_tokens claude-haiku-4-5");
        assertThat(count.getKind().name()).isEqualTo("CLIENT");
        assertThat(attribute(count, "detour.provider")).isEqualTo("claude");
        assertThat(attribute(count, "gen_ai.provider.name")).isEqualTo("anthropic");
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).get("traceparent")).isEqualTo("00-" + TRACE + "-" + count.getSpanId() + "-01");
    }

    @Test
    void withCaptureContentTheAttemptsRecordTheMessagesSentAndReceived() {
        InMemorySpanExporter own = InMemorySpanExporter.create();
        DetourServer capturing = router("tracing: { otlp-endpoint: \"http://127.0.0.1:1/v1/traces\", capture-content: true }", own);
        List<SpanData> spans;
        try {
            assertThat(post(capturing, "/v1/chat/completions", Harness.chat("chat", false))).isEqualTo(200);
            awaitSpan(own, "POST /v1/chat/completions");
            spans = List.copyOf(own.getFinishedSpanItems());
        } finally {
            capturing.close();
        }

        SpanData capture = spans.stream().filter(span -> span.getName().equals("chat gpt-4o-mini")).findFirst().orElseThrow();
        assertThat(attribute(capture, "gen_ai.input.messages"))
                .isEqualTo("[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]");
        assertThat(attribute(capture, "gen_ai.output.messages")).isEqualTo(
                "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}],\"finish_reason\":\"stop\"}]");
    }

    @Test
    void theTracingSectionNamesAnOtlpEndpointASampleRatioAndWhetherToCaptureContent() {
        GatewayConfig config = ConfigLoader.parse("""
                tracing: { otlp-endpoint: "http://collector:4318/v1/traces", sample-ratio: 0.25 }
                providers: { a: { type: openai, base-url: "http://127.0.0.1:1/v1" } }
                routes: [ { alias: chat, tiers: [ { providers: [a] } ] } ]
                """, "t.yaml");
        assertThat(config.tracing().otlpEndpoint()).isEqualTo("http://collector:4318/v1/traces");
        assertThat(config.tracing().sampleRatio()).isEqualTo(0.25);
        assertThat(config.tracing().captureContent()).isFalse();
        assertThat(ConfigLoader.parse("""
                tracing: { otlp-endpoint: "http://collector:4318/v1/traces", capture-content: true }
                providers: { a: { type: openai, base-url: "http://127.0.0.1:1/v1", gen-ai-provider: azure.ai.openai } }
                routes: [ { alias: chat, tiers: [ { providers: [a] } ] } ]
                """, "t.yaml")).satisfies(parsed -> {
                    assertThat(parsed.tracing().captureContent()).isTrue();
                    assertThat(parsed.providers().get("a").genAiProvider()).isEqualTo("azure.ai.openai");
                });
        assertThatThrownBy(() -> ConfigLoader.parse("""
                tracing: { otlp-endpoint: "http://collector:4318/v1/traces", capture-content: maybe }
                providers: { a: { type: http, base-url: "http://127.0.0.1:1", gen-ai-provider: openai } }
                json-routes: [ { name: a, tiers: [ { providers: [a] } ] } ]
                """, "t.yaml")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("capture-content").hasMessageContaining("gen-ai-provider");
        assertThat(ConfigLoader.parse("""
                tracing: { otlp-endpoint: "http://collector:4318/v1/traces" }
                providers: { a: { type: openai, base-url: "http://127.0.0.1:1/v1" } }
                routes: [ { alias: chat, tiers: [ { providers: [a] } ] } ]
                """, "t.yaml").tracing().sampleRatio()).isEqualTo(1.0);
        assertThatThrownBy(() -> ConfigLoader.parse("""
                tracing: { otlp-endpoint: "collector", sample-ratio: 2 }
                providers: { a: { type: openai, base-url: "http://127.0.0.1:1/v1" } }
                routes: [ { alias: chat, tiers: [ { providers: [a] } ] } ]
                """, "t.yaml")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("otlp-endpoint").hasMessageContaining("sample-ratio");
    }

    private static SpanData span(String name) {
        return exporter.getFinishedSpanItems().stream().filter(span -> span.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name));
    }

    private static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    /** The spans as an indented tree, children in start order, with their Detour, GenAI, HTTP and error attributes. */
    static String tree(List<SpanData> spans) {
        List<SpanData> sorted = spans.stream().sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        StringBuilder out = new StringBuilder();
        for (SpanData span : sorted) {
            if (sorted.stream().noneMatch(parent -> parent.getSpanId().equals(span.getParentSpanId()))) {
                render(span, sorted, 0, out);
            }
        }
        return out.toString();
    }

    private static void render(SpanData span, List<SpanData> spans, int depth, StringBuilder out) {
        Map<String, String> attributes = new TreeMap<>();
        span.getAttributes().forEach((key, value) -> {
            String name = key.getKey();
            if (name.startsWith("detour.") || name.startsWith("gen_ai.") || name.startsWith("http.") || name.equals("error.type")) {
                attributes.put(name, String.valueOf(value));
            }
        });
        out.append("  ".repeat(depth)).append(span.getName()).append(" (").append(span.getKind().name().toLowerCase())
                .append(span.getStatus().getStatusCode() == StatusCode.ERROR ? ", ERROR" : "").append(")")
                .append(attributes.isEmpty() ? "" : " " + attributes.entrySet().stream()
                        .map(entry -> entry.getKey() + "=" + entry.getValue()).collect(Collectors.joining(" ")))
                .append('\n');
        for (SpanData child : spans) {
            if (child.getParentSpanId().equals(span.getSpanId())) {
                render(child, spans, depth + 1, out);
            }
        }
    }
}
