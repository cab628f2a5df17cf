package dev.detour.llm.internal;

import dev.detour.core.ProviderException;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.function.BiFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;

/**
 * The one HTTP path of Detour's providers. A chat provider is a transport speaking a {@link Dialect}: it
 * posts the dialect's encoding of a request; a non-2xx answer fails with the dialect's error (its kind,
 * Retry-After and message); a 2xx answer is read whole, or as a server-sent event stream when one was
 * asked for. A 2xx answer to a stream request that is not {@code text/event-stream} fails with the error
 * object in it, or as malformed. No failure shows the API key, even when a provider echoes it. A plain
 * HTTP backend uses {@link #exchange} alone.
 */
public final class Transport {

    private static final int MAX_EVENT_BYTES = 1 << 20;
    private static final byte[] NO_BODY = new byte[0];

    private final HttpClient http;
    private final HttpClient.RequestSender chat;
    private final ApiKey key;
    private final Dialect dialect;

    /** A transport over {@code http} (which sends {@code key}, if any, itself) speaking {@code dialect}. */
    public Transport(HttpClient http, ApiKey key, Dialect dialect) {
        this.http = Objects.requireNonNull(http, "http");
        this.key = key;
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.chat = poster(http, dialect.path());
    }

    /**
     * A POST to {@code path} below the client's base URL, given as an absolute URI, which the client takes as it
     * is, rather than a string it would join and parse again for every request; the string when the two do not
     * make an absolute URI with a host.
     */
    private static HttpClient.RequestSender poster(HttpClient http, String path) {
        String base = http.configuration().baseUrl();
        if (base != null) {
            try {
                URI uri = new URI((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
                if (uri.isAbsolute() && uri.getHost() != null) {
                    return http.post().uri(uri);
                }
            } catch (URISyntaxException e) {
                // the client reports it, as before, when the request is made
            }
        }
        return http.post().uri(path);
    }

    /** Sends {@code request}, not streamed, and decodes the whole answer. */
    public Mono<ChatResponse> call(ChatRequest request) {
        return Mono.defer(() -> exchange(post(request.withStream(false)), dialect::decodeError,
                        (response, body) -> dialect.decodeAnswer(body)))
                .onErrorMap(this::redact);
    }

    /** Sends {@code request} as a stream request and decodes its events. */
    public Flux<ChatChunk> stream(ChatRequest request) {
        return Flux.defer(() -> post(request.withStream(true)).response((response, content) -> {
                    int status = response.status().code();
                    if (!succeeded(status)) {
                        return content.aggregate().asByteArray().defaultIfEmpty(NO_BODY)
                                .flatMapMany(body -> Flux.error(dialect.decodeError(status, retryAfter(response), body)));
                    }
                    String type = response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
                    if (type == null || !type.startsWith("text/event-stream")) {
                        return content.aggregate().asByteArray().defaultIfEmpty(NO_BODY)
                                .flatMapMany(body -> Flux.error(notAStream(body)));
                    }
                    return dialect.decodeStream(SseParser.decode(content, MAX_EVENT_BYTES));
                }))
                .onErrorMap(this::redact);
    }

    /**
     * Posts {@code body} to {@code path} (below the base URL) and reads the whole 2xx answer; any other status
     * fails with the dialect's error. For a provider's side endpoints (e.g. Anthropic's token counting).
     */
    public Mono<byte[]> post(String path, byte[] body) {
        return Mono.defer(() -> exchange(http.post().uri(path).send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body))),
                        dialect::decodeError, (response, answer) -> answer))
                .onErrorMap(this::redact);
    }

    /**
     * Sends {@code request} and reads its whole answer: a 2xx one is {@code decode}d; any other fails with
     * {@link HttpFailures#status} (its kind, Retry-After and error message).
     */
    public static <T> Mono<T> exchange(HttpClient.ResponseReceiver<?> request,
                                       BiFunction<HttpClientResponse, byte[], T> decode) {
        return exchange(request, HttpFailures::status, decode);
    }

    private static <T> Mono<T> exchange(HttpClient.ResponseReceiver<?> request, ErrorDecoder errors,
                                        BiFunction<HttpClientResponse, byte[], T> decode) {
        return request.responseSingle((response, content) -> content.asByteArray()
                .defaultIfEmpty(NO_BODY)
                .map(body -> {
                    int status = response.status().code();
                    if (!succeeded(status)) {
                        throw errors.decode(status, retryAfter(response), body);
                    }
                    return decode.apply(response, body);
                }));
    }

    private HttpClient.ResponseReceiver<?> post(ChatRequest request) {
        byte[] body = dialect.encode(request);
        return chat.send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body)));
    }

    /** A 2xx answer to a stream request that is not a stream: its error object, or malformed. */
    private RuntimeException notAStream(byte[] body) {
        try {
            dialect.decodeAnswer(body);
            return HttpFailures.malformed("a stream was asked for but the answer is not text/event-stream");
        } catch (RuntimeException failure) {
            return failure;
        }
    }

    private Throwable redact(Throwable error) {
        return HttpFailures.redact(error, key);
    }

    private static boolean succeeded(int status) {
        return status >= 200 && status <= 299;
    }

    private static String retryAfter(HttpClientResponse response) {
        return response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER);
    }

    @FunctionalInterface
    private interface ErrorDecoder {

        ProviderException decode(int status, String retryAfter, byte[] body);
    }
}
