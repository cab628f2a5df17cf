package dev.detour.core;

import dev.detour.core.internal.Engine;
import dev.detour.core.internal.InMemoryCounters;
import dev.detour.core.internal.InMemoryStateStore;
import dev.detour.core.internal.LoopScheduler;
import dev.detour.core.internal.RequestTrace;
import dev.detour.core.policy.Balancer;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.Budget;
import dev.detour.core.spi.BreakerStore;
import dev.detour.core.spi.Counters;
import dev.detour.core.spi.SharedAnswers;
import dev.detour.core.spi.StateStore;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.ContextView;

/**
 * What the routes of an application share, and the registry of its providers: each provider's
 * circuit breaker, retry and hedge budgets and latency statistics; the listeners that receive every
 * {@link RouteEvent}; the scheduler that times attempts and backoff. Build one per application and
 * make routes from it with {@link #route(String)}.
 *
 * <pre>{@code
 * Router router = Router.builder()
 *         .breaker(BreakerPolicy.defaults().openFor(Duration.ofSeconds(10)))
 *         .listener(new RouteMetrics(meterRegistry))
 *         .observationRegistry(observationRegistry)   // spans per request and attempt
 *         .build();
 * router.disable("openai");             // an operator takes a provider out at runtime
 * ProviderStatus status = router.status("openai");
 * }</pre>
 */
public final class Router {

    private static final Logger log = Loggers.getLogger(Router.class);

    static {
        Engine.install(new EngineAccess());
    }
    private static final int[] FIRST = {0};

    private final Scheduler scheduler;
    private final Budget retryBudget;
    private final Budget hedgeBudget;
    private final BreakerPolicy breaker;
    private final Map<String, BreakerPolicy> breakers;
    private final StateStore store;
    private final RouteListener[] listeners;
    private final Function<Throwable, Failure> classifier;
    private final ObservationRegistry observations;
    private final Counters counters;
    private final boolean captureContent;
    private final ConcurrentHashMap<String, ProviderState> providers = new ConcurrentHashMap<>();

    private Router(Builder builder) {
        this.scheduler = builder.scheduler;
        this.retryBudget = builder.retryBudget;
        this.hedgeBudget = builder.hedgeBudget;
        this.breaker = builder.breaker;
        this.breakers = Map.copyOf(builder.breakers);
        this.store = builder.store;
        this.listeners = builder.listeners.toArray(new RouteListener[0]);
        this.classifier = builder.classifier;
        this.observations = builder.observations.isNoop() ? null : builder.observations;
        this.counters = builder.counters != null ? builder.counters
                : store.counters() != null ? store.counters()
                : new InMemoryCounters(() -> scheduler().now(TimeUnit.MILLISECONDS));
        this.captureContent = builder.captureContent;
        if (observations != null) {
            RequestTrace.observing();
        }
    }

    /** A router with the default budgets and breakers, no listeners, and the default clock ({@link Builder#scheduler}). */
    public static Router create() {
        return builder().build();
    }

    /** A builder of a router. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder of a route named {@code name} on this router. */
    public <I, O> Route.Builder<I, O> route(String name) {
        return new Route.Builder<>(this, name);
    }

    /** Takes a provider out: routes skip it (failing fast as unavailable) until {@link #enable}. */
    public void disable(String provider) {
        known(provider).disabled(true);
        emit(new RouteEvent.ProviderOverridden(provider, "disabled"));
    }

    /** Puts a disabled provider back. */
    public void enable(String provider) {
        known(provider).disabled(false);
        emit(new RouteEvent.ProviderOverridden(provider, "enabled"));
    }

    /** Forces a provider's breaker open until {@link #resetBreaker}. */
    public void forceOpen(String provider) {
        known(provider).breaker.forceOpen(now());
        emit(new RouteEvent.ProviderOverridden(provider, "forced open"));
    }

    /** Closes a provider's breaker and clears its window. */
    public void resetBreaker(String provider) {
        known(provider).breaker.reset(now());
        emit(new RouteEvent.ProviderOverridden(provider, "breaker reset"));
    }

