package dev.detour.http;

import dev.detour.http.config.TracingConfig;
import dev.detour.llm.HttpSettings;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The router's traces, when the config has a {@code tracing} section: an OpenTelemetry SDK exporting over
 * OTLP/HTTP, bridged to a Micrometer {@link ObservationRegistry} (as Spring Boot wires Micrometer Tracing)
 * that the core's router observes requests and attempts with. Each API request the server handles is an
 * {@code http.server.requests} observation whose parent is the client's {@code traceparent}; the route's
 * observations are its children, and providers get the attempt's {@code traceparent}. Off, the registry is
 * {@link ObservationRegistry#NOOP} and handlers are served as they are.
 */
final class Tracing implements AutoCloseable {

    static final Tracing OFF = new Tracing(ObservationRegistry.NOOP, null);

    private final ObservationRegistry registry;
    private final OpenTelemetrySdk sdk;

    private Tracing(ObservationRegistry registry, OpenTelemetrySdk sdk) {
        this.registry = registry;
        this.sdk = sdk;
    }

    /** What {@code config} asks for: off when it is null. */
    static Tracing of(TracingConfig config) {
        if (config == null) {
            return OFF;
        }
        SpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(config.otlpEndpoint()).build();
        return of(BatchSpanProcessor.builder(exporter).build(), config.sampleRatio());
    }

    /** Every span handed to {@code exporter} as it ends (tests). */
    static Tracing exportingTo(SpanExporter exporter) {
        return of(SimpleSpanProcessor.create(exporter), 1.0);
    }

    private static Tracing of(SpanProcessor processor, double ratio) {
        // OpenTelemetry finds its context storage by a ServiceLoader (reading jars) at first use: here, not on an event loop.
        io.opentelemetry.context.Context.current();
        ContextPropagators propagators = ContextPropagators.create(W3CTraceContextPropagator.getInstance());
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), "detour"))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(ratio)))
                .addSpanProcessor(processor)
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).setPropagators(propagators).build();
        io.opentelemetry.api.trace.Tracer otel = sdk.getTracer("dev.detour");
        OtelCurrentTraceContext current = new OtelCurrentTraceContext();
        OtelTracer tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
        OtelPropagator propagator = new OtelPropagator(propagators, otel);
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                new DefaultTracingObservationHandler(tracer)));
        return new Tracing(registry, sdk);
    }

    /** The registry the router observes with: {@link ObservationRegistry#NOOP} when off. */
    ObservationRegistry registry() {
        return registry;
    }

    /**
     * {@code handler} served in an {@code http.server.requests} observation named {@code method path} (the
     * route's template, not the request's path), in the Reactor context for the route to find; as it is when
     * tracing is off.
     */
    BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> traced(String method, String path,
            BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler) {
        if (sdk == null) {
            return handler;
        }
        return (request, response) -> Mono.defer(() -> {
            ReceiverContext<HttpServerRequest> context = new ReceiverContext<>(
                    (carrier, key) -> carrier.requestHeaders().get(key), Kind.SERVER);
            context.setCarrier(request);
            context.setContextualName(method + " " + path);
            context.addLowCardinalityKeyValue(KeyValue.of("http.request.method", method));
            context.addLowCardinalityKeyValue(KeyValue.of("http.route", path));
            Observation observation = Observation.createNotStarted("http.server.requests", () -> context, registry).start();
            Mono<Void> served;
            try {
                served = handler.apply(request, response);
            } catch (RuntimeException e) {
                served = Mono.error(e);
            }
            return served
                    .contextWrite(reactor -> reactor.put(ObservationKey.KEY, observation))
                    .doOnError(observation::error)
                    .doFinally(signal -> {
                        observation.lowCardinalityKeyValue("http.response.status_code",
                                Integer.toString(response.status().code()));
                        observation.stop();
                    });
        });
    }

    /**
     * {@code call}, a provider call made outside any route ({@code count_tokens}), as a client observation
     * named {@code name} ({@code contextualName} its span's name) under the server's, with the
     * {@code keyValues}; the provider gets its {@code traceparent} among the {@code propagated} headers.
     * As it is when tracing is off.
     */
    <T> Mono<T> client(String name, String contextualName, Map<String, String> propagated, Mono<T> call,
                       KeyValue... keyValues) {
        if (sdk == null) {
            return call;
        }
        return Mono.deferContextual(reactor -> {
            SenderContext<Map<String, String>> context = new SenderContext<>(Map::put, Kind.CLIENT);
            context.setCarrier(new HashMap<>(propagated));
            context.setContextualName(contextualName);
            context.addLowCardinalityKeyValues(KeyValues.of(keyValues));
            Observation observation = Observation.createNotStarted(name, () -> context, registry)
                    .parentObservation(reactor.getOrDefault(ObservationKey.KEY, null))
                    .start();
            return call
                    .contextWrite(inner -> inner.put(ObservationKey.KEY, observation)
                            .put(HttpSettings.PROPAGATED_HEADERS, context.getCarrier()))
                    .doOnSuccess(value -> observation.stop())
                    .doOnError(error -> observation.error(error).stop())
                    .doOnCancel(observation::stop);
        });
    }

    /** Sends what is left and stops the SDK; blocks up to 5 s (a main or shutdown thread only). */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    /** Micrometer's Reactor context key of the current observation ({@code ObservationThreadLocalAccessor.KEY}). */
    private static final class ObservationKey {
        static final String KEY = io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor.KEY;
    }
}
