package dev.detour.http.gateway;

import dev.detour.core.FailureKind;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.RouteEvent;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.Balancer;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.core.telemetry.RouteMetrics;
import dev.detour.http.config.BreakerConfig;
import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.HedgeConfig;
import dev.detour.http.config.JsonRouteConfig;
import dev.detour.http.config.ProviderConfig;
import dev.detour.http.config.RetryConfig;
import dev.detour.http.config.RouteConfig;
import dev.detour.http.config.TierConfig;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.Usage;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import dev.detour.llm.validate.ChatValidators;
import dev.detour.llm.validate.Confidence;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The running router one configuration describes: its providers (with their keys read from the
 * environment), one {@link Router} shared by every route, and for each model alias a route for whole
 * answers and a streaming route. Immutable; a reload builds a new one.
 */
public final class Gateway {

    private final GatewayConfig config;
    private final Router router;
    private final RecentEvents events;
    private final Map<String, ChatRoute> routes;
    private final Map<String, Route<JsonCall, JsonAnswer>> jsonRoutes;

    private Gateway(GatewayConfig config, Router router, RecentEvents events, Map<String, ChatRoute> routes,
                    Map<String, Route<JsonCall, JsonAnswer>> jsonRoutes) {
        this.config = config;
        this.router = router;
        this.events = events;
        this.routes = routes;
        this.jsonRoutes = jsonRoutes;
    }

    /** A model alias's two routes: for whole answers and for streams. */
    public record ChatRoute(RouteConfig config, Route<ChatRequest, ChatResponse> whole, StreamRoute<ChatRequest, ChatChunk> streaming) {
    }

    /**
     * The router the gateways of one server share across reloads, so that breakers, budgets, latency
     * statistics and operator overrides survive a configuration change: breakers by {@code breaker},
     * metrics in {@code registry}, the latest events in {@code events}.
     */
    public static Router router(BreakerConfig breaker, MeterRegistry registry, RecentEvents events) {
        return Router.builder()
                .breaker(breaker(breaker))
                .listener(new RouteMetrics(registry))
                .listener(events)
                .build();
    }

    /**
     * Builds the gateway {@code config} describes on {@code router}, reading provider keys through
     * {@code environment}.
     *
     * @throws dev.detour.llm.InvalidChatException naming an environment variable that is not set
     */
    public static Gateway build(GatewayConfig config, Function<String, String> environment, Router router, RecentEvents events) {
        Map<String, ChatProvider> providers = new LinkedHashMap<>();
        Map<String, HttpJsonProvider> backends = new LinkedHashMap<>();
        config.providers().forEach((name, provider) -> {
            if ("http".equals(provider.type())) {
                backends.put(name, new HttpJsonProvider(name, settings(provider)));
            } else {
                providers.put(name, chatProvider(provider, environment));
            }
        });
        Map<String, ChatRoute> routes = new LinkedHashMap<>();
        for (RouteConfig route : config.routes()) {
            routes.put(route.alias(), chatRoute(router, route, providers, config.providers()));
        }
        Map<String, Route<JsonCall, JsonAnswer>> jsonRoutes = new LinkedHashMap<>();
        for (JsonRouteConfig route : config.jsonRoutes()) {
            jsonRoutes.put(route.name(), jsonRoute(router, route, backends, config.providers()));
        }
        return new Gateway(config, router, events, Map.copyOf(routes), Map.copyOf(jsonRoutes));
    }

    /** The configuration this gateway runs. */
    public GatewayConfig config() {
        return config;
    }

    /** The router: provider states and operator overrides. */
    public Router router() {
        return router;
    }

    /** The latest fallback and breaker events, newest last. */
    public RecentEvents events() {
        return events;
    }

    /** The routes of a model alias, or null. */
    public ChatRoute route(String alias) {
        return routes.get(alias);
    }

