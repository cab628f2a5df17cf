package dev.detour.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Failure;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.stream.Failover;
import dev.detour.core.stream.StreamReport;
import dev.detour.core.telemetry.RouteObservations;
import dev.detour.http.config.RouteConfig;
import dev.detour.http.gateway.CallTrail;
import dev.detour.http.gateway.Gateway;
import dev.detour.http.limits.Spending;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.Json;
import dev.detour.llm.anthropic.AnthropicDoor;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.internal.GenAi;
import io.micrometer.common.KeyValue;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
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

/**
 * A door's chat requests, JSON and SSE: {@code POST /v1/chat/completions} and {@code GET /v1/models} for the
 * OpenAI door, {@code POST /v1/messages} and {@code POST /v1/messages/count_tokens} for the Anthropic door.
 */
final class ChatHandler {

    private final Supplier<Serving> serving;
    private final RequestLog log;
    private final Door door;
    private final Tracing tracing;
    private final AtomicInteger inFlight = new AtomicInteger();

    ChatHandler(Supplier<Serving> serving, RequestLog log) {
        this(serving, log, Door.OPENAI, Tracing.OFF);
    }

    /** The handler of {@code door}; {@code tracing} traces the calls it makes outside routes ({@code count_tokens}). */
    ChatHandler(Supplier<Serving> serving, RequestLog log, Door door, Tracing tracing) {
        this.serving = serving;
        this.log = log;
        this.door = door;
        this.tracing = tracing;
    }

    /** The door this handler serves. */
    Door door() {
        return door;
    }

    /** Requests whose log line is not yet written. */
    AtomicInteger inFlightCounter() {
        return inFlight;
    }

