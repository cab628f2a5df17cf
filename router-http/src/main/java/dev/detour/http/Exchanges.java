package dev.detour.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Attempt;
import dev.detour.core.Degraded;
import dev.detour.core.Failure;
import dev.detour.core.Outcome;
import dev.detour.core.RouteFailedException;
import dev.detour.http.gateway.CallTrail;
import dev.detour.http.limits.KeyLimits;
import dev.detour.llm.Json;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** What every handler does with an exchange: request ids, propagated headers, JSON answers, errors, the route's headers. */
final class Exchanges {

    private static final String JSON = "application/json";

    private Exchanges() {
    }

    /** The caller's {@code x-request-id} when it is usable (1 to 128 characters), else a new random one. */
    static String requestId(HttpServerRequest request) {
        String given = request.requestHeaders().get("x-request-id");
        if (given != null && !given.isBlank() && given.length() <= 128) {
            return given;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    }

    /** The headers passed on to providers: the request id, and those of {@code propagate} the request has. */
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

    /**
     * Tells the client what the route did: {@code x-detour-provider}, {@code x-detour-attempts}, and
     * {@code x-detour-fallback} (the trigger's kind) and {@code x-detour-degraded} ({@code kind; age=Ns})
     * when they apply; the same fields go into {@code line} ({@code served_by}, {@code attempts},
     * {@code fallback}, {@code degraded}) unless it is null.
     */
    static void describe(HttpServerResponse response, Outcome<?> outcome, ObjectNode line) {
        tell(response, line, "x-detour-provider", "served_by", outcome.provider());
        tell(response, line, "x-detour-attempts", "attempts", outcome.calls());
        fallback(response, outcome, line);
        Degraded degraded = outcome.degraded();
        if (degraded != null) {
            tell(response, line, "x-detour-degraded", "degraded",
                    degraded.kind().name().toLowerCase(Locale.ROOT) + "; age=" + degraded.age().toSeconds() + "s");
        }
    }

    /**
     * Tells the client who was tried before a route ended in {@code error}, as {@link #describe} does for
     * an answer: {@code x-detour-provider} (the last provider tried), {@code x-detour-attempts} (calls
     * made) and {@code x-detour-fallback} when the route moved on from a provider; nothing when no
     * attempt was made. The trail is the route's own ({@link RouteFailedException#attempts()}), else what
     * {@code calls} noted (a provider's error passed through). Adds {@code last_provider}, {@code attempts}
     * and {@code fallback} to {@code line} unless it is null.
     */
    static void describeFailure(HttpServerResponse response, Throwable error, CallTrail calls, ObjectNode line) {
        List<Attempt> attempts = error instanceof RouteFailedException failed ? failed.attempts()
                : calls == null ? List.of() : calls.attempts();
        if (attempts.isEmpty()) {
            return;
        }
        Attempt last = attempts.get(attempts.size() - 1);
        Outcome<Object> trail = new Outcome<>(null, last.provider(), last.tier(), attempts, Duration.ZERO, null);
        tell(response, line, "x-detour-provider", "last_provider", last.provider());
        tell(response, line, "x-detour-attempts", "attempts", trail.calls());
        fallback(response, trail, line);
    }

    /** {@code x-detour-fallback} and the log line's {@code fallback}: the kind of the failure that moved the route on. */
    private static void fallback(HttpServerResponse response, Outcome<?> outcome, ObjectNode line) {
        Failure trigger = outcome.fallbackTrigger();
        if (trigger != null) {
            tell(response, line, "x-detour-fallback", "fallback", trigger.kind().name().toLowerCase(Locale.ROOT));
        }
    }

    /** One fact, as a response header and, unless {@code line} is null, as a log-line field. */
    private static void tell(HttpServerResponse response, ObjectNode line, String header, String field, Object value) {
        response.header(header, String.valueOf(value));
        if (line != null) {
            if (value instanceof Integer number) {
                line.put(field, number);
            } else {
                line.put(field, String.valueOf(value));
            }
        }
    }

    /**
     * What {@code admission} means for the exchange: the client's name into {@code line} (unless null); the
     * error to answer when it is refused (401), else null.
     */
    static ApiError admit(HttpServerResponse response, ClientAuth.Admission admission, ObjectNode line) {
        if (line != null && admission.client() != null) {
            line.put("key_name", admission.client().name());
        }
        return admission.error();
    }

    /**
     * The limits of the client key {@code key} (null: none), checked before any provider call: completes empty
     * when the request may go on, else fails with a 429 naming the limit, {@code retry-after} set on
     * {@code response} to the seconds until the limit's window ends.
     */
    static Mono<Void> withinLimits(HttpServerResponse response, KeyLimits limits, KeyLimits.Key key) {
        return limits.check(key).flatMap(refusal -> {
            response.header(HttpHeaderNames.RETRY_AFTER, Long.toString(refusal.retryAfterSeconds()));
            return Mono.error(new ApiError.ApiException(ApiError.keyLimited(refusal)));
        });
    }

    /** Sends {@code error} as its status and JSON body. */
    static Mono<Void> error(HttpServerResponse response, ApiError error) {
        return json(response, HttpResponseStatus.valueOf(error.status()), error.json());
    }

    /** Sends {@code body} as JSON with {@code status}. */
    static Mono<Void> json(HttpServerResponse response, HttpResponseStatus status, JsonNode body) {
        return json(response, status, Json.bytes(body));
    }

    /** Sends {@code bytes}, JSON text, with {@code status}. */
    static Mono<Void> json(HttpServerResponse response, HttpResponseStatus status, byte[] bytes) {
        return response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, JSON)
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length))
                .sendByteArray(Mono.just(bytes))
                .then();
    }

    /**
     * {@code handled}, ending in its log line: a failure answered as a JSON error carrying the
     * {@code x-detour-*} headers of the calls made; the status answered (an error whose status line went out keeps
     * its status when the connection is closed right after it), or 499 (with {@code headers_sent})
     * when the client went away first; the latency since {@code start} ({@link System#nanoTime()}).
     */
    static Mono<Void> logged(Mono<Void> handled, HttpServerResponse response, CallTrail calls, ObjectNode line,
                             RequestLog log, long start) {
        return logged(handled, response, calls, line, log, start, ApiError::json);
    }

    /** {@link #logged(Mono, HttpServerResponse, CallTrail, ObjectNode, RequestLog, long)}, with errors in the body {@code format} gives. */
    static Mono<Void> logged(Mono<Void> handled, HttpServerResponse response, CallTrail calls, ObjectNode line,
                             RequestLog log, long start, Function<ApiError, JsonNode> format) {
        return handled
                .onErrorResume(failure -> {
                    if (ClientEdges.clientGone(failure)) {
                        line.put("client", "disconnected");
                        return Mono.empty();
                    }
                    describeFailure(response, failure, calls, line);
                    ApiError error = ApiError.of(failure);
                    line.put("status", error.status()).put("error", error.message());
                    return json(response, HttpResponseStatus.valueOf(error.status()), format.apply(error))
                            .onErrorResume(ClientEdges::clientGone, gone -> {
                                if (!response.hasSentHeaders()) {
                                    line.put("client", "disconnected");
                                }
                                return Mono.empty();
                            });
                })
                .doFinally(signal -> {
                    line.put("latency_ms", (System.nanoTime() - start) / 1e6);
                    if (signal == SignalType.CANCEL && !(line.has("status") && response.hasSentHeaders())) {
                        line.put("client", "disconnected");
                    }
                    if ("disconnected".equals(line.path("client").asText())) {
                        line.put("status", 499).put("headers_sent", response.hasSentHeaders());
                    } else if (!line.has("status")) {
                        line.put("status", 200);
                    }
                    log.write(line);
                });
    }
}
