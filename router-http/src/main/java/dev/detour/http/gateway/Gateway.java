package dev.detour.http.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.RouteEvent;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.spi.Counters;
import dev.detour.core.spi.StateStore;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.core.telemetry.RouteMetrics;
import dev.detour.http.config.BreakerConfig;
import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.JsonRouteConfig;
import dev.detour.http.config.ProviderConfig;
import dev.detour.http.config.RouteConfig;
import dev.detour.http.config.TierConfig;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.Usage;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import dev.detour.llm.validate.ChatValidators;
import dev.detour.llm.validate.Confidence;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The running router one configuration describes: its providers (with their keys read from the
 * environment), one {@link Router} shared by every route, and for each model alias a route for whole
 * answers and a streaming route. Immutable; a reload builds a new one.
 */
public final class Gateway {

    /** How many answers a route's last-known-good step keeps (the core's default). */
    private static final int LAST_KNOWN_GOOD = 10_000;

    private final GatewayConfig config;
    private final Router router;
    private final RecentEvents events;
    private final Map<String, ChatRoute> routes;
    private final Map<String, Route<JsonCall, JsonAnswer>> jsonRoutes;
    private final Map<String, AnthropicProvider> tokenCounters;
    private final Map<String, Route<ObjectNode, ObjectNode>> embeddings;

    private Gateway(GatewayConfig config, Router router, RecentEvents events, Map<String, ChatRoute> routes,
                    Map<String, Route<JsonCall, JsonAnswer>> jsonRoutes, Map<String, AnthropicProvider> tokenCounters,
                    Map<String, Route<ObjectNode, ObjectNode>> embeddings) {
        this.embeddings = embeddings;
        this.config = config;
        this.router = router;
        this.events = events;
        this.routes = routes;
        this.jsonRoutes = jsonRoutes;
        this.tokenCounters = tokenCounters;
    }

    /** A model alias's two routes: for whole answers and for streams. */
    public record ChatRoute(RouteConfig config, Route<ChatRequest, ChatResponse> whole, StreamRoute<ChatRequest, ChatChunk> streaming) {
    }