    /**
     * {@code GET /v1/models}: every model alias, in the list format of the door the client speaks. With an
     * {@code anthropic-version} header, Anthropic's ({@code {"data":[{"type":"model","id":…,"display_name":…,
     * "created_at":…}],"has_more":…,"first_id":…,"last_id":…}}, paged by {@code limit}, {@code after_id} and
     * {@code before_id}; the key may come as {@code x-api-key}; errors in Anthropic's shape); else OpenAI's
     * ({@code {"object":"list","data":[{"id":…,"object":"model",…}]}}).
     */
    Mono<Void> models(HttpServerRequest request, HttpServerResponse response) {
        Serving current = serving.get();
        boolean anthropic = request.requestHeaders().contains("anthropic-version");
        ApiError denied = Exchanges.admit(response, current.clients().admit(request, anthropic), null);
        if (denied != null) {
            return anthropic ? Exchanges.json(response, HttpResponseStatus.valueOf(denied.status()), Door.ANTHROPIC.error(denied))
                    : Exchanges.error(response, denied);
        }
        List<String> aliases = current.gateway().aliases();
        if (anthropic) {
            ObjectNode list;
            try {
                list = anthropicModels(aliases, new QueryStringDecoder(request.uri()).parameters());
            } catch (ApiError.ApiException e) {
                return Exchanges.json(response, HttpResponseStatus.valueOf(e.error().status()), Door.ANTHROPIC.error(e.error()));
            }
            return Exchanges.json(response, HttpResponseStatus.OK, list);
        }
        ObjectNode body = Json.newObject().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String alias : aliases) {
            data.addObject().put("id", alias).put("object", "model").put("created", 0).put("owned_by", "detour");
        }
        return Exchanges.json(response, HttpResponseStatus.OK, body);
    }

    /** Anthropic's model list of {@code aliases}, the page {@code limit} (20 unless given, 1 to 1000), {@code after_id} or {@code before_id} ask for. */
    static ObjectNode anthropicModels(List<String> aliases, Map<String, List<String>> query) {
        int limit = 20;
        String given = first(query, "limit");
        if (given != null) {
            try {
                limit = Integer.parseInt(given);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                throw new ApiError.ApiException(ApiError.badRequest("limit: must be an integer from 1 to 1000, was '" + given + "'"));
            }
        }
        int from = 0;
        int to = aliases.size();
        String after = first(query, "after_id");
        String before = first(query, "before_id");
        if (after != null) {
            from = aliases.indexOf(after) + 1;
        } else if (before != null) {
            to = Math.max(0, aliases.indexOf(before));
            from = Math.max(0, to - limit);
        }
        List<String> page = aliases.subList(Math.min(from, to), Math.min(to, Math.min(from, to) + limit));
        ObjectNode body = Json.newObject();
        ArrayNode data = body.putArray("data");
        for (String alias : page) {
            data.addObject().put("type", "model").put("id", alias).put("display_name", alias)
                    .put("created_at", "1970-01-01T00:00:00Z");
        }
        boolean more = before != null ? from > 0 : Math.min(from, to) + page.size() < aliases.size();
        body.put("has_more", more);
        if (page.isEmpty()) {
            body.putNull("first_id").putNull("last_id");
        } else {
            body.put("first_id", page.get(0)).put("last_id", page.get(page.size() - 1));
        }
        return body;
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
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
        if (door != Door.OPENAI) {
            line.put("door", door.name());
        }
        ClientAuth.Admission admission = current.clients().admit(request, door.apiKeyHeader());
        ApiError denied = Exchanges.admit(response, admission, line);
        CallTrail calls = new CallTrail();
        Mono<Void> handled = denied != null ? Mono.error(new ApiError.ApiException(denied))
                : Exchanges.withinLimits(response, current.limits(), admission.limits())
                .then(Bodies.read(request, current.server().maxBodyBytes()))
                .map(body -> door.request(object(body)))
                .flatMap(chat -> {
                    Gateway gateway = current.gateway();
                    Gateway.ChatRoute route = gateway.route(chat.model());
                    line.put("route", chat.model()).put("stream", chat.stream());
                    if (route == null) {
                        return Mono.error(new ApiError.ApiException(ApiError.unknownModel(chat.model(), gateway.aliases())));
                    }
                    Spending spending = new Spending(current.limits(), admission.limits(), route.streaming().route(), calls);
                    Mono<Void> answer = chat.stream() ? streamed(response, route, chat, line)
                            : whole(response, route, chat, line, spending);
                    Map<String, String> headers = Exchanges.propagated(request, requestId, current.server().propagateHeaders());
                    forward(request, headers);
                    return answer.doFinally(signal -> spending.charge())
                            .contextWrite(Context.of(HttpSettings.PROPAGATED_HEADERS, headers, CallTrail.KEY, calls));
                });
        return Exchanges.logged(handled, response, calls, line, log, start, door::error);
    }

    /**
     * {@code POST /v1/messages/count_tokens}: checked like a message (key, body, known model), then forwarded to
     * the route's first Anthropic provider ({@link Gateway#tokenCounter}) with the request translated for it and
     * the {@code anthropic-*} headers, its count answered with {@code x-detour-provider}. When the route has no
     * Anthropic provider, or that provider cannot count (a 404 or 405: no such endpoint, a server-side failure,
     * a timeout), the answer is an estimate ({@link AnthropicDoor#estimateInputTokens}) marked
     * {@code x-detour-estimated: true}; a request the provider refuses (another 4xx) is refused to the client.
     * Counting goes around the route's breakers, retries and metrics: it is not a model call.
     */
    Mono<Void> countTokens(HttpServerRequest request, HttpServerResponse response) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            Serving current = serving.get();
            String requestId = Exchanges.requestId(request);
            response.header("x-request-id", requestId);
            ObjectNode line = log.line().put("request_id", requestId).put("door", door.name()).put("count_tokens", true);
            ApiError denied = Exchanges.admit(response, current.clients().admit(request, door.apiKeyHeader()), line);
            Mono<Void> handled = denied != null ? Mono.error(new ApiError.ApiException(denied))
                    : Bodies.read(request, current.server().maxBodyBytes()).flatMap(body -> {
                        ObjectNode json = object(body);
                        if (!json.has("max_tokens")) {
                            json.put("max_tokens", 1);
                        }
                        ChatRequest chat = door.request(json);
                        line.put("route", chat.model());
                        Gateway gateway = current.gateway();
                        if (gateway.route(chat.model()) == null) {
                            return Mono.error(new ApiError.ApiException(ApiError.unknownModel(chat.model(), gateway.aliases())));
                        }
                        json.remove("max_tokens");
                        AnthropicProvider counter = gateway.tokenCounter(chat.model());
                        if (counter == null) {
                            return estimated(response, json, line);
                        }
                        Map<String, String> headers = Exchanges.propagated(request, requestId, current.server().propagateHeaders());
                        forward(request, headers);
                        Mono<Long> count = counter.countTokens(chat).timeout(COUNT_TIMEOUT);
                        return tracing.client(COUNT_TOKENS, COUNT_TOKENS + " " + counter.model(chat), headers, count,
                                        KeyValue.of(RouteObservations.PROVIDER, counter.name()),
                                        KeyValue.of(GenAi.PROVIDER, counter.genAiProvider()))
                                .contextWrite(Context.of(HttpSettings.PROPAGATED_HEADERS, headers))
                                .flatMap(tokens -> {
                                    response.header("x-detour-provider", counter.name());
                                    line.put("served_by", counter.name());
                                    return Exchanges.json(response, HttpResponseStatus.OK,
                                            Json.newObject().put("input_tokens", tokens));
                                })
                                .onErrorResume(failure -> {
                                    Failure what = Failure.of(failure);
                                    int status = what.status();
                                    if (status >= 400 && status < 500 && status != 404 && status != 405
                                            && what.kind() != FailureKind.RATE_LIMITED) {
                                        return Mono.error(failure);
                                    }
                                    line.put("count_failed", counter.name() + " " + what);
                                    return estimated(response, json, line);
                                });
                    });
            return Exchanges.logged(handled, response, null, line, log, start, door::error);
        });
    }

    /**
     * {@code POST /v1/embeddings} (OpenAI's shape, JSON): the alias's embeddings route ({@link Gateway#embeddings}),
     * the same fallback, retries, breakers, deadline, {@code x-detour-*} headers and log line as its chat route,
     * over its OpenAI-compatible providers; the answer is the serving provider's, as it came. A request naming
     * no known alias is a 404; an alias whose route has no OpenAI-compatible provider, a 400.
     */
    Mono<Void> embeddings(HttpServerRequest request, HttpServerResponse response) {
        return Mono.defer(() -> {
            inFlight.incrementAndGet();
            long start = System.nanoTime();
            Serving current = serving.get();
            String requestId = Exchanges.requestId(request);
            response.header("x-request-id", requestId);
            ObjectNode line = log.line().put("request_id", requestId).put("embeddings", true);
            ClientAuth.Admission admission = current.clients().admit(request);
            ApiError denied = Exchanges.admit(response, admission, line);
            CallTrail calls = new CallTrail();
            Mono<Void> handled = denied != null ? Mono.error(new ApiError.ApiException(denied))
                    : Exchanges.withinLimits(response, current.limits(), admission.limits())
                    .then(Bodies.read(request, current.server().maxBodyBytes())).flatMap(body -> {
                        ObjectNode json = object(body);
                        JsonNode model = json.get("model");
                        if (model == null || !model.isTextual() || model.asText().isBlank()) {
                            return Mono.error(new ApiError.ApiException(ApiError.badRequest("'model' is required and must be a non-empty string")));
                        }
                        JsonNode input = json.get("input");
                        if (input == null || !(input.isTextual() || input.isArray() && !input.isEmpty())) {
                            return Mono.error(new ApiError.ApiException(ApiError.badRequest(
                                    "'input' is required: a string or a non-empty array")));
                        }
                        String alias = model.asText();
                        line.put("route", alias);
                        Gateway gateway = current.gateway();
                        if (gateway.route(alias) == null) {
                            return Mono.error(new ApiError.ApiException(ApiError.unknownModel(alias, gateway.aliases())));
                        }
                        var route = gateway.embeddings(alias);
                        if (route == null) {
                            return Mono.error(new ApiError.ApiException(ApiError.badRequest("model '" + alias
                                    + "' cannot embed: its route has no OpenAI-compatible provider")));
                        }
                        Map<String, String> headers = Exchanges.propagated(request, requestId, current.server().propagateHeaders());
                        Spending spending = new Spending(current.limits(), admission.limits(), route, calls);
                        return route.execute(json).flatMap(outcome -> {
                            Exchanges.describe(response, outcome, line);
                            spending.charge();
                            return Exchanges.json(response, HttpResponseStatus.OK, outcome.value());
                        }).doFinally(signal -> spending.charge())
                                .contextWrite(Context.of(HttpSettings.PROPAGATED_HEADERS, headers, CallTrail.KEY, calls));
                    });
            return Exchanges.logged(handled, response, calls, line, log, start).doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    /** How long a provider gets to count tokens before the estimate is answered instead. */
    private static final java.time.Duration COUNT_TIMEOUT = java.time.Duration.ofSeconds(10);
    /** The observation (and span name's operation) of a {@code count_tokens} call to a provider. */
    private static final String COUNT_TOKENS = "count_tokens";

    /** {@code {"input_tokens": N}} estimated from {@code json}, marked {@code x-detour-estimated: true}. */
    private static Mono<Void> estimated(HttpServerResponse response, ObjectNode json, ObjectNode line) {
        response.header("x-detour-estimated", "true");
        line.put("estimated", true);
        return Exchanges.json(response, HttpResponseStatus.OK,
                Json.newObject().put("input_tokens", AnthropicDoor.estimateInputTokens(json)));
    }

    /** Adds the door's forwarded request headers ({@code anthropic-version}, {@code anthropic-beta}) to {@code headers}. */
    private void forward(HttpServerRequest request, Map<String, String> headers) {
        for (String name : door.forwarded()) {
            String value = request.requestHeaders().get(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
    }

    /**
     * The request body as a chat request: a body that is not JSON is a 400 saying what is wrong and where,
     * in the caller's terms ({@code request body is not valid JSON: unexpected end of input at line 1, column 17}).
     */
    static ChatRequest parse(byte[] body) {
        return ChatRequest.of(object(body));
    }

    /** The request body as a JSON object, or a 400 saying what is wrong and where. */
    static ObjectNode object(byte[] body) {
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
        return object;
    }

    /** A whole answer, its spend counted before it is sent (so the client's next request sees it). */
    private Mono<Void> whole(HttpServerResponse response, Gateway.ChatRoute route, ChatRequest chat, ObjectNode line,
                             Spending spending) {
        return route.whole().execute(chat).flatMap(outcome -> {
            Exchanges.describe(response, outcome, line);
            spending.charge();
            return Exchanges.json(response, HttpResponseStatus.OK, door.answer(outcome.value()));
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
     * Sends {@code chunks} as server-sent events; {@code ended} adds to the log line when the events end or the
     * client leaves, before the line is written.
     */
    private Mono<Void> sse(HttpServerResponse response, Flux<ChatChunk> chunks, ObjectNode line, boolean chunkMarker,
                           Runnable ended) {
        response.status(HttpResponseStatus.OK)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        long[] relayed = new long[1];
        Flux<ChatChunk> counted = chunks
                .doOnCancel(() -> line.put("client", "disconnected"))
                .doOnNext(chunk -> relayed[0]++);
        Flux<Door.SseFrame> events = door.events(counted, chunkMarker)
                .onErrorResume(failure -> {
                    ApiError error = ApiError.of(failure);
                    line.put("stream_error", error.message());
                    return Mono.just(new Door.SseFrame("error", Json.bytes(door.error(error)), null));
                })
                .doOnTerminate(() -> ended(line, relayed[0], ended))
                .doOnCancel(() -> ended(line, relayed[0], ended));
        AtomicReference<EventLoop> loop = new AtomicReference<>();
        response.withConnection(connection -> loop.set(connection.channel().eventLoop()));
        Flux<Door.SseFrame> onItsLoop = loop.get() == null ? events : events.publishOn(Schedulers.fromExecutor(onLoop(loop.get())));
        // Buffers are made on the connection's event loop, so none is made while the client hangs up.
        Flux<ByteBuf> bytes = onItsLoop.map(frame -> frame.write(response.alloc()));
        return response.send(bytes, buffer -> true).then();
    }

    /** Runs a task at once when called on {@code loop}'s thread (a chunk read there), else hands it to the loop. */
    private static Executor onLoop(EventLoop loop) {
        return task -> {
            if (loop.inEventLoop()) {
                task.run();
            } else {
                loop.execute(task);
            }
        };
    }

    private static void ended(ObjectNode line, long chunks, Runnable ended) {
        line.put("chunks", chunks);
        ended.run();
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
}
