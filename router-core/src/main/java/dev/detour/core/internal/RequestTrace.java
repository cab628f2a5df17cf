package dev.detour.core.internal;

import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.telemetry.RouteObservations;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * One route request's observations (made only when the router has an observation registry): the
 * {@value RouteObservations#REQUEST} observation, opened when the execution is subscribed, and an
 * {@value RouteObservations#ATTEMPT} observation per provider call under it. A stream's relay opens the
 * request observation itself and hands it to each execution (the first one and every continuation) in
 * the Reactor context under {@link #KEY}; the answer that starts the stream keeps its attempt observation
 * open until the relay ends it. Internal.
 */
public final class RequestTrace {

    /** The Reactor context key of a stream's trace, for the executions of its relay. */
    public static final String KEY = "detour.request-trace";
    /** Micrometer's key of the current observation in a Reactor context ({@code ObservationThreadLocalAccessor.KEY}). */
    public static final String OBSERVATION = "micrometer.observation";

    /** The time from a streamed attempt's start to its first chunk, in seconds (as OpenTelemetry's GenAI conventions measure it). */
    public static final String TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";

    private static final String[] KINDS = kinds();
    private static volatile boolean observing;
    private static final AtomicIntegerFieldUpdater<RequestTrace> STOPPED =
            AtomicIntegerFieldUpdater.newUpdater(RequestTrace.class, "stopped");
    private static final AtomicReferenceFieldUpdater<RequestTrace, Observation> STEP =
            AtomicReferenceFieldUpdater.newUpdater(RequestTrace.class, Observation.class, "step");

    private final ObservationRegistry registry;
    private final Observation request;
    private final RouteObservations.RequestContext context;
    private final Map<Object, Observation> held;
    private final boolean captureContent;
    private volatile Observation step;
    private volatile String fallbackReason = RouteObservations.NONE;
    private volatile int stopped;
    private int attempts;

    private RequestTrace(ObservationRegistry registry, String route, boolean stream, ContextView caller,
                         boolean captureContent) {
        this.registry = registry;
        this.captureContent = captureContent;
        this.context = new RouteObservations.RequestContext(route, stream);
        Observation parent = caller.getOrDefault(OBSERVATION, null);
        Observation observation = Observation.createNotStarted(RouteObservations.REQUEST, () -> context, registry);
        if (parent != null) {
            observation.parentObservation(parent);
        }
        this.request = observation.start();
        this.held = stream ? new IdentityHashMap<>(2) : null;
    }

    /** Notes that a router with an observation registry exists in this JVM (providers describe their calls only then). */
    public static void observing() {
        observing = true;
    }

    /**
     * Whether any router has an observation registry: when none has, a provider need not look for an
     * attempt observation in its call's context (no allocation on the path of an unobserved call).
     */
    public static boolean anyObserving() {
        return observing;
    }

    /**
     * Opens the observation of a request to {@code route} made under {@code caller}'s context; its attempts
     * may record message content when {@code captureContent}.
     */
    public static RequestTrace open(ObservationRegistry registry, String route, boolean stream, ContextView caller,
                                    boolean captureContent) {
        return new RequestTrace(registry, route, stream, caller, captureContent);
    }

    /** Whether this is a stream's trace (whose answers keep their attempt observations open). */
    public boolean stream() {
        return held != null;
    }

    /** The request observation. */
    public Observation observation() {
        return request;
    }

    /** Starts the observation of one provider call, made as {@code role} ({@code fallback}: after a fallback on {@code reason}). */
    public Observation attempt(String provider, int tier, int number, String role, String reason) {
        RouteObservations.AttemptContext attempt = new RouteObservations.AttemptContext(context.route(), provider, tier,
                number, role, captureContent);
        attempt.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.FALLBACK_REASON, reason));
        return Observation.createNotStarted(RouteObservations.ATTEMPT, () -> attempt, registry)
                .parentObservation(request)
                .start();
    }

    /** Records and ends a call refused without a network call (breaker open, provider disabled). */
    public void refused(String provider, int tier, int number, String role, String reason, Failure failure) {
        Observation attempt = attempt(provider, tier, number, role, reason);
        outcome(attempt, "refused", failure);
        attempt.stop();
    }

    /**
     * {@code context} with {@code attempt} as the current observation and its carrier's headers (the trace
     * context) added to the propagated headers.
     */
    public static Context callContext(Context context, Observation attempt) {
        Context with = context.put(OBSERVATION, attempt);
        Map<String, String> headers = ((RouteObservations.AttemptContext) attempt.getContext()).headers();
        if (headers.isEmpty()) {
            return with;
        }
        Map<String, String> propagated = context.getOrDefault(RouteObservations.PROPAGATED_HEADERS, Map.of());
        Map<String, String> merged = new HashMap<>(propagated);
        merged.putAll(headers);
        return with.put(RouteObservations.PROPAGATED_HEADERS, merged);
    }

    /**
     * Ends {@code attempt} as its call settled, {@code nanos} after it started: answered when {@code failure}
     * is null. A stream's answer keeps it open, with the time to its first chunk, until the relay ends it.
     */
    public void settled(Observation attempt, Object value, Failure failure, long nanos) {
        outcome(attempt, failure == null ? "success" : "failure", failure);
        if (failure == null && value != null && held != null) {
            attempt.highCardinalityKeyValue(TIME_TO_FIRST_CHUNK, Double.toString(nanos / 1e9));
            synchronized (held) {
                held.put(value, attempt);
            }
            return;
        }
        attempt.stop();
    }

    /** Ends {@code attempt} as cancelled (a hedge that lost the race, a deadline, the caller gone). */
    public static void cancelled(Observation attempt) {
        outcome(attempt, "cancelled", null);
        attempt.event(Observation.Event.of("cancelled"));
        attempt.stop();
    }

    /** The held attempt observation of a stream's answer {@code value}, now relayed (to end with {@link #relayEnded}), or null. */
    public Observation relayed(Object value) {
        if (held == null) {
            return null;
        }
        synchronized (held) {
            return held.remove(value);
        }
    }

    /** Ends the held attempt observation of a stream's answer {@code value} nobody will relay. */
    public void discarded(Object value) {
        Observation attempt = relayed(value);
        if (attempt != null) {
            outcome(attempt, "discarded", null);
            attempt.stop();
        }
    }

    /** Ends a relayed stream's attempt observation: completed when {@code failure} is null. */
    public static void relayEnded(Observation attempt, Failure failure, Throwable error) {
        if (failure != null) {
            outcome(attempt, "failure", failure);
            if (error != null) {
                attempt.error(error);
            }
        }
        attempt.stop();
    }

    /**
     * {@code serve}, a degraded step's answer (empty when it leaves the request to the next step), in a
     * {@value RouteObservations#DEGRADED} observation under the request, current in its Reactor context. The
     * step that serves ends its observation before the request's ({@link #ended}).
     */
    public <T> Mono<T> degraded(String name, Supplier<Mono<T>> serve) {
        Observation.Context stepContext = new Observation.Context();
        stepContext.setContextualName("detour.degraded " + name);
        stepContext.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.ROUTE, context.route()));
        stepContext.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.STEP, name));
        Observation observation = Observation.createNotStarted(RouteObservations.DEGRADED, () -> stepContext, registry)
                .parentObservation(request)
                .start();
        step = observation;
        Mono<T> served;
        try {
            served = serve.get();
        } catch (RuntimeException e) {
            stepEnded(observation, "failed", e);
            throw e;
        }
        return served.contextWrite(reactor -> reactor.put(OBSERVATION, observation))
                .doOnSuccess(answer -> stepEnded(observation, answer == null ? "passed" : "served", null))
                .doOnError(error -> stepEnded(observation, "failed", error))
                .doOnCancel(() -> stepEnded(observation, "cancelled", null));
    }

    private void stepEnded(Observation observation, String outcome, Throwable error) {
        if (STEP.compareAndSet(this, observation, null)) {
            observation.lowCardinalityKeyValue(RouteObservations.OUTCOME, outcome);
            if (error != null) {
                observation.error(error);
            }
            observation.stop();
        }
    }

    /** The route moved on because of {@code failure}: the next attempts are fallbacks for its kind. */
    public void fellBack(Failure failure) {
        String reason = kind(failure);
        fallbackReason = reason;
        if (context.getLowCardinalityKeyValue(RouteObservations.FALLBACK_REASON) == null) {
            context.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.FALLBACK_REASON, reason));
        }
    }

    /** The kind of the last fallback, or {@code none}. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** A stream failed after its first element on {@code provider}. */
    public void midStreamFailed(String provider, Failure failure, boolean continued) {
        context.addHighCardinalityKeyValue(KeyValue.of(RouteObservations.MIDSTREAM_FAILED, provider));
        request.event(Observation.Event.of(continued ? "midstream.continued" : "midstream.failed"));
    }

    /**
     * Records how the request ended ({@code ending} as its lower-case name), who served it and its
     * attempts (added to a stream's earlier executions'; -1 for none); ends the observation unless {@code keepOpen} (a stream whose relay goes on).
     */
    public void ended(String ending, String servedBy, int attempts, Throwable error, boolean keepOpen) {
        Observation open = step;
        if (open != null) {
            stepEnded(open, "degraded".equals(ending) ? "served" : "passed", null);
        }
        context.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.OUTCOME, ending));
        context.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.SERVED_BY,
                servedBy != null ? servedBy : RouteObservations.NONE));
        if (attempts >= 0) {
            this.attempts += attempts;
            context.addHighCardinalityKeyValue(KeyValue.of(RouteObservations.ATTEMPTS, Integer.toString(this.attempts)));
        }
        if (error != null) {
            request.error(error);
        }
        boolean fine = "served".equals(ending) || "degraded".equals(ending) || "cancelled".equals(ending);
        context.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.ERROR_TYPE, fine ? RouteObservations.NONE : ending));
        if (!keepOpen) {
            stop();
        }
    }

    /** Ends the request observation (once), and the attempt of any stream's answer that was never relayed. */
    public void stop() {
        if (STOPPED.compareAndSet(this, 0, 1)) {
            if (held != null) {
                List<Object> unrelayed;
                synchronized (held) {
                    unrelayed = List.copyOf(held.keySet());
                }
                unrelayed.forEach(this::discarded);
            }
            if (context.getLowCardinalityKeyValue(RouteObservations.FALLBACK_REASON) == null) {
                context.addLowCardinalityKeyValue(KeyValue.of(RouteObservations.FALLBACK_REASON, RouteObservations.NONE));
            }
            request.stop();
        }
    }

    private static void outcome(Observation attempt, String outcome, Failure failure) {
        String kind = failure == null ? RouteObservations.NONE : kind(failure);
        attempt.lowCardinalityKeyValue(RouteObservations.OUTCOME, outcome)
                .lowCardinalityKeyValue(RouteObservations.FAILURE_KIND, kind)
                .lowCardinalityKeyValue(RouteObservations.ERROR_TYPE, kind);
        if (failure != null && "failure".equals(outcome)) {
            attempt.error(failure.cause() != null ? failure.cause() : new ProviderException(failure));
        }
    }

    /** A failure's kind as a tag value ({@code timeout}, {@code server_error} …). */
    public static String kind(Failure failure) {
        return KINDS[failure.kind().ordinal()];
    }

    private static String[] kinds() {
        dev.detour.core.policy.FailureKind[] values = dev.detour.core.policy.FailureKind.values();
        String[] kinds = new String[values.length];
        for (dev.detour.core.policy.FailureKind kind : values) {
            kinds[kind.ordinal()] = kind.name().toLowerCase(Locale.ROOT);
        }
        return kinds;
    }
}
