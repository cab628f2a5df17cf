package dev.detour.core.telemetry;

import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * An observation registry whose observations become OpenTelemetry spans (Micrometer Tracing's OTel
 * bridge, wired as Spring Boot wires it), exported in memory, and the spans as an indented tree.
 */
final class Spans {

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final ObservationRegistry registry = ObservationRegistry.create();
    final OtelTracer tracer;

    Spans() {
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
        ContextPropagators propagators = ContextPropagators.create(W3CTraceContextPropagator.getInstance());
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).setPropagators(propagators).build();
        io.opentelemetry.api.trace.Tracer otel = sdk.getTracer("detour-test");
        OtelCurrentTraceContext current = new OtelCurrentTraceContext();
        tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
        OtelPropagator propagator = new OtelPropagator(propagators, otel);
        registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                new DefaultTracingObservationHandler(tracer)));
    }

    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    SpanData named(String name) {
        return spans().stream().filter(span -> span.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in\n" + tree()));
    }

    static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    /**
     * The finished spans as a tree, children in start order, each as {@code name [ERROR] key=value …} with
     * the Detour, GenAI and error attributes; {@code shown} limits the keys (all when empty).
     */
    String tree(String... shown) {
        List<SpanData> spans = spans().stream().sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        StringBuilder out = new StringBuilder();
        for (SpanData span : spans) {
            if (spans.stream().noneMatch(parent -> parent.getSpanId().equals(span.getParentSpanId()))) {
                render(span, spans, 0, out, List.of(shown));
            }
        }
        return out.toString();
    }

    private static void render(SpanData span, List<SpanData> spans, int depth, StringBuilder out, List<String> shown) {
        Map<String, String> attributes = new TreeMap<>();
        span.getAttributes().forEach((key, value) -> {
            String name = key.getKey();
            if ((shown.isEmpty() && (name.startsWith("detour.") || name.startsWith("gen_ai.") || name.equals("error.type")))
                    || shown.contains(name)) {
                attributes.put(name, String.valueOf(value));
            }
        });
        out.append("  ".repeat(depth)).append(span.getName())
                .append(span.getStatus().getStatusCode() == StatusCode.ERROR ? " [ERROR]" : "")
                .append(attributes.isEmpty() ? "" : " " + attributes.entrySet().stream()
                        .map(entry -> entry.getKey() + "=" + entry.getValue()).collect(Collectors.joining(" ")))
                .append('\n');
        for (SpanData child : spans) {
            if (child.getParentSpanId().equals(span.getSpanId())) {
                render(child, spans, depth + 1, out, shown);
            }
        }
    }
}