    /**
     * Records that {@code provider}'s stream on {@code route} failed {@code elapsed} after it started,
     * once its first element was relayed: its breaker and statistics count the failure (the attempt itself
     * was counted a success at the first element) and listeners get a {@link RouteEvent.MidStreamFailed}.
     */
    void midStreamFailure(String route, String provider, int relayed, Failure failure, boolean continued,
                                 Duration elapsed) {
        long now = now();
        state(provider).record(Attempt.Result.FAILURE, failure.kind(), elapsed.toNanos(), failure.retryAfter(), now);
        if (listening()) {
            emit(new RouteEvent.MidStreamFailed(route, provider, relayed, failure, continued));
        }
    }

    /** Hands {@code event} to the listeners, for the parts of a request the engine does not run itself (a stream's relay). */
    void publish(RouteEvent event) {
        if (listening()) {
            emit(Objects.requireNonNull(event, "event"));
        }
    }

    /** What the router knows of {@code provider} now. */
    public ProviderStatus status(String provider) {
        return known(provider).status(now());
    }

    /** Every provider's status, by name. */
    public List<ProviderStatus> statuses() {
        long now = now();
        List<ProviderStatus> statuses = new ArrayList<>(providers.size());
        providers.values().forEach(state -> statuses.add(state.status(now)));
        statuses.sort((a, b) -> a.provider().compareTo(b.provider()));
        return statuses;
    }

    private ProviderState known(String provider) {
        ProviderState state = providers.get(provider);
        if (state == null) {
            throw new IllegalArgumentException("no provider '" + provider + "' in this router; known: "
                    + providers.keySet().stream().sorted().toList());
        }
        return state;
    }

    Failure classify(Throwable error) {
        if (classifier != null) {
            Failure failure = classifier.apply(error);
            if (failure != null) {
                return failure.withCause(error);
            }
        }
        return Failure.of(error);
    }

    /**
     * The scheduler that times attempts, backoff, hedges and streams: the one set, else one that times on the
     * Reactor Netty event loop a timer is started on, and elsewhere on Reactor's parallel scheduler as it is now.
     */
    public Scheduler scheduler() {
        return scheduler != null ? scheduler : LoopScheduler.INSTANCE;
    }

    /** The counters spend caps and per-key limits count in. */
    public Counters counters() {
        return counters;
    }

    private long now() {
        return scheduler().now(TimeUnit.NANOSECONDS);
    }

    /**
     * The order in which {@code balancer} has a request try {@code providers}, by their state in this
     * router now on {@code clock}.
     */
    int[] order(List<? extends Provider<?, ?>> providers, Balancer balancer, Scheduler clock) {
        if (providers.size() == 1) {
            return FIRST;
        }
        long nowNanos = clock.now(TimeUnit.NANOSECONDS);
        return balancer.order(new Balancer.Candidates() {
            @Override
            public int size() {
                return providers.size();
            }

            @Override
            public String name(int i) {
                return providers.get(i).name();
            }

            @Override
            public boolean available(int i) {
                return state(name(i)).available(nowNanos);
            }

            @Override
            public double score(int i) {
                return state(name(i)).score();
            }
        });
    }

    ProviderState state(String provider) {
        ProviderState state = providers.get(provider);
        return state != null ? state : providers.computeIfAbsent(provider, name -> new ProviderState(name,
                store.breaker(name, breakers.getOrDefault(name, breaker), this::breakerChanged),
                store.extraCalls(name, "retries", retryBudget), store.extraCalls(name, "hedges", hedgeBudget),
                store.overrides()));
    }

    /** Where this router keeps its providers' state: in memory unless {@link Builder#stateStore} was set. */
    public StateStore stateStore() {
        return store;
    }

    /** Where last-known-good answers are shared, or null (each route keeps its own). */
    SharedAnswers sharedAnswers() {
        return store.answers();
    }

    private void breakerChanged(String provider, BreakerState from, BreakerState to, String reason) {
        emit(new RouteEvent.BreakerChanged(provider, from, to, reason));
    }

    /**
     * Opens the observation of a request to {@code route} ({@code stream}: a stream's, over all its executions)
     * made under {@code caller}'s context; null when the router observes nothing.
     */
    RequestTrace trace(String route, boolean stream, ContextView caller) {
        return observations == null ? null : RequestTrace.open(observations, route, stream, caller, captureContent);
    }

    boolean listening() {
        return listeners.length > 0;
    }

