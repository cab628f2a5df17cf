package dev.detour.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.micrometer.tracing.test.autoconfigure.AutoConfigureTracing;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * {@link ChatApplication} with Spring Boot's own tracing set up (Micrometer Tracing's OpenTelemetry bridge,
 * auto-configured; spans exported in memory): a controller's {@code route.call(...)} is a {@code detour.request}
 * span with its attempts under Spring's {@code http.server.requests} span, in one trace, with nothing wired
 * for Detour beyond the router bean the README shows.
 */
@SpringBootTest(classes = ChatApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.tracing.sampling.probability=1.0")
@AutoConfigureTracing
@AutoConfigureWebTestClient
@Import(WebFluxTracingTest.InMemory.class)
@DirtiesContext
class WebFluxTracingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String KEY = "sk-sim-webflux-tracing-51a7";
    private static final SimulatedProvider SIM = SimulatedProvider.builder().apiKey(KEY)
            .model("gpt-4o-mini", Behaviour.status(503))
            .model("claude-haiku-4-5", Behaviour.answer("Bonjour from Anthropic."))
            .start();

    @DynamicPropertySource
    static void providersAtTheSimulator(DynamicPropertyRegistry properties) {
        WebFluxAppTest.providersAt(SIM, KEY, properties);
    }

    @AfterAll
    static void stopSimulator() {
        SIM.close();
    }

    private static boolean pause() {
        try {
            Thread.sleep(20);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Where Spring Boot's span processor sends the spans. */
    @TestConfiguration
    static class InMemory {

        @Bean
        InMemorySpanExporter spans() {
            return InMemorySpanExporter.create();
        }
    }

    @Autowired
    private WebTestClient client;

    @Autowired
    private InMemorySpanExporter exporter;

    @Autowired
    private SdkTracerProvider tracerProvider;

    @Test
    void aControllersRouteCallIsADetourRequestSpanUnderSpringsServerSpan() {
        client.mutate().responseTimeout(WAIT).build()
                .post().uri("/chat").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .exchange()
                .expectStatus().isOk();
        // the server's span ends once the response is written, which the client may see first
        long until = System.nanoTime() + WAIT.toNanos();
        List<SpanData> spans;
        SpanData server;
        do {
            assertThat(tracerProvider.forceFlush().join(WAIT.toSeconds(), TimeUnit.SECONDS).isSuccess()).isTrue();
            spans = exporter.getFinishedSpanItems();
            server = spans.stream().filter(span -> span.getKind() == SpanKind.SERVER
                    && "/chat".equals(span.getAttributes().get(AttributeKey.stringKey("uri")))).findFirst().orElse(null);
        } while (server == null && System.nanoTime() < until && pause());
        if (server == null) {
            throw new AssertionError("no server span for /chat in " + names(spans));
        }
        SpanData request = named(spans, "detour.request chat");
        SpanData openai = named(spans, "chat gpt-4o-mini");
        SpanData anthropic = named(spans, "chat claude-haiku-4-5");

        System.out.println("Spring's server span and Detour's: " + chain(spans, anthropic) + ", " + chain(spans, openai));
        assertThat(chain(spans, anthropic)).containsExactly("chat claude-haiku-4-5", "detour.request chat", server.getName());
        assertThat(chain(spans, openai)).containsExactly("chat gpt-4o-mini", "detour.request chat", server.getName());
        assertThat(request.getParentSpanId()).isEqualTo(server.getSpanId());
        String trace = server.getTraceId();
        assertThat(List.of(request, openai, anthropic)).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(trace));
        assertThat(attribute(request, "detour.served_by")).isEqualTo("anthropic");
        assertThat(attribute(openai, "detour.outcome")).isEqualTo("failure");
        assertThat(attribute(anthropic, "gen_ai.provider.name")).isEqualTo("anthropic");
        assertThat(attribute(anthropic, "detour.client.model")).isEqualTo("chat");
        assertThat(anthropic.getKind()).isEqualTo(SpanKind.CLIENT);
    }

    private static SpanData named(List<SpanData> spans, String name) {
        return spans.stream().filter(span -> span.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + names(spans)));
    }

    private static List<String> names(List<SpanData> spans) {
        return spans.stream().map(SpanData::getName).toList();
    }

    /** The names of {@code span} and its ancestors, up to the root. */
    private static List<String> chain(List<SpanData> spans, SpanData span) {
        List<String> chain = new ArrayList<>();
        for (SpanData at = span; at != null; ) {
            chain.add(at.getName());
            String parent = at.getParentSpanId();
            at = spans.stream().filter(candidate -> candidate.getSpanId().equals(parent)).findFirst().orElse(null);
        }
        return chain;
    }

    private static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }
}
