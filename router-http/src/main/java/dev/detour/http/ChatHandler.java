package dev.detour.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Degraded;
import dev.detour.core.Failure;
import dev.detour.core.Outcome;
import dev.detour.core.stream.Failover;
import dev.detour.core.stream.StreamReport;
import dev.detour.http.config.RouteConfig;
import dev.detour.http.gateway.Gateway;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.Json;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.util.context.Context;

/** {@code POST /v1/chat/completions} (JSON and SSE) and {@code GET /v1/models}. */
final class ChatHandler {

    private static final String JSON = "application/json";

    private final Supplier<Serving> serving;
    private final RequestLog log;
    private final AtomicInteger inFlight = new AtomicInteger();

    ChatHandler(Supplier<Serving> serving, RequestLog log) {
        this.serving = serving;
        this.log = log;
    }

    /** Requests whose log line is not yet written. */
    AtomicInteger inFlightCounter() {
        return inFlight;
    }

    Mono<Void> models(HttpServerRequest request, HttpServerResponse response) {
        Serving current = serving.get();
        ApiError denied = current.clients().check(request);
        if (denied != null) {
            return error(response, denied);
        }
        ObjectNode body = Json.MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String alias : current.gateway().aliases()) {
            data.addObject().put("id", alias).put("object", "model").put("created", 0).put("owned_by", "detour");
        }
        return json(response, HttpResponseStatus.OK, body);
    }

    Mono<Void> completions(HttpServerRequest request, HttpServerResponse response) {
        long start = System.nanoTime();
        Serving current = serving.get();
        String requestId = requestId(request);
        response.header("x-request-id", requestId);
        ObjectNode line = log.line().put("request_id", requestId);
        inFlight.incrementAndGet();
        ApiError denied = current.clients().check(request);
        Mono<Void> handled = denied != null ? Mono.error(new ApiError.ApiException(denied))
                : Bodies.read(request, current.server().maxBodyBytes())
                .map(ChatRequest::parse)
                .flatMap(chat -> {
                    Gateway gateway = current.gateway();
                    Gateway.ChatRoute route = gateway.route(chat.model());
                    line.put("route", chat.model()).put("stream", chat.stream());
                    if (route == null) {
                        return Mono.error(new ApiError.ApiException(ApiError.notFound("model_not_found",
                                "The model '" + chat.model() + "' does not exist; known: " + gateway.aliases())));
                    }
                    Mono<Void> answer = chat.stream() ? streamed(response, route, chat, line)
                            : whole(response, route, chat, line);
                    Map<String, String> headers = propagated(request, requestId, current.server().propagateHeaders());
                    return answer.contextWrite(Context.of(HttpSettings.PROPAGATED_HEADERS, headers));
                });
        return handled
                .onErrorResume(failure -> {
                    ApiError error = ApiError.of(failure);
                    line.put("status", error.status()).put("error", error.message());
                    return error(response, error);
                })
                .doFinally(signal -> {
                    line.put("latency_ms", (System.nanoTime() - start) / 1e6);
                    if (signal == reactor.core.publisher.SignalType.CANCEL) {
                        line.put("client", "disconnected");
                    }
                    if (!line.has("status")) {
                        line.put("status", 200);
                    }
                    log.write(line);
                    inFlight.decrementAndGet();
                });
    }

    private Mono<Void> whole(HttpServerResponse response, Gateway.ChatRoute route, ChatRequest chat, ObjectNode line) {
        return route.whole().execute(chat).flatMap(outcome -> {
            describe(response, outcome, line);
            return json(response, HttpResponseStatus.OK, outcome.value().json());
        });
    }

    /**
     * A streamed answer: relayed chunk by chunk once the first is in hand; or, for a route whose settings need
     * the whole answer (validators, last-known-good …), the whole checked answer sent as a stream.
     */
    private Mono<Void> streamed(HttpServerResponse response, Gateway.ChatRoute route, ChatRequest chat, ObjectNode line) {
        if (!route.config().wholeAnswerSettings().isEmpty()) {
            line.put("stream_mode", "whole-answer");
            return route.whole().execute(chat).flatMap(outcome -> {
                describe(response, outcome, line);
                return sse(response, ChatStreams.replay(outcome.value()), line, false, () -> { });
            });
        }
        boolean chunkMarker = RouteConfig.MARKER_CHUNK.equals(route.config().failoverMarker());
        return route.streaming().open(chat).flatMap(opened -> {
            describe(response, opened.outcome(), line);
            return sse(response, opened.elements(), line, chunkMarker, () -> report(line, opened.report()));
        });
    }

    /**
     * Sends {@code chunks} as server-sent events; {@code ended} adds to the log line when the events end or
     * the client leaves, before the line is written.
     */
    private Mono<Void> sse(HttpServerResponse response, Flux<ChatChunk> chunks, ObjectNode line, boolean chunkMarker,
                           Runnable ended) {
        response.status(HttpResponseStatus.OK)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        long[] relayed = new long[1];
        Flux<SseFrame> events = chunks
                .doOnCancel(() -> line.put("client", "disconnected"))
                .map(chunk -> {
                    relayed[0]++;
                    return chunk.isMarker() && !chunkMarker ? comment(chunk) : new SseFrame(DATA, Json.bytes(chunk.json()));
                })
                .concatWith(Mono.just(DONE))
                .onErrorResume(failure -> {
                    ApiError error = ApiError.of(failure);
                    line.put("stream_error", error.message());
                    return Mono.just(new SseFrame(ERROR_EVENT, Json.bytes(error.json())));
                })
                .doOnTerminate(() -> ended(line, relayed[0], ended))
                .doOnCancel(() -> ended(line, relayed[0], ended));
        AtomicReference<Executor> loop = new AtomicReference<>();
        response.withConnection(connection -> loop.set(connection.channel().eventLoop()));
        Flux<SseFrame> onLoop = loop.get() == null ? events : events.publishOn(Schedulers.fromExecutor(loop.get()));
        // Buffers are made on the connection's event loop, so none is made while the client hangs up.
        Flux<ByteBuf> bytes = onLoop.map(frame -> frame.write(response.alloc()));
        return response.send(bytes, buffer -> true).then();
    }

    private static void ended(ObjectNode line, long chunks, Runnable ended) {
        line.put("chunks", chunks);
        ended.run();
    }

    /** The failover marker as an SSE comment line, which SDKs ignore: {@code : detour failover from=a to=b reason=timeout}. */
    private static SseFrame comment(ChatChunk marker) {
        JsonNode failover = marker.json().path("x_detour").path("failover");
        String text = "detour failover from=" + failover.path("from").asText() + " to=" + failover.path("to").asText()
                + " reason=" + failover.path("reason").asText();
        return new SseFrame(COMMENT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** What happened after the first chunk: each continuation, the events skipped, whether usage was estimated. */
    private static void report(ObjectNode line, StreamReport report) {
        List<Failover> failovers = report.failovers();
        if (!failovers.isEmpty()) {
            ArrayNode continuations = line.putArray("continuations");
            for (Failover failover : failovers) {
                continuations.addObject().put("from", failover.from()).put("to", failover.to())
                        .put("reason", failover.reason().toString()).put("words_sent", failover.sentWords())
                        .put("restated_chars", failover.restated());
            }
            line.put("usage_estimated", true);
        }
        if (report.continuationCalls() > 0) {
            line.put("attempts", line.path("attempts").asInt() + report.continuationCalls());
        }
        if (report.skipped() > 0) {
            line.put("malformed_events", report.skipped());
        }
    }

    private static final byte[] DATA = "data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] COMMENT = ": ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] ERROR_EVENT = "event: error\ndata: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final SseFrame DONE = new SseFrame(DATA, "[DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    /** One server-sent event: a fixed prefix, a JSON payload, a blank line; written into one buffer. */
    private record SseFrame(byte[] prefix, byte[] payload) {

        ByteBuf write(io.netty.buffer.ByteBufAllocator alloc) {
            return alloc.buffer(prefix.length + payload.length + END.length).writeBytes(prefix).writeBytes(payload).writeBytes(END);
        }
    }

    private static void describe(HttpServerResponse response, Outcome<?> outcome, ObjectNode line) {
        response.header("x-detour-provider", outcome.provider());
        response.header("x-detour-attempts", Integer.toString(outcome.calls()));
        line.put("served_by", outcome.provider()).put("attempts", outcome.calls());
        Failure trigger = outcome.fallbackTrigger();
        if (trigger != null) {
            String reason = trigger.kind().name().toLowerCase(Locale.ROOT);
            response.header("x-detour-fallback", reason);
            line.put("fallback", reason);
        }
        Degraded degraded = outcome.degraded();
        if (degraded != null) {
            String value = degraded.kind().name().toLowerCase(Locale.ROOT) + "; age=" + degraded.age().toSeconds() + "s";
            response.header("x-detour-degraded", value);
            line.put("degraded", value);
        }
    }

    static Map<String, String> propagated(HttpServerRequest request, String requestId, List<String> propagate) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-request-id", requestId);
        for (String name : propagate) {
            String value = request.requestHeaders().get(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        return headers;
    }

    static String requestId(HttpServerRequest request) {
        String given = request.requestHeaders().get("x-request-id");
        if (given != null && !given.isBlank() && given.length() <= 128) {
            return given;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    }

    static Mono<Void> error(HttpServerResponse response, ApiError error) {
        return json(response, HttpResponseStatus.valueOf(error.status()), error.json());
    }

    static Mono<Void> json(HttpServerResponse response, HttpResponseStatus status, ObjectNode body) {
        byte[] bytes = Json.bytes(body);
        return response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, JSON)
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length))
                .sendByteArray(Mono.just(bytes))
                .then();
    }
}
