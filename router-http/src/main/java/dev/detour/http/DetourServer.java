package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Router;
import dev.detour.core.spi.Counters;
import dev.detour.core.spi.StateStore;
import dev.detour.http.config.AdminConfig;
import dev.detour.http.config.ConfigVersions;
import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.ServerConfig;
import dev.detour.http.config.TlsConfig;
import dev.detour.http.gateway.Gateway;
import dev.detour.http.limits.KeyLimits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The standalone router: an OpenAI- and Anthropic-compatible HTTP server on Reactor Netty over a {@link Gateway}. A new
 * configuration version is checked and built before it becomes current (a bad one is refused and the
 * running one stays); provider state (breakers, overrides, statistics) lives in one {@link Router} that
 * survives reloads. {@link #close()} shuts down gracefully: it stops accepting, lets requests in flight
 * finish within the grace period, then closes what is left (cancelling its provider calls).
 */
public final class DetourServer implements AutoCloseable {

    private final DisposableServer server;
    private final AtomicReference<Serving> serving;
    private final AtomicReference<Serving> prepared = new AtomicReference<>();
    private final ConfigVersions versions;
    private final PrometheusMeterRegistry registry;
    private final RequestLog log;
    private final ChatHandler chat;
    private final ChatHandler messages;
    private final AdminHandler admin;
    private final ClientEdges edges;
    private final Tracing tracing;
    private final StateStore state;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    private DetourServer(ConfigVersions versions, Function<String, String> environment, PrintStream out, Tracing tracing,
                         Counters counters) {
        this.versions = versions;
        GatewayConfig config = versions.current().config();
        ServerConfig settings = config.server();
        this.tracing = tracing != null ? tracing : Tracing.of(config.tracing());
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Gateway.RecentEvents events = new Gateway.RecentEvents(200);
        this.state = SharedState.open(config.state(), environment, registry);
        Router router = Gateway.router(config.breaker(), state, registry, events, this.tracing.registry(),
                config.tracing() != null && config.tracing().captureContent(), counters);
        KeyLimits limits = new KeyLimits(router.counters(), registry);
        Function<GatewayConfig, Serving> prepare = next -> Serving.of(next, Gateway.build(next, environment, router, events), environment, limits);
        this.serving = new AtomicReference<>(prepare.apply(config));
        this.log = new RequestLog(out);
        this.chat = new ChatHandler(serving::get, log);
        this.messages = new ChatHandler(serving::get, log, Door.ANTHROPIC, this.tracing);
        this.edges = new ClientEdges(() -> serving.get().server(), log);
        edgeMetrics(edges);
        this.admin = config.admin().tokenEnv() == null ? null : new AdminHandler(serving::get, versions);
        JsonRouteHandler json = new JsonRouteHandler(serving::get, log);
        String adminPrefix = config.admin().pathPrefix();
        this.server = guarded(secured(HttpServer.create(), settings), settings)
                .host(settings.host())
                .port(settings.port())
                .doOnConnection(connection -> connections.add(connection.channel()))
                .route(routes -> {
                    routes.post("/v1/chat/completions", limited(traced("/v1/chat/completions", chat::completions)))
                            .post("/v1/embeddings", limited(traced("/v1/embeddings", chat::embeddings)))
                            .post("/v1/messages", limited(traced("/v1/messages", messages::completions), Door.ANTHROPIC))
                            .post("/v1/messages/count_tokens", limited(traced("/v1/messages/count_tokens", messages::countTokens), Door.ANTHROPIC))
                            .get("/v1/models", tracked(chat::models))
                            .get("/healthz", (request, response) -> response.sendString(Mono.just("ok")))
                            .get("/readyz", (request, response) -> draining
                                    ? response.status(HttpResponseStatus.SERVICE_UNAVAILABLE).sendString(Mono.just("draining"))
                                    : response.sendString(Mono.fromSupplier(() -> "ready\n" + SharedState.describe(state))))
                            .get("/metrics", (request, response) -> response
                                    .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                                    .sendString(Mono.fromCallable(registry::scrape)));
                    if (admin != null) {
                        admin.register(routes, adminPrefix);
                    }
                    routes.route(JsonRouteHandler::matches, limited(this.tracing.traced("ANY", "/routes/{name}", json::handle)));
                    routes.route(request -> true, (request, response) -> {
                        ApiError unknown = ApiError.unknownPath(request.method().name(), request.fullPath());
                        return request.fullPath().startsWith("/v1/messages")
                                ? Exchanges.json(response, HttpResponseStatus.NOT_FOUND, Door.ANTHROPIC.error(unknown))
                                : Exchanges.error(response, unknown);
                    });
                })
                .bindNow();
        versions.check(next -> prepared.set(prepare.apply(unchangedAtRuntime(config, next))));
        versions.onChange(version -> {
            Serving ready = prepared.getAndSet(null);
            serving.set(ready != null && ready.config() == version.config() ? ready : prepare.apply(version.config()));
            ObjectNode line = log.line().put("event", "config_version").put("version", version.number())
                    .put("source", version.source());
            log.write(line);
        });
    }

    /**
     * Starts the router on the current configuration of {@code versions}, reading keys through
     * {@code environment} and writing request log lines to {@code out}.
     */
    public static DetourServer start(ConfigVersions versions, Function<String, String> environment, PrintStream out) {
        return new DetourServer(versions, environment, out, null, null);
    }

    /** {@link #start(ConfigVersions, Function, PrintStream)} with {@code tracing} instead of the config's (tests). */
    static DetourServer start(ConfigVersions versions, Function<String, String> environment, PrintStream out,
                              Tracing tracing) {
        return new DetourServer(versions, environment, out, tracing, null);
    }

    /**
     * {@link #start(ConfigVersions, Function, PrintStream)} counting spend caps and key limits in {@code counters}
     * instead of in memory on the system clock (tests; a store shared by a fleet).
     */
    static DetourServer start(ConfigVersions versions, Function<String, String> environment, PrintStream out,
                              Counters counters) {
        return new DetourServer(versions, environment, out, null, counters);
    }

    private BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> traced(String path,
            BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler) {
        return tracing.traced("POST", path, handler);
    }

    /**
     * With {@code tls}, HTTPS offering HTTP/2 and HTTP/1.1 by ALPN (the certificate files are read now),
     * a connection whose TLS fails closed quietly; without, plain HTTP/1.1 as before. The protocol is chosen
     * after the handshake, before {@link ClientEdges} could guard it, so a TLS connection gets Reactor Netty's
     * own limits instead: closed when no whole request arrives within {@code header-timeout} (also between
     * kept-alive requests), and its request cut past {@code body-idle-timeout} or {@code body-timeout}.
     */
    private static HttpServer secured(HttpServer server, ServerConfig settings) {
        TlsConfig tls = settings.tls();
        if (tls == null) {
            return server;
        }
        Http2SslContextSpec context = Http2SslContextSpec.forServer(tls.certPath().toFile(), tls.keyPath().toFile());
        return server.protocol(HttpProtocol.H2, HttpProtocol.HTTP11)
                .secure(spec -> spec.sslContext(context))
                .idleTimeout(settings.headerTimeout())
                .readTimeout(settings.bodyIdleTimeout())
                .requestTimeout(settings.bodyTimeout())
                .doOnChannelInit((observer, channel, address) -> {
                    if (channel.pipeline().get(NettyPipeline.SslHandler) != null) {
                        channel.pipeline().addAfter(NettyPipeline.SslHandler, "detour.tlsFailures", TlsFailures.INSTANCE);
                    }
                });
    }

    /**
     * The client-facing limits on the HTTP/1.1 server (see {@link ClientEdges}): the decoder's limits on the
     * request line and headers, and the guard every new connection gets (or, past {@code max-connections}, a
     * close before anything is read).
     */
    private HttpServer guarded(HttpServer http, ServerConfig settings) {
        return http
                .httpRequestDecoder(decoder -> decoder
                        .maxInitialLineLength(ClientEdges.MAX_REQUEST_LINE)
                        .maxHeaderSize(settings.maxHeaderBytes()))
                .doOnChannelInit((observer, channel, remote) -> edges.install(channel));
    }

    /** {@code detour_http_connections_open} and {@code detour_http_connections_refused_total} (past {@code max-connections}). */
    private void edgeMetrics(ClientEdges edges) {
        io.micrometer.core.instrument.Gauge.builder("detour.http.connections.open", edges, ClientEdges::openConnections)
                .description("client connections open").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("detour.http.connections.refused", edges, ClientEdges::refusedConnections)
                .description("client connections closed on accept because max-connections were open").register(registry);
    }

    /** Counts a request in flight while it is served (not limited: health, models, metrics). */
    private BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> tracked(
            BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler) {
        return (request, response) -> Mono.defer(() -> {
            inFlight.incrementAndGet();
            return served(handler, request, response).doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    /**
     * Serves an API request only when a slot is free, a hard limit: the slot is reserved first (compare and
     * set, so a burst cannot pass the limit) and released exactly once, however the request ends (answered,
     * failed, cancelled by the client leaving, or refused for a time limit). Beyond the limit: 429 with
     * {@code retry-after}, and a log line, without calling any provider.
     */
    private BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> limited(
            BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler) {
        return limited(handler, Door.OPENAI);
    }

    /** {@link #limited(BiFunction)}, the refusal in {@code door}'s error format. */
    private BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> limited(
            BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler, Door door) {
        return (request, response) -> Mono.defer(() -> {
            int limit = serving.get().server().maxInFlight();
            if (!reserve(limit)) {
                response.header(HttpHeaderNames.RETRY_AFTER, "1");
                ApiError busy = ApiError.busy(limit);
                log.write(log.line().put("request_id", Exchanges.requestId(request)).put("status", busy.status())
                        .put("error", busy.message()).put("code", busy.code()));
                return Exchanges.json(response, HttpResponseStatus.valueOf(busy.status()), door.error(busy));
            }
            AtomicBoolean held = new AtomicBoolean(true);
            return served(handler, request, response).doFinally(signal -> {
                if (held.compareAndSet(true, false)) {
                    inFlight.decrementAndGet();
                }
            });
        });
    }

    private boolean reserve(int limit) {
        for (int now = inFlight.get(); now < limit; now = inFlight.get()) {
            if (inFlight.compareAndSet(now, now + 1)) {
                return true;
            }
        }
        return false;
    }

    private static Mono<Void> served(BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler,
                                     HttpServerRequest request, HttpServerResponse response) {
        try {
            return handler.apply(request, response);
        } catch (RuntimeException e) {
            return Mono.error(e);
        }
    }

    /** What a running server cannot take from a reload: its address, its admin API's place, its breakers. */
    private static GatewayConfig unchangedAtRuntime(GatewayConfig running, GatewayConfig next) {
        ServerConfig now = running.server();
        ServerConfig then = next.server();
        if (!now.maxHeaderBytes().equals(then.maxHeaderBytes())) {
            throw new IllegalArgumentException("server.max-header-bytes cannot change while running (restart to change it)");
        }
        if (!now.host().equals(then.host()) || !Objects.equals(now.port(), then.port())) {
            throw new IllegalArgumentException("server.host and server.port cannot change while running (restart to change them)");
        }
        if (!Objects.equals(now.tls(), then.tls())) {
            throw new IllegalArgumentException("server.tls cannot change while running (restart to change it)");
        }
        AdminConfig admin = running.admin();
        if ((admin.tokenEnv() == null) != (next.admin().tokenEnv() == null) || !admin.pathPrefix().equals(next.admin().pathPrefix())) {
            throw new IllegalArgumentException("the admin API cannot be switched on or off or moved while running (restart to change it)");
        }
        if (!Objects.equals(running.breaker(), next.breaker())) {
            throw new IllegalArgumentException("breaker settings cannot change while running (restart to change them)");
        }
        if (!Objects.equals(running.state(), next.state())) {
            throw new IllegalArgumentException("state cannot change while running (restart to change it)");
        }
        if (!Objects.equals(running.tracing(), next.tracing())) {
            throw new IllegalArgumentException("tracing cannot change while running (restart to change it)");
        }
        return next;
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

    /** {@code http://host:port}, or {@code https://host:port} with TLS. */
    public String baseUrl() {
        return (versions.current().config().server().tls() == null ? "http://" : "https://") + server.host() + ":" + server.port();
    }

    /** The gateway serving now. */
    public Gateway gateway() {
        return serving.get().gateway();
    }

    /** The configuration versions. */
    public ConfigVersions versions() {
        return versions;
    }

    /** The metrics registry. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Stops accepting, lets requests in flight finish within the grace period, closes the connections
     * still open after it (cancelling their provider calls), waits for their log lines, then returns.
     * Blocks: call it from a main or shutdown thread, never an event loop.
     */
    @Override
    public void close() {
        draining = true;
        long graceEnds = System.nanoTime() + serving.get().server().shutdownGrace().toNanos();
        server.disposeNow(Duration.ofSeconds(5));
        awaitZero(inFlight, graceEnds);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        long logsEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        awaitZero(chat.inFlightCounter(), logsEnd);
        awaitZero(messages.inFlightCounter(), logsEnd);
        log.close();
        tracing.close();
        SharedState.close(state);
    }

    private static void awaitZero(AtomicInteger count, long untilNanos) {
        while (count.get() > 0 && System.nanoTime() < untilNanos) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