    /** The plain JSON route named {@code name}, or null. */
    public Route<JsonCall, JsonAnswer> jsonRoute(String name) {
        return jsonRoutes.get(name);
    }

    /** Every model alias, in configuration order. */
    public List<String> aliases() {
        List<String> aliases = new ArrayList<>();
        config.routes().forEach(route -> aliases.add(route.alias()));
        return aliases;
    }

    private static BreakerPolicy breaker(BreakerConfig breaker) {
        if (breaker == null) {
            return BreakerPolicy.defaults();
        }
        BreakerPolicy policy = BreakerPolicy.defaults()
                .countWindow(breaker.window())
                .minimumCalls(breaker.minimumCalls())
                .failureRate(breaker.failureRate())
                .openFor(breaker.openFor())
                .halfOpenProbes(breaker.halfOpenProbes());
        return breaker.slowCall() == null ? policy : policy.slowCalls(breaker.slowCall(), breaker.slowCallRate());
    }

    private static HttpSettings settings(ProviderConfig provider) {
        HttpSettings settings = HttpSettings.of(provider.baseUrl())
                .pool(provider.maxConnections(), 1024)
                .maxIdleTime(provider.maxIdleTime());
        for (Map.Entry<String, String> header : provider.headers().entrySet()) {
            settings = settings.header(header.getKey(), header.getValue());
        }
        return settings;
    }

