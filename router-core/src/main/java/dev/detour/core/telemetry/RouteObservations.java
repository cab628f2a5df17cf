package dev.detour.core.telemetry;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;
import java.util.HashMap;
import java.util.Map;

/**
 * The Micrometer {@link Observation}s a router makes when it is given an
 * {@link io.micrometer.observation.ObservationRegistry} ({@code Router.builder().observationRegistry(registry)}):
 * one {@value #REQUEST} per route execution (a whole stream, for a {@code StreamRoute}), and under it one
 * {@value #ATTEMPT} per provider call, hedges and continuations included, and one {@value #DEGRADED} per
 * degraded step tried (last known good, default answer, hand-off). The request observation's parent
 * is the observation in the caller's Reactor context ({@code ObservationThreadLocalAccessor.KEY}, as Spring
 * WebFlux and Reactor's {@code tap(Micrometer.observation(..))} put it), so with Micrometer Tracing the
 * observations are spans of the caller's trace with no Detour-specific wiring.
 *
 * <p>An attempt observation is a {@link SenderContext} ({@link Kind#CLIENT}): a tracing handler writes the
 * trace context ({@code traceparent}) into its {@linkplain AttemptContext#headers() carrier}, which the
 * engine adds to the {@linkplain #PROPAGATED_HEADERS propagated headers} of the provider call, and the
 * attempt observation is the current observation in the provider call's Reactor context (so an
 * instrumented HTTP client's span is its child). The observation's name ({@value #ATTEMPT}) names its meter;
 * its contextual name, the span's, is {@code detour.attempt <provider>}, or for an LLM call, as OpenTelemetry's
 * GenAI conventions say, {@code <gen_ai.operation.name> <gen_ai.request.model>} (e.g. {@code chat gpt-4o-mini}).
 *
 * <p>Low-cardinality keys (always present, {@code none} when not applicable): {@value #ROUTE},
 * {@value #PROVIDER}, {@value #ROLE}, {@value #OUTCOME}, {@value #FAILURE_KIND}, {@value #FALLBACK_REASON}
 * and {@code error.type} on attempts; {@value #ROUTE}, {@value #OUTCOME} (how the request ended),
 * {@value #SERVED_BY}, {@value #FALLBACK_REASON} (the first fallback's) and {@value #STREAM} on requests;
 * {@value #ROUTE}, {@value #STEP} and {@value #OUTCOME} on degraded steps.
 * High-cardinality: the attempt's {@value #TIER} and {@value #ATTEMPT_NUMBER}, the request's
 * {@value #ATTEMPTS}; on a stream's attempt {@code gen_ai.response.time_to_first_chunk} (seconds). A provider that
 * knows more adds it to the attempt's context: Detour's LLM providers add OpenTelemetry's {@code gen_ai.*}
 * attributes and {@value #CLIENT_MODEL} (high cardinality). No request or answer content is recorded unless
 * the router {@linkplain AttemptContext#captureContent() captures content}.
 */
public final class RouteObservations {

    /** The observation of one route execution. */
    public static final String REQUEST = "detour.request";
    /** The observation of one provider call. */
    public static final String ATTEMPT = "detour.attempt";
    /**
     * The observation of one degraded step tried after the live tiers failed (its span is named
     * {@code detour.degraded <step>}; not {@code detour.degraded}, which is {@code RouteMetrics}' counter).
     */
    public static final String DEGRADED = "detour.degraded.step";