    /**
     * The router the gateways of one server share across reloads, so that breakers, budgets, latency
     * statistics and operator overrides survive a configuration change: breakers by {@code breaker}, its state
     * kept in {@code store} (and counted in the store's counters unless {@code counters} is set), metrics in
     * {@code registry}, the latest events in {@code events}, requests and attempts observed in
     * {@code observations}, LLM attempts with their messages when {@code captureContent}.
     */
    public static Router router(BreakerConfig breaker, StateStore store, MeterRegistry registry, RecentEvents events,
                                ObservationRegistry observations, boolean captureContent, Counters counters) {
        Router.Builder router = Router.builder()
                .stateStore(store)
                .breaker(breaker.policy())
                .listener(new RouteMetrics(registry))
                .listener(events)
                .observationRegistry(observations)
                .captureContent(captureContent);
        if (counters != null) {
            router.counters(counters);
        }
        return router.build();
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
            if (!provider.isChat()) {
                backends.put(name, new HttpJsonProvider(name, provider.settings()));
            } else {
                providers.put(name, chatProvider(provider, environment));
            }
        });
        Map<String, ChatRoute> routes = new LinkedHashMap<>();
        Map<String, AnthropicProvider> tokenCounters = new LinkedHashMap<>();
        Map<String, Route<ObjectNode, ObjectNode>> embeddings = new LinkedHashMap<>();
        for (RouteConfig route : config.routes()) {
            routes.put(route.alias(), chatRoute(router, route, providers, config.providers()));
            Route<ObjectNode, ObjectNode> embedding = embeddingRoute(router, route, providers, config.providers());
            if (embedding != null) {
                embeddings.put(route.alias(), embedding);
            }
            route.tiers().stream().flatMap(tier -> tier.providers().stream()).map(providers::get)
                    .filter(AnthropicProvider.class::isInstance).map(AnthropicProvider.class::cast).findFirst()
                    .ifPresent(first -> tokenCounters.put(route.alias(), first));
        }
        Map<String, Route<JsonCall, JsonAnswer>> jsonRoutes = new LinkedHashMap<>();
        for (JsonRouteConfig route : config.jsonRoutes()) {
            jsonRoutes.put(route.name(), jsonRoute(router, route, backends, config.providers()));
        }
        return new Gateway(config, router, events, Map.copyOf(routes), Map.copyOf(jsonRoutes), Map.copyOf(tokenCounters),
                Map.copyOf(embeddings));
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

    /**
     * The provider that counts tokens for a model alias: its route's first Anthropic provider (in tier order),
     * or null when the route has none (or there is no such alias).
     */
    public AnthropicProvider tokenCounter(String alias) {
        return tokenCounters.get(alias);
    }

    /**
     * The embeddings route of a model alias ({@code POST /v1/embeddings}): its chat route's tiers, deadline, timeouts
     * and fallback kinds over the OpenAI-compatible providers alone (each posting to its {@code /embeddings}); null
     * when the alias is unknown or its route has no OpenAI-compatible provider.
     */
    public Route<ObjectNode, ObjectNode> embeddings(String alias) {
        return embeddings.get(alias);
    }

    private static Route<ObjectNode, ObjectNode> embeddingRoute(Router router, RouteConfig config, Map<String, ChatProvider> providers,
                                                               Map<String, ProviderConfig> settings) {
        Route.Builder<ObjectNode, ObjectNode> route = router.<ObjectNode, ObjectNode>route("embeddings/" + config.alias())
                .deadline(config.deadline());
        boolean any = false;
        for (TierConfig tier : config.tiers()) {
            List<Provider<ObjectNode, ObjectNode>> embedders = tier.providers().stream()
                    .filter(name -> providers.get(name) instanceof OpenAiProvider)
                    .map(name -> CallTrail.recording(Provider.<ObjectNode, ObjectNode>of(name,
                            (request, attempt) -> ((OpenAiProvider) providers.get(name)).embeddings(request))
                            .withCost(settings.get(name).costPerCall(), answer -> tokens(usage(answer), settings.get(name))),
                            Gateway::usage))
                    .toList();
            if (!embedders.isEmpty()) {
                route.tier(tier.tier(embedders, tier.timeout(), weights(tier, settings)));
                any = true;
            }
        }
        if (!any) {
            return null;
        }
        FailureKind[] fallbackOn = config.fallbackKinds();
        if (fallbackOn != null) {
            route.fallbackOn(fallbackOn[0], fallbackOn);
        }
        return route.build();
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

    private static Route<JsonCall, JsonAnswer> jsonRoute(Router router, JsonRouteConfig config,
                                                         Map<String, HttpJsonProvider> backends,
                                                         Map<String, ProviderConfig> settings) {
        Route.Builder<JsonCall, JsonAnswer> route = router.<JsonCall, JsonAnswer>route("routes/" + config.name())
                .deadline(config.deadline());
        for (TierConfig tier : config.tiers()) {
            route.tier(tier.tier(tier.providers().stream()
                    .map(name -> CallTrail.recording(backends.get(name).withCost(settings.get(name).costPerCall(), answer -> 0)))
                    .toList(), tier.timeout(), weights(tier, settings)));
        }
        if (config.lastKnownGood() != null) {
            route.lastKnownGood(JsonCall::key, config.lastKnownGood(), LAST_KNOWN_GOOD, AnswerCodecs.JSON);
        }
        if (config.defaultBody() != null) {
            route.defaultAnswer(new JsonAnswer(200, "application/json", config.defaultBody().getBytes(StandardCharsets.UTF_8)));
        }
        return route.build();
    }

    private static ChatProvider chatProvider(ProviderConfig provider, Function<String, String> environment) {
        ApiKey key = provider.apiKeyEnv() == null ? null : ApiKey.fromEnv(provider.apiKeyEnv(), environment);
        return switch (provider.kind()) {
            case ANTHROPIC -> configure(AnthropicProvider.builder(provider.name(), provider.settings()), provider, key).build();
            case OPENAI -> configure(OpenAiProvider.builder(provider.name(), provider.settings()), provider, key).build();
            case HTTP -> throw new IllegalArgumentException("'" + provider.name() + "' is an http provider, not a chat provider");
        };
    }

    /** Sets on {@code builder} what {@code provider} sets: its key, model, continuation and GenAI provider name. */
    private static <B extends ProviderBuilder<B>> B configure(B builder, ProviderConfig provider, ApiKey key) {
        if (key != null) {
            builder.apiKey(key);
        }
        if (provider.model() != null) {
            builder.model(provider.model());
        }
        if (provider.continuationMode() != null) {
            builder.continuation(provider.continuationMode());
        }
        if (provider.genAiProvider() != null) {
            builder.genAiProvider(provider.genAiProvider());
        }
        return builder;
    }

    private static ChatRoute chatRoute(Router router, RouteConfig config, Map<String, ChatProvider> providers,
                                       Map<String, ProviderConfig> settings) {
        Route.Builder<ChatRequest, ChatResponse> whole = router.<ChatRequest, ChatResponse>route(config.alias())
                .deadline(config.deadline());
        Route.Builder<ChatRequest, Started<ChatChunk>> streaming = router.<ChatRequest, Started<ChatChunk>>route(config.alias())
                .deadline(config.streamDeadline());
        boolean emptyFails = config.emptyAnswersFallBack() || config.checks().contains(RouteConfig.Validator.NON_EMPTY);
        Function<String, Provider<ChatRequest, ChatResponse>> wholeProvider = name -> whole(providers.get(name), settings.get(name));
        Function<String, Provider<ChatRequest, Started<ChatChunk>>> streamProvider =
                name -> streaming(providers.get(name), settings.get(name), emptyFails);
        for (TierConfig tier : config.tiers()) {
            whole.tier(tier.tier(tier.providers().stream().map(wholeProvider).toList(), tier.timeout(), weights(tier, settings)));
            streaming.tier(tier.tier(tier.providers().stream().map(streamProvider).toList(), tier.streamTimeout(),
                    weights(tier, settings)));
        }
        if (!config.onContextWindow().isEmpty()) {
            whole.onContextWindow(Tier.of(config.onContextWindow().stream().map(wholeProvider).toList()));
            streaming.onContextWindow(Tier.of(config.onContextWindow().stream().map(streamProvider).toList()));
        }
        if (config.emptyAnswersFallBack() && !config.checks().contains(RouteConfig.Validator.NON_EMPTY)) {
            whole.validate(ChatValidators.nonEmpty());
        }
        FailureKind[] fallbackOn = config.fallbackKinds();
        if (fallbackOn != null) {
            whole.fallbackOn(fallbackOn[0], fallbackOn);
            streaming.fallbackOn(fallbackOn[0], fallbackOn);
        }
        config.checks().forEach(check -> check.addTo(whole));
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
        if (config.fallbackSpendPerDay() != null) {
            whole.fallbackSpendPerDay(config.fallbackSpendPerDay());
            streaming.fallbackSpendPerDay(config.fallbackSpendPerDay());
        }
        if (config.lastKnownGood() != null) {
            whole.lastKnownGood(ChatRequest::json, config.lastKnownGood(), LAST_KNOWN_GOOD, AnswerCodecs.CHAT);
        }
        if (config.defaultAnswer() != null) {
            whole.defaultAnswer(ChatResponse.of("detour-default", config.alias(), config.defaultAnswer(), "stop", Usage.NONE));
        }
        StreamRoute.Builder<ChatRequest, ChatChunk> stream = config.continuesMidStream()
                ? ChatStreams.continuing(streaming.build(), name -> providers.get(name).continuation() != ContinuationMode.NONE)
                : ChatStreams.failing(streaming.build());
        stream.idleTimeout(config.idleTimeout());
        if (config.malformedEventsFail()) {
            stream.failWhen(ChatChunk::isMalformed);
        }
        return new ChatRoute(config, whole.build(), stream.build());
    }

    private static Map<String, Double> weights(TierConfig tier, Map<String, ProviderConfig> settings) {
        Map<String, Double> weights = new LinkedHashMap<>();
        tier.providers().forEach(name -> weights.put(name, settings.get(name).weight()));
        return weights;
    }

    private static Provider<ChatRequest, ChatResponse> whole(ChatProvider chat, ProviderConfig provider) {
        return CallTrail.recording(chat.withCost(provider.costPerCall(), answer -> tokens(answer.usage(), provider)),
                ChatResponse::usage);
    }

    private static Provider<ChatRequest, Started<ChatChunk>> streaming(ChatProvider chat, ProviderConfig provider,
                                                                       boolean emptyFails) {
        ChatProvider metered = new MeteredChatProvider(chat, usage -> tokens(usage, provider));
        return CallTrail.recording(ChatStreams.streaming(metered, emptyFails).withCost(provider.costPerCall(), started -> 0));
    }

    /**
     * What {@code usage} costs at the token prices of {@code provider} ({@code cost-per-input-token},
     * {@code cost-per-output-token}); 0 for a provider this gateway does not have.
     */
    public double tokenCost(String provider, Usage usage) {
        ProviderConfig settings = config.providers().get(provider);
        return settings == null ? 0 : tokens(usage, settings);
    }

    /** The tokens an embeddings answer says it used ({@code prompt_tokens}); null when it says none. */
    private static Usage usage(ObjectNode embeddings) {
        return Usage.of(embeddings.get("usage"));
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
