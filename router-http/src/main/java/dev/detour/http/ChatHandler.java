package dev.detour.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.stream.Failover;
import dev.detour.core.stream.StreamReport;
import dev.detour.http.config.RouteConfig;
import dev.detour.http.gateway.CallTrail;
import dev.detour.http.gateway.Gateway;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.Json;
import dev.detour.llm.internal.SseEvent;
import dev.detour.llm.internal.SseWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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
        ApiError denied = Exchanges.admit(response, current.clients().admit(request), null);
        if (denied != null) {
            return Exchanges.error(response, denied);
        }
        ObjectNode body = Json.newObject().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String alias : current.gateway().aliases()) {
            data.addObject().put("id", alias).put("object", "model").put("created", 0).put("owned_by", "detour");
        }
        return Exchanges.json(response, HttpResponseStatus.OK, body);
    }

    Mono<Void> completions(HttpServerRequest request, HttpServerResponse response) {
        return Mono.defer(() -> {
            inFlight.incrementAndGet();
            return answer(request, response).doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    /**
     * One request, ending in its log line: its status is the one answered, or 499 when the client went away
     * first (with {@code headers_sent}: whether the answer had begun; a stream also says its {@code chunks}).
     */
    private Mono<Void> answer(HttpServerRequest request, HttpServerResponse response) {
        long start = System.nanoTime();
        Serving current = serving.get();
        String requestId = Exchanges.requestId(request);
        response.header("x-request-id", requestId);
        ObjectNode line = log.line().put("request_id", requestId);
        ApiError denied = Exchanges.admit(response, current.clients().admit(request), line);
        CallTrail calls = new CallTrail();
        Mono<Void> handled = denied != null ? Mono.error(new ApiError.ApiException(denied))
                : Bodies.read(request, current.server().maxBodyBytes())
                .map(ChatHandler::parse)
                .flatMap(chat -> {
                    Gateway gateway = current.gateway();
                    Gateway.ChatRoute route = gateway.route(chat.model());
                    line.put("route", chat.model()).put("stream", chat.stream());
                    if (route == null) {
                        return Mono.error(new ApiError.ApiException(ApiError.unknownModel(chat.model(), gateway.aliases())));
                    }
                    Mono<Void> answer = chat.stream() ? streamed(response, route, chat, line)
                            : whole(response, route, chat, line);
                    Map<String, String> headers = Exchanges.propagated(request, requestId, current.server().propagateHeaders());
                    return answer.contextWrite(Context.of(HttpSettings.PROPAGATED_HEADERS, headers, CallTrail.KEY, calls));
                });
        return Exchanges.logged(handled, response, calls, line, log, start);
    }

    /**
     * The request body as a chat request: a body that is not JSON is a 400 saying what is wrong and where,
     * in the caller's terms ({@code request body is not valid JSON: unexpected end of input at line 1, column 17}).
     */
    static ChatRequest parse(byte[] body) {
        JsonNode json;
        try {
            json = Json.parse(body);
        } catch (IOException e) {
            throw new ApiError.ApiException(ApiError.invalidJson(JsonProblem.describe(e)));
        }
        if (json == null || json.isMissingNode()) {
            throw new ApiError.ApiException(ApiError.badRequest("request body is empty: send a JSON object"));
        }
        if (!(json instanceof ObjectNode object)) {
            throw new ApiError.ApiException(ApiError.badRequest("request body must be a JSON object"));
        }
        return ChatRequest.of(object);
    }

    private Mono<Void> whole(HttpServerResponse response, Gateway.ChatRoute route, ChatRequest chat, ObjectNode line) {
        return route.whole().execute(chat).flatMap(outcome -> {
            Exchanges.describe(response, outcome, line);
            return Exchanges.json(response, HttpResponseStatus.OK, outcome.value().json());
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
                Exchanges.describe(response, outcome, line);
                return sse(response, ChatStreams.replay(outcome.value()), line, false, () -> { });
            });
        }
        boolean chunkMarker = RouteConfig.MARKER_CHUNK.equals(route.config().failoverMarker());
        return route.streaming().open(chat).flatMap(opened -> {
            Exchanges.describe(response, opened.outcome(), line);
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
                    return chunk.isMarker() && !chunkMarker ? comment(chunk) : SseFrame.data(Json.bytes(chunk.json()));
                })
                .concatWith(Mono.just(SseFrame.DONE))
                .onErrorResume(failure -> {
                    ApiError error = ApiError.of(failure);
                    line.put("stream_error", error.message());
                    return Mono.just(new SseFrame("error", Json.bytes(error.json()), null));
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
        return new SseFrame(null, null, text);
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

    /** One server-sent event (data, with an event name or none) or comment, written into a buffer of its own. */
    private record SseFrame(String event, byte[] data, String comment) {

        static final SseFrame DONE = data(SseEvent.DONE.getBytes(StandardCharsets.US_ASCII));

        static SseFrame data(byte[] data) {
            return new SseFrame(null, data, null);
        }

        ByteBuf write(ByteBufAllocator alloc) {
            return comment != null ? SseWriter.comment(alloc.buffer(comment.length() + 4), comment)
                    : SseWriter.event(alloc, event, data);
        }
    }
}