    void emit(RouteEvent event) {
        for (RouteListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.warn("route listener {} failed on {}", listener, event.getClass().getSimpleName(), e);
            }
        }
    }

    /** Builds a {@link Router}. */
    public static final class Builder {

        private Scheduler scheduler;
        private Budget retryBudget = Budget.retries();
        private Budget hedgeBudget = Budget.hedges();
        private BreakerPolicy breaker = BreakerPolicy.defaults();
        private final Map<String, BreakerPolicy> breakers = new HashMap<>();
        private BreakerStore breakerStore;
        private StateStore store;
        private final List<RouteListener> listeners = new ArrayList<>();
        private Function<Throwable, Failure> classifier;
        private ObservationRegistry observations = ObservationRegistry.NOOP;
        private Counters counters;
        private boolean captureContent;

        private Builder() {
        }

        /**
         * The scheduler for timeouts, backoff, hedges and streams' idle timers. Unset, a timer started on one of
         * Reactor Netty's shared event loops (a request served there, or an answer read there) runs on that loop,
         * without waking another thread, and one started elsewhere on {@link Schedulers#parallel()} as it is at
         * that moment (so virtual time applies to tests whose timers start off the event loops; set
         * {@code Schedulers.parallel()} here for a test that needs every timer virtual).
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** The retry budget of each provider; {@link Budget#retries()} unless set. */
        public Builder retryBudget(Budget retryBudget) {
            this.retryBudget = Objects.requireNonNull(retryBudget, "retryBudget");
            return this;
        }

        /** The hedge budget of each provider; {@link Budget#hedges()} unless set. */
        public Builder hedgeBudget(Budget hedgeBudget) {
            this.hedgeBudget = Objects.requireNonNull(hedgeBudget, "hedgeBudget");
            return this;
        }

        /** The breaker policy of every provider without one of its own; {@link BreakerPolicy#defaults()} unless set. */
        public Builder breaker(BreakerPolicy policy) {
            this.breaker = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The breaker policy of one provider. */
        public Builder breaker(String provider, BreakerPolicy policy) {
            breakers.put(Objects.requireNonNull(provider, "provider"), Objects.requireNonNull(policy, "policy"));
            return this;
        }

        /** Where breakers keep their state; in memory unless set. Not with {@link #stateStore}, which holds breakers too. */
        public Builder breakerStore(BreakerStore store) {
            this.breakerStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Where breakers, budgets, overrides and shared last-known-good answers are kept; in memory unless set.
         * A shared store (e.g. {@code dev.detour.state.redis.RedisStateStore}) makes them fleet-wide.
         */
        public Builder stateStore(StateStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * How to classify errors Detour does not know, e.g. a WebClient's
         * {@code error -> error instanceof WebClientResponseException e ? Failure.status(e.getStatusCode().value(), null, e.getStatusText()) : null};
         * null means {@link Failure#of}.
         */
        public Builder classifier(Function<Throwable, Failure> classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
            return this;
        }

        /** Adds a listener of every route event. */
        public Builder listener(RouteListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Observes every route execution as a {@code detour.request} observation, and each provider call in it
         * as a child {@code detour.attempt} observation (see {@link dev.detour.core.telemetry.RouteObservations}):
         * with Micrometer Tracing they are spans, children of the caller's observation in the Reactor context, and
         * the trace context reaches providers in the propagated headers. {@link ObservationRegistry#NOOP} unless
         * set, which makes no observation at all.
         */
        public Builder observationRegistry(ObservationRegistry registry) {
            this.observations = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Where routes' spend caps (and the standalone router's per-key limits) count. Unless set: the
         * {@link #stateStore(StateStore) state store}'s counters (shared by a fleet on Redis), else counters in
         * memory on the router's clock ({@link #scheduler(Scheduler)}).
         */
        public Builder counters(Counters counters) {
            this.counters = Objects.requireNonNull(counters, "counters");
            return this;
        }

        /**
         * Records the messages of LLM attempts on their observations, as OpenTelemetry's GenAI conventions say
         * ({@code gen_ai.input.messages} and {@code gen_ai.output.messages}, JSON): the prompts and answers then
         * reach the trace backend, with whatever personal data they hold. Off unless set: no content is recorded.
         */
        public Builder captureContent(boolean captureContent) {
            this.captureContent = captureContent;
            return this;
        }

        /** The router. */
        public Router build() {
            if (store != null && breakerStore != null) {
                throw new IllegalStateException("set either breakerStore or stateStore (which holds breakers too)");
            }
            if (store == null) {
                store = breakerStore != null ? new InMemoryStateStore(breakerStore) : new InMemoryStateStore();
            }
            return new Router(this);
        }
    }
}