    private static Route<JsonCall, JsonAnswer> jsonRoute(Router router, JsonRouteConfig config,
                                                         Map<String, HttpJsonProvider> backends,
                                                         Map<String, ProviderConfig> settings) {
        Route.Builder<JsonCall, JsonAnswer> route = router.<JsonCall, JsonAnswer>route("routes/" + config.name())
                .deadline(config.deadline());
        for (TierConfig tier : config.tiers()) {
            List<Provider<JsonCall, JsonAnswer>> providers = new ArrayList<>();
            Map<String, Double> weights = new LinkedHashMap<>();
            for (String name : tier.providers()) {
                providers.add(backends.get(name));
                weights.put(name, settings.get(name).weight());
            }
            route.tier(tier(Tier.of(providers), tier, tier.timeout(), weights));
        }
        if (config.lastKnownGood() != null) {
            route.lastKnownGood(JsonCall::key, config.lastKnownGood());
        }
        if (config.defaultBody() != null) {
            route.defaultAnswer(new JsonAnswer(200, "application/json",
                    config.defaultBody().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return route.build();
    }

    private static ChatProvider chatProvider(ProviderConfig provider, Function<String, String> environment) {
        HttpSettings settings = settings(provider);
        ApiKey key = provider.apiKeyEnv() == null ? null : ApiKey.fromEnv(provider.apiKeyEnv(), environment);
        if ("anthropic".equals(provider.type())) {
            AnthropicProvider.Builder builder = AnthropicProvider.builder(provider.name(), settings);
            if (key != null) {
                builder.apiKey(key);
            }
            if (provider.model() != null) {
                builder.model(provider.model());
            }
            if (provider.continuation() != null) {
                builder.continuation(continuation(provider));
            }
            return builder.build();
        }
        OpenAiProvider.Builder builder = OpenAiProvider.builder(provider.name(), settings);
        if (key != null) {
            builder.apiKey(key);
        }
        if (provider.model() != null) {
            builder.model(provider.model());
        }
        if (provider.continuation() != null) {
            builder.continuation(continuation(provider));
        }
        return builder.build();
    }

    private static ChatRoute chatRoute(Router router, RouteConfig config, Map<String, ChatProvider> providers,
                                       Map<String, ProviderConfig> settings) {
        Route.Builder<ChatRequest, ChatResponse> whole = router.<ChatRequest, ChatResponse>route(config.alias())
                .deadline(config.deadline());
        Route.Builder<ChatRequest, Started<ChatChunk>> streaming = router.<ChatRequest, Started<ChatChunk>>route(config.alias())
                .deadline(config.streamDeadline());
        boolean emptyFails = !RouteConfig.EMPTY_ALLOW.equals(config.emptyAnswers()) || config.validators().contains("nonEmpty");
        for (TierConfig tier : config.tiers()) {
            List<Provider<ChatRequest, ChatResponse>> wholeTier = new ArrayList<>();
            List<Provider<ChatRequest, Started<ChatChunk>>> streamTier = new ArrayList<>();
            Map<String, Double> weights = new LinkedHashMap<>();
            for (String name : tier.providers()) {
                wholeTier.add(whole(providers.get(name), settings.get(name)));
                streamTier.add(streaming(providers.get(name), settings.get(name), emptyFails));
                weights.put(name, settings.get(name).weight());
            }
            whole.tier(tier(Tier.of(wholeTier), tier, tier.timeout(), weights));
            streaming.tier(tier(Tier.of(streamTier), tier, tier.streamTimeout(), weights));
        }
        if (!config.onContextWindow().isEmpty()) {
            List<Provider<ChatRequest, ChatResponse>> wholeLarger = new ArrayList<>();
            List<Provider<ChatRequest, Started<ChatChunk>>> streamLarger = new ArrayList<>();
            for (String name : config.onContextWindow()) {
                wholeLarger.add(whole(providers.get(name), settings.get(name)));
                streamLarger.add(streaming(providers.get(name), settings.get(name), emptyFails));
            }
            whole.onContextWindow(Tier.of(wholeLarger));
            streaming.onContextWindow(Tier.of(streamLarger));
        }
        if (!RouteConfig.EMPTY_ALLOW.equals(config.emptyAnswers()) && !config.validators().contains("nonEmpty")) {
            whole.validate(ChatValidators.nonEmpty());
        }
        if (config.fallbackOn() != null && !config.fallbackOn().isEmpty()) {
            Set<FailureKind> kinds = EnumSet.noneOf(FailureKind.class);
            config.fallbackOn().forEach(kind -> kinds.add(kind(kind)));
            FailureKind first = kinds.iterator().next();
            whole.fallbackOn(first, kinds.toArray(new FailureKind[0]));
            streaming.fallbackOn(first, kinds.toArray(new FailureKind[0]));
        }
        for (String validator : config.validators()) {
            switch (validator) {
                case "nonEmpty" -> whole.validate(ChatValidators.nonEmpty());
                case "finishedNormally" -> whole.validate(ChatValidators.finishedNormally());
                case "validJson" -> whole.validate(ChatValidators.validJson());
                case "requestedFormat" -> whole.validate(ChatValidators.matchesRequestedFormat());
                case "noRefusal" -> whole.validate(ChatValidators.noRefusal(ChatValidators.commonRefusals()));
                default -> throw new IllegalArgumentException("route '" + config.alias() + "': unknown validator " + validator);
            }
        }
        if (config.confidenceFloor() != null) {
            whole.confidenceFloor(config.confidenceFloor(), Confidence.fromLogprobs());
        }
        if (config.bestEffort()) {
            whole.bestEffort();
        }
        if (config.maxAttempts() != null) {
            whole.maxAttempts(config.maxAttempts());
            streaming.maxAttempts(config.maxAttempts());
        }
        if (config.maxCost() != null) {
            whole.maxCost(config.maxCost());
            streaming.maxCost(config.maxCost());
        }
        if (config.lastKnownGood() != null) {
            whole.lastKnownGood(ChatRequest::json, config.lastKnownGood());
        }
        if (config.defaultAnswer() != null) {
            whole.defaultAnswer(ChatResponse.of("detour-default", config.alias(), config.defaultAnswer(), "stop", Usage.NONE));
        }
        StreamRoute.Builder<ChatRequest, ChatChunk> stream = RouteConfig.MID_STREAM_CONTINUE.equals(config.midStream())
                ? ChatStreams.continuing(streaming.build(), name -> providers.get(name).continuation() != ContinuationMode.NONE)
                : ChatStreams.failing(streaming.build());
        stream.idleTimeout(config.idleTimeout());
        if (RouteConfig.MALFORMED_FAIL.equals(config.malformedEvents())) {
            stream.failWhen(ChatChunk::isMalformed);
        }
        return new ChatRoute(config, whole.build(), stream.build());
    }

    private static <I, O> Tier<I, O> tier(Tier<I, O> tier, TierConfig config, Duration timeout, Map<String, Double> weights) {
        if (timeout != null) {
            tier = tier.timeout(timeout);
        }
        RetryConfig retry = config.retry();
        if (retry != null) {
            RetryPolicy policy = RetryPolicy.backoff(retry.attempts(), retry.backoff()).maxDelay(retry.maxBackoff());
            if (retry.retryOn() != null && !retry.retryOn().isEmpty()) {
                FailureKind[] kinds = retry.retryOn().stream().map(Gateway::kind).toArray(FailureKind[]::new);
                policy = policy.retryOn(kinds[0], kinds);
            }
            tier = tier.retry(policy);
        }
        HedgeConfig hedge = config.hedge();
        if (hedge != null) {
            HedgePolicy policy = hedge.after() != null ? HedgePolicy.after(hedge.after()) : HedgePolicy.atPercentile(hedge.percentile());
            if (hedge.floor() != null && hedge.after() == null) {
                policy = policy.floor(hedge.floor());
            }
            tier = tier.hedge(policy.maxHedges(hedge.maxHedges()));
        }
        return switch (config.balance()) {
            case "round-robin" -> tier.balance(Balancer.roundRobin());
            case "weighted" -> tier.balance(Balancer.weighted(weights));
            case "least-latency" -> tier.balance(Balancer.leastLatency());
            default -> tier;
        };
    }

    private static Provider<ChatRequest, ChatResponse> whole(ChatProvider chat, ProviderConfig provider) {
        return chat.withCost(provider.costPerCall(), answer -> tokens(answer.usage(), provider));
    }

    private static Provider<ChatRequest, Started<ChatChunk>> streaming(ChatProvider chat, ProviderConfig provider,
                                                                       boolean emptyFails) {
        return ChatStreams.streaming(chat, emptyFails).withCost(provider.costPerCall(), started -> 0);
    }

    private static ContinuationMode continuation(ProviderConfig provider) {
        return ContinuationMode.valueOf(provider.continuation().toUpperCase(Locale.ROOT));
    }

    private static FailureKind kind(String name) {
        return FailureKind.valueOf(name.toUpperCase(Locale.ROOT));
    }

    private static double tokens(Usage usage, ProviderConfig provider) {
        return usage == null ? 0
                : usage.promptTokens() * provider.costPerInputToken() + usage.completionTokens() * provider.costPerOutputToken();
    }

    /** Keeps the latest fallback, mid-stream, continuation, breaker and override events for the admin API. */
    public static final class RecentEvents implements dev.detour.core.RouteListener {

        private final int capacity;
        private final java.util.ArrayDeque<RouteEvent> events;

        /** Keeps the latest {@code capacity} events. */
        public RecentEvents(int capacity) {
            this.capacity = capacity;
            this.events = new java.util.ArrayDeque<>(capacity);
        }

        @Override
        public void onEvent(RouteEvent event) {
            if (event instanceof RouteEvent.FellBack || event instanceof RouteEvent.BreakerChanged
                    || event instanceof RouteEvent.ProviderOverridden || event instanceof RouteEvent.MidStreamFailed
                    || event instanceof RouteEvent.StreamContinued) {
                synchronized (events) {
                    if (events.size() == capacity) {
                        events.removeFirst();
                    }
                    events.addLast(event);
                }
            }
        }

        /** The kept events, oldest first. */
        public List<RouteEvent> list() {
            synchronized (events) {
                return List.copyOf(events);
            }
        }
    }
}
