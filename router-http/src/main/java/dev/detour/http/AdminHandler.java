package dev.detour.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.ProviderStatus;
import dev.detour.core.RouteEvent;
import dev.detour.core.spi.CircuitBreaker;
import dev.detour.http.config.ConfigException;
import dev.detour.http.config.ConfigVersions;
import dev.detour.llm.Json;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * The admin API, behind the admin token: providers' state and overrides, configuration versions,
 * reload and rollback, recent fallback and breaker events, the heap after a full collection. Never
 * shows a key.
 */
final class AdminHandler {

    private final Supplier<Serving> serving;
    private final ConfigVersions versions;
    private volatile Supplier<ConfigVersions.Version> reload = () -> {
        throw new ApiError.ApiException(ApiError.badRequest("the router was not started from a config file; POST the YAML to the config endpoint instead"));
    };

    AdminHandler(Supplier<Serving> serving, ConfigVersions versions) {
        this.serving = serving;
        this.versions = versions;
    }

    /** Sets how {@code POST …/config/reload} re-reads the configuration (blocking; run off the event loop). */
    void reloadWith(Supplier<ConfigVersions.Version> reload) {
        this.reload = reload;
    }

    void register(HttpServerRoutes routes, String prefix) {
        routes.get(prefix + "/providers", guarded((request, response) -> json(response, providers())))
                .post(prefix + "/providers/{name}/{action}", guarded(this::override))
                .get(prefix + "/config/versions", guarded((request, response) -> json(response, versions())))
                .post(prefix + "/config", guarded(this::offer))
                .post(prefix + "/config/reload", guarded((request, response) -> Mono.fromCallable(() -> reload.get())
                        .subscribeOn(Schedulers.boundedElastic())
                        .flatMap(version -> json(response, version(version)))))
                .post(prefix + "/config/rollback/{number}", guarded(this::rollback))
                .get(prefix + "/events", guarded((request, response) -> json(response, events())))
                .post(prefix + "/jvm/gc", guarded((request, response) -> json(response, HeapAfterGc.collect())));
    }

    private BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> guarded(
            BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler) {
        return (request, response) -> {
            ClientAuth admin = serving.get().admin();
            ApiError denied = admin == null ? ApiError.notFound("admin_off", "the admin API is off") : admin.check(request);
            if (denied != null) {
                return Exchanges.error(response, denied);
            }
            return Mono.defer(() -> handler.apply(request, response))
                    .onErrorResume(error -> Exchanges.error(response, admin(error)));
        };
    }

    private static ApiError admin(Throwable error) {
        if (error instanceof ConfigException || error instanceof IllegalArgumentException && !(error instanceof ApiError.ApiException)) {
            return ApiError.badRequest(error.getMessage());
        }
        return ApiError.of(error);
    }

    private Mono<Void> override(HttpServerRequest request, HttpServerResponse response) {
        String name = request.param("name");
        String action = request.param("action");
        var router = serving.get().gateway().router();
        switch (action) {
            case "disable" -> router.disable(name);
            case "enable" -> router.enable(name);
            case "force-open" -> router.forceOpen(name);
            case "reset" -> router.resetBreaker(name);
            default -> throw new ApiError.ApiException(ApiError.notFound("unknown_action",
                    "unknown action '" + action + "'; use disable, enable, force-open or reset"));
        }
        return json(response, provider(router.status(name)));
    }

    private Mono<Void> offer(HttpServerRequest request, HttpServerResponse response) {
        return Bodies.read(request, 1 << 20)
                .publishOn(Schedulers.boundedElastic()) // a config may name files to read (server.tls): off the event loop
                .map(bytes -> versions.offer(new String(bytes, StandardCharsets.UTF_8), "admin"))
                .flatMap(version -> json(response, version(version)));
    }

    private Mono<Void> rollback(HttpServerRequest request, HttpServerResponse response) {
        int number;
        try {
            number = Integer.parseInt(request.param("number"));
        } catch (NumberFormatException e) {
            throw new ApiError.ApiException(ApiError.badRequest("version must be a number, was " + request.param("number")));
        }
        return json(response, version(versions.rollback(number)));
    }

    private ObjectNode providers() {
        ObjectNode body = Json.newObject();
        ArrayNode list = body.putArray("providers");
        serving.get().gateway().router().statuses().forEach(status -> list.add(provider(status)));
        return body;
    }

    private static ObjectNode provider(ProviderStatus status) {
        CircuitBreaker.Snapshot breaker = status.breaker();
        ObjectNode node = Json.newObject().put("name", status.provider()).put("disabled", status.disabled());
        ObjectNode state = node.putObject("breaker");
        state.put("state", breaker.state().name().toLowerCase(Locale.ROOT))
                .put("calls", breaker.calls())
                .put("failures", breaker.failures())
                .put("failure_rate", breaker.failureRate())
                .put("slow_calls", breaker.slowCalls())
                .put("open_for_ms", breaker.openFor().toMillis());
        if (status.latency() == null) {
            node.putNull("latency_ewma_ms");
        } else {
            node.put("latency_ewma_ms", status.latency().toNanos() / 1e6);
        }
        node.put("error_rate", status.errorRate());
        return node;
    }

    private ObjectNode versions() {
        ObjectNode body = Json.newObject().put("current", versions.current().number());
        ArrayNode list = body.putArray("versions");
        versions.all().forEach(version -> list.add(version(version)));
        return body;
    }

    private static ObjectNode version(ConfigVersions.Version version) {
        return Json.newObject()
                .put("number", version.number())
                .put("loaded_at", version.loadedAt().toString())
                .put("source", version.source())
                .put("sha256", version.sha256());
    }

    private ObjectNode events() {
        ObjectNode body = Json.newObject();
        ArrayNode list = body.putArray("events");
        for (RouteEvent event : serving.get().gateway().events().list()) {
            ObjectNode node = list.addObject().put("type", event.getClass().getSimpleName());
            if (event instanceof RouteEvent.FellBack fellBack) {
                node.put("route", fellBack.route()).put("trigger", fellBack.trigger().toString())
                        .put("from", fellBack.from().provider()).put("to", fellBack.toProvider());
            } else if (event instanceof RouteEvent.BreakerChanged changed) {
                node.put("provider", changed.provider()).put("from", changed.from().name()).put("to", changed.to().name())
                        .put("reason", changed.reason());
            } else if (event instanceof RouteEvent.ProviderOverridden overridden) {
                node.put("provider", overridden.provider()).put("action", overridden.action());
            } else if (event instanceof RouteEvent.MidStreamFailed failed) {
                node.put("route", failed.route()).put("provider", failed.provider()).put("relayed", failed.relayed())
                        .put("failure", failed.failure().toString()).put("continued", failed.continued());
            } else if (event instanceof RouteEvent.StreamContinued continued) {
                node.put("route", continued.route()).put("from", continued.from()).put("to", continued.to())
                        .put("reason", continued.reason().toString()).put("words_sent", continued.sentWords())
                        .put("restated_chars", continued.restated());
            }
        }
        return body;
    }

    private static Mono<Void> json(HttpServerResponse response, ObjectNode body) {
        return Exchanges.json(response, HttpResponseStatus.OK, body);
    }
}