    /** The route's name. */
    public static final String ROUTE = "detour.route";
    /** The provider's name. */
    public static final String PROVIDER = "detour.provider";
    /**
     * Why the attempt was made: {@code first}, {@code retry}, {@code fallback}, {@code hedge}, or
     * {@code continuation} (an attempt to continue a stream that failed mid-answer).
     */
    public static final String ROLE = "detour.attempt.role";
    /**
     * An attempt's outcome: {@code success}, {@code failure}, {@code cancelled} (a hedge that lost the
     * race, or the caller gone), {@code refused} (breaker open or provider disabled: no call made), or
     * {@code discarded} (a stream that started but was not served); a request's ending: {@code served},
     * {@code degraded}, {@code failed}, {@code deadline_exceeded}, {@code ceiling_reached},
     * {@code passed_through}, {@code cancelled}, and for streams {@code midstream_failed}; a degraded step's:
     * {@code served}, {@code passed} (left to the next step, or to the error), {@code failed} or {@code cancelled}.
     */
    public static final String OUTCOME = "detour.outcome";
    /** A degraded step's name: {@code last-known-good}, {@code default} or {@code hand-off}. */
    public static final String STEP = "detour.step";
    /** On an LLM attempt, the model the caller's request named (a route alias when the provider asks for another; high cardinality). */
    public static final String CLIENT_MODEL = "detour.client.model";
    /** The failure's kind ({@code timeout}, {@code server_error} …), or {@code none}. */
    public static final String FAILURE_KIND = "detour.failure.kind";
    /** On a fallback attempt, the failure kind that moved the route on to it; on a request, its first fallback's. */
    public static final String FALLBACK_REASON = "detour.fallback.reason";
    /** On a request, the provider (or degraded step) that served it, or {@code none}. */
    public static final String SERVED_BY = "detour.served_by";
    /** On a request, whether it is a stream. */
    public static final String STREAM = "detour.stream";
    /** OpenTelemetry's error type: the failure kind of a failed attempt or request, else {@code none}. */
    public static final String ERROR_TYPE = "error.type";
    /** The tier's index, from 0 (high cardinality). */
    public static final String TIER = "detour.tier";
    /** The provider's attempt number within the request, from 1 (high cardinality). */
    public static final String ATTEMPT_NUMBER = "detour.attempt.number";
    /** The number of attempts a request made (high cardinality). */
    public static final String ATTEMPTS = "detour.attempts";
    /** On a stream's request, the provider whose stream failed after its first element (high cardinality). */
    public static final String MIDSTREAM_FAILED = "detour.midstream.failed_provider";

    /**
     * The Reactor context key of the {@code Map<String, String>} of headers a provider call sends (the same
     * key as {@code dev.detour.llm.HttpSettings.PROPAGATED_HEADERS}); the engine adds the trace context to it.
     */
    public static final String PROPAGATED_HEADERS = "detour.propagated-headers";

    /** The value of a key that does not apply. */
    public static final String NONE = "none";

    private RouteObservations() {
    }

    /** The context of a {@value #REQUEST} observation. */
    public static final class RequestContext extends Observation.Context {

        private final String route;
        private final boolean stream;

        /** The request context of {@code route}; {@code stream} for a streaming route's request. */
        public RequestContext(String route, boolean stream) {
            this.route = route;
            this.stream = stream;
            setContextualName(REQUEST + " " + route);
            addLowCardinalityKeyValue(KeyValue.of(ROUTE, route));
            addLowCardinalityKeyValue(KeyValue.of(STREAM, Boolean.toString(stream)));
        }

        /** The route's name. */
        public String route() {
            return route;
        }

        /** Whether the request is a stream. */
        public boolean stream() {
            return stream;
        }
    }

    /**
     * The context of an {@value #ATTEMPT} observation: a {@link SenderContext} whose carrier collects the
     * headers a propagating tracing handler writes (e.g. {@code traceparent}).
     */
    public static final class AttemptContext extends SenderContext<Map<String, String>> {

        private final String route;
        private final String provider;
        private final String role;
        private final boolean captureContent;

        /**
         * The context of call {@code number} of {@code provider} in {@code tier} of {@code route}, made as
         * {@code role}; {@code captureContent} when the provider may record the messages it sends and receives.
         */
        public AttemptContext(String route, String provider, int tier, int number, String role, boolean captureContent) {
            super(Map::put, Kind.CLIENT);
            this.route = route;
            this.provider = provider;
            this.role = role;
            this.captureContent = captureContent;
            setCarrier(new HashMap<>(4));
            setRemoteServiceName(provider);
            setContextualName(ATTEMPT + " " + provider);
            addLowCardinalityKeyValue(KeyValue.of(ROUTE, route));
            addLowCardinalityKeyValue(KeyValue.of(PROVIDER, provider));
            addLowCardinalityKeyValue(KeyValue.of(ROLE, role));
            addHighCardinalityKeyValue(KeyValue.of(TIER, Integer.toString(tier)));
            addHighCardinalityKeyValue(KeyValue.of(ATTEMPT_NUMBER, Integer.toString(number)));
        }

        /** The route's name. */
        public String route() {
            return route;
        }

        /** The provider's name. */
        public String provider() {
            return provider;
        }

        /** Why the attempt was made ({@code first}, {@code retry}, {@code fallback}, {@code hedge}, {@code continuation}). */
        public String role() {
            return role;
        }

        /**
         * Whether the router's operator opted in to message content in traces: an LLM provider then records the
         * input and output messages ({@code gen_ai.input.messages}, {@code gen_ai.output.messages}).
         */
        public boolean captureContent() {
            return captureContent;
        }

        /** The headers a tracing handler wrote for the provider call (empty without one). */
        public Map<String, String> headers() {
            Map<String, String> carrier = getCarrier();
            return carrier == null ? Map.of() : carrier;
        }
    }
}
