package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.http.config.ConfigVersions;
import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.ServerConfig;
import dev.detour.http.gateway.Gateway;
import dev.detour.llm.ApiKey;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The standalone router: an OpenAI-compatible HTTP server on Reactor Netty over a {@link Gateway}, which
 * it rebuilds whenever the configuration changes. {@link #close()} shuts down gracefully: it stops
 * accepting, reports not ready, and lets requests in flight finish up to the configured grace.
 */
public final class DetourServer implements AutoCloseable {

    private final DisposableServer server;
    private final AtomicReference<Gateway> gateway;
    private final ConfigVersions versions;
    private final PrometheusMeterRegistry registry;
    private final RequestLog log;
    private final Duration grace;
    private final AdminHandler admin;
    private volatile boolean draining;

    private DetourServer(ConfigVersions versions, Function<String, String> environment, PrintStream out) {
        this.versions = versions;
        GatewayConfig config = versions.current().config();
        ServerConfig settings = config.server();
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.gateway = new AtomicReference<>(Gateway.build(config, environment, registry));
        this.log = new RequestLog(out);
        this.grace = settings.shutdownGrace();
        ClientAuth clients = new ClientAuth(keys(config.clientKeyEnvs(), environment), "API key");
        ChatHandler chat = new ChatHandler(gateway::get, settings.maxBodyBytes(), settings.propagateHeaders(), clients, log);
        JsonRouteHandler json = new JsonRouteHandler(gateway::get, settings.maxBodyBytes(), clients, chat::propagated);
        this.admin = config.admin().tokenEnv() == null ? null : new AdminHandler(gateway::get, versions,
                new ClientAuth(List.of(ApiKey.fromEnv(config.admin().tokenEnv(), environment).reveal()), "admin token"));
        String adminPrefix = config.admin().pathPrefix();
        this.server = HttpServer.create()
                .host(settings.host())
                .port(settings.port())
                .route(routes -> {
                    routes.post("/v1/chat/completions", chat::completions)
                            .get("/v1/models", chat::models)
                            .get("/healthz", (request, response) -> response.sendString(Mono.just("ok")))
                            .get("/readyz", (request, response) -> draining
                                    ? response.status(HttpResponseStatus.SERVICE_UNAVAILABLE).sendString(Mono.just("draining"))
                                    : response.sendString(Mono.just("ready")))
                            .get("/metrics", (request, response) -> response
                                    .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                                    .sendString(Mono.fromCallable(registry::scrape)));
                    if (admin != null) {
                        admin.register(routes, adminPrefix);
                    }
                    routes.route(JsonRouteHandler::matches, json::handle);
                    routes.route(request -> true, (request, response) -> ChatHandler.error(response,
                            ApiError.notFound("unknown_path", "no route for " + request.method() + " " + request.path())));
                })
                .bindNow();
        versions.onChange(version -> {
            try {
                gateway.set(Gateway.build(version.config(), environment, registry));
            } catch (RuntimeException e) {
                ObjectNode line = log.line().put("event", "reload_failed").put("version", version.number())
                        .put("error", e.getMessage());
                log.write(line);
            }
        });
    }

    /**
     * Starts the router on the current configuration of {@code versions}, reading keys through
     * {@code environment} and writing request log lines to {@code out}.
     */
    public static DetourServer start(ConfigVersions versions, Function<String, String> environment, PrintStream out) {
        return new DetourServer(versions, environment, out);
    }

    private static List<String> keys(List<String> envs, Function<String, String> environment) {
        List<String> keys = new ArrayList<>(envs.size());
        envs.forEach(env -> keys.add(ApiKey.fromEnv(env, environment).reveal()));
        return keys;
    }

    /** Lets the admin API's reload re-read {@code file}. */
    public void reloadFrom(java.nio.file.Path file) {
        if (admin != null) {
            admin.reloadWith(() -> {
                try {
                    return versions.offer(java.nio.file.Files.readString(file), file.getFileName().toString());
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
                }
            });
        }
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** {@code http://host:port}. */
    public String baseUrl() {
        return "http://" + server.host() + ":" + server.port();
    }

    /** The gateway serving now. */
    public Gateway gateway() {
        return gateway.get();
    }

    /** The configuration versions. */
    public ConfigVersions versions() {
        return versions;
    }

    /** The metrics registry. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Stops accepting, lets requests in flight finish within the grace period, then closes. */
    @Override
    public void close() {
        draining = true;
        server.disposeNow(grace);
        log.close();
    }
}
