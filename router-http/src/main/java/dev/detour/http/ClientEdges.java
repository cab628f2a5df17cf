package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.http.config.ServerConfig;
import dev.detour.llm.Json;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.AbortedException;

/**
 * The router's edge towards clients on HTTP/1.1: time limits for reading a request (headers, the body between
 * bytes and in total, an idle kept-alive connection), a limit on connections, and an OpenAI-style JSON error
 * with a request log line for every request Netty's decoder refuses before any handler runs (bad request line,
 * bad {@code Content-Length}, invalid chunked encoding, headers or line too long).
 *
 * <p>Per connection, two handlers join Reactor Netty's pipeline: one before the HTTP codec that notices raw
 * bytes arriving, and a {@link Guard} after it that follows each request through its phases and keeps its
 * timers on the connection's event loop. A limit missed while no handler has the request (its headers are
 * incomplete, or they failed to decode) is answered by the guard itself; one missed while a handler reads
 * the body reaches the handler as the body's error ({@link Refusal}), so the handler answers it, logs it and
 * releases its in-flight slot. Either way the connection is closed after the answer.
 *
 * <p>Only pipelines set up as cleartext or TLS HTTP/1.1 when the connection opens get the guard; a protocol
 * negotiated later (h2 over ALPN, h2c upgrade) keeps Reactor Netty's own handling.
 */
final class ClientEdges {

    /** The longest line a request may start with; longer gets 414. */
    static final int MAX_REQUEST_LINE = 4096;
    /** How long a handler has to answer a refusal before the guard closes the connection anyway. */
    static final Duration ANSWER_GRACE = Duration.ofSeconds(1);

    private static final String BYTES = "detour.edges.bytes";
    private static final String GUARD = "detour.edges.guard";

    private final Supplier<ServerConfig> settings;
    private final RequestLog log;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final int headerLimit;

    /** The edge for a server whose decoder takes headers up to the current settings' {@code max-header-bytes}. */
    ClientEdges(Supplier<ServerConfig> settings, RequestLog log) {
        this.settings = settings;
        this.log = log;
        this.headerLimit = settings.get().maxHeaderBytes();
    }

    /** Connections open now. */
    int openConnections() {
        return open.get();
    }

    /** Connections closed on accept because {@code max-connections} were open. */
    long refusedConnections() {
        return refused.get();
    }

    /**
     * Takes a new connection: closes it at once when {@code max-connections} are open already, else puts the
     * guard in its pipeline. Runs in Reactor Netty's channel initialisation, after its HTTP handlers are added.
     */
    void install(Channel channel) {
        int now = open.incrementAndGet();
        channel.closeFuture().addListener(closed -> open.decrementAndGet());
        if (now > settings.get().maxConnections()) {
            refused.incrementAndGet();
            channel.close();
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        if (pipeline.get(NettyPipeline.HttpCodec) == null || pipeline.get(NettyPipeline.HttpTrafficHandler) == null) {
            return;
        }
        Guard guard = new Guard();
        pipeline.addBefore(NettyPipeline.HttpCodec, BYTES, guard.bytes);
        pipeline.addAfter(NettyPipeline.HttpCodec, GUARD, guard);
    }

    /**
     * The body's error as the handler should answer it: a {@link Refusal} as its {@link ApiError}, a client
     * that left as {@link ClientGone}; anything else as it is.
     */
    static Throwable bodyError(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof Refusal refusal) {
                return new ApiError.ApiException(refusal.error());
            }
            if (clientGone(cause)) {
                return new ClientGone(cause);
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return error;
    }

    /** Whether {@code error} says the client closed or reset its connection. */
    static boolean clientGone(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ClientGone || cause instanceof AbortedException || cause instanceof ClosedChannelException) {
                return true;
            }
            if (cause instanceof IOException io && io.getMessage() != null) {
                String message = io.getMessage().toLowerCase(Locale.ROOT);
                if (message.contains("connection reset") || message.contains("broken pipe")) {
                    return true;
                }
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** 408: a time limit for reading the request was missed. */
    static ApiError timeout(String code, String what, Duration limit) {
        return new ApiError(408, "invalid_request_error", code,
                what + " did not arrive within " + limit.toMillis() + " ms; the connection is closed");
    }

    /** The error for a request the decoder refused. */
    ApiError framing(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return new ApiError(431, "invalid_request_error", "request_header_fields_too_large",
                    "the request headers are larger than " + headerLimit + " bytes");
        }
        if (cause instanceof TooLongHttpLineException) {
            return new ApiError(414, "invalid_request_error", "request_line_too_long",
                    "the request line is longer than " + MAX_REQUEST_LINE + " bytes");
        }
        if (cause instanceof TooLongFrameException) {
            return new ApiError(413, "invalid_request_error", "request_too_large", "the request is too large");
        }
        String detail = cause == null || cause.getMessage() == null ? "" : ": " + clip(cause.getMessage());
        String what = cause instanceof NumberFormatException || (detail.toLowerCase(Locale.ROOT).contains("content-length"))
                ? "invalid Content-Length" : "malformed HTTP request";
        return new ApiError(400, "invalid_request_error", "malformed_request", what + detail);
    }

    private static String clip(String text) {
        String line = text.replaceAll("[\\r\\n\\t]+", " ").replaceAll("[^\\x20-\\x7e]", "?");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    /**
     * What is wrong with a request the decoder took, or null: a version other than HTTP/1.x, or a target that is
     * not a URI (printable ASCII, escapes well formed), which Reactor Netty would fail on later with a 500.
     */
    static ApiError refusal(HttpRequest request) {
        if (request.protocolVersion().majorVersion() != 1) {
            return new ApiError(400, "invalid_request_error", "http_version_not_supported",
                    "HTTP/" + request.protocolVersion().majorVersion() + " is not served here; use HTTP/1.1");
        }
        String uri = request.uri();
        boolean plain = true;
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return badTarget();
            }
            plain &= plainPathChar(c);
        }
        if (plain && uri.startsWith("/") && !uri.startsWith("//")) {
            return null;
        }
        try {
            new URI(uri);
        } catch (URISyntaxException e) {
            return badTarget();
        }
        return null;
    }

    /** A character any path may hold as it is (RFC 3986 unreserved, or {@code /}): a target of only these, not {@code //…}, is a URI. */
    private static boolean plainPathChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '-' || c == '.'
                || c == '_' || c == '~';
    }

    private static ApiError badTarget() {
        return new ApiError(400, "invalid_request_error", "malformed_request",
                "the request target is not a valid URI (non-ASCII characters must be percent-encoded)");
    }

    /** The error for a bare error response Reactor Netty wrote on its own, e.g. for a request it could not take. */
    static ApiError bare(HttpResponseStatus status) {
        int code = status.code();
        return switch (code) {
            case 400 -> new ApiError(400, "invalid_request_error", "malformed_request", "malformed HTTP request");
            case 408 -> new ApiError(408, "invalid_request_error", "request_timeout", "the request did not arrive in time");
            case 413 -> new ApiError(413, "invalid_request_error", "request_too_large", "the request is too large");
            case 414 -> new ApiError(414, "invalid_request_error", "request_line_too_long", "the request line is too long");
            case 431 -> new ApiError(431, "invalid_request_error", "request_header_fields_too_large", "the request headers are too large");
            default -> code >= 500
                    ? new ApiError(code, "server_error", null, "internal error")
                    : new ApiError(code, "invalid_request_error", null, status.reasonPhrase());
        };
    }

    /** A limit the client missed, or bad framing, passed to the handler reading the body. */
    static final class Refusal extends RuntimeException {

        private final transient ApiError error;

        Refusal(ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        ApiError error() {
            return error;
        }
    }

    /** The client closed or reset its connection before the request was answered. */
    static final class ClientGone extends RuntimeException {

        ClientGone(Throwable cause) {
            super("the client closed the connection", cause, false, false);
        }
    }

    private static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    }

    private enum Phase {
        /** No byte of a next request yet. */
        AWAIT,
        /** Some bytes of a request, its headers not complete. */
        HEADERS,
        /** Headers passed on, the body's end not yet read. */
        BODY,
        /** Refused: nothing more is read; the connection closes. */
        DONE
    }

    /** One connection's request phases and timers; every method runs on the connection's event loop. */
    private final class Guard extends ChannelDuplexHandler {

        final ChannelInboundHandlerAdapter bytes = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext context, Object msg) {
                sawBytes();
                context.fireChannelRead(msg);
            }
        };

        private ChannelHandlerContext ctx;
        private Phase phase = Phase.AWAIT;
        private boolean fresh = true;
        private long started = System.nanoTime();
        private int pending;
        private boolean closing;
        private ApiError deferred;
        private ScheduledFuture<?> readTimer;
        private ScheduledFuture<?> bodyIdle;
        private ScheduledFuture<?> bodyTotal;
        private ScheduledFuture<?> backstop;

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            ctx = context;
            readTimer = schedule(settings.get().headerTimeout(), this::readTimerFired);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext context) {
            cancelAll();
            cancel(backstop);
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            cancelAll();
            cancel(backstop);
            phase = Phase.DONE;
            context.fireChannelInactive();
        }

        void sawBytes() {
            if (phase == Phase.AWAIT) {
                phase = Phase.HEADERS;
                if (!fresh) {
                    started = System.nanoTime();
                    cancel(readTimer);
                    readTimer = schedule(settings.get().headerTimeout(), this::readTimerFired);
                }
            } else if (phase == Phase.BODY && bodyIdle != null) {
                cancel(bodyIdle);
                bodyIdle = schedule(settings.get().bodyIdleTimeout(), () -> bodyMissed(false));
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            if (phase == Phase.DONE) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest request) {
                DecoderResult result = request.decoderResult();
                ApiError refused = result.isFailure() ? framing(result.cause()) : refusal(request);
                if (refused != null) {
                    ReferenceCountUtil.release(msg);
                    refuseHere(refused);
                    return;
                }
                fresh = false;
                cancel(readTimer);
                readTimer = null;
                pending++;
                phase = Phase.BODY;
                ServerConfig now = settings.get();
                bodyIdle = schedule(now.bodyIdleTimeout(), () -> bodyMissed(false));
                bodyTotal = schedule(now.bodyTimeout(), () -> bodyMissed(true));
            }
            if (msg instanceof HttpContent content) {
                DecoderResult result = content.decoderResult();
                if (result.isFailure()) {
                    ReferenceCountUtil.release(msg);
                    refuseBody(framing(result.cause()));
                    return;
                }
                if (msg instanceof LastHttpContent) {
                    cancel(bodyIdle);
                    cancel(bodyTotal);
                    bodyIdle = null;
                    bodyTotal = null;
                    phase = Phase.AWAIT;
                    started = System.nanoTime();
                    if (pending == 0) {
                        idle();
                    }
                }
            }
            context.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                context.write(msg, promise);
                return;
            }
            Object out = msg;
            if (msg instanceof FullHttpResponse full && full.status().code() >= 400 && !full.content().isReadable()
                    && !full.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
                out = jsonInstead(full);
            }
            if (out instanceof HttpResponse response && (closing || deferred != null)) {
                HttpUtil.setKeepAlive(response, false);
            }
            if (!(out instanceof LastHttpContent)) {
                context.write(out, promise);
                return;
            }
            pending = Math.max(0, pending - 1);
            boolean close = closing || deferred != null;
            ChannelPromise written = promise.unvoid();
            context.write(out, written);
            if (close) {
                written.addListener(done -> {
                    if (deferred != null && pending == 0) {
                        ApiError error = deferred;
                        deferred = null;
                        answer(error);
                    } else if (pending == 0) {
                        context.close();
                    }
                });
            } else if (pending == 0 && phase == Phase.AWAIT) {
                idle();
            }
        }

        /** A bare error response from Reactor Netty (no body, no type) as a JSON error with a log line. */
        private FullHttpResponse jsonInstead(FullHttpResponse bare) {
            ApiError error = bare(bare.status());
            byte[] body = Json.bytes(error.json());
            FullHttpResponse json = new DefaultFullHttpResponse(bare.protocolVersion(), bare.status(), Unpooled.wrappedBuffer(body));
            json.headers().set(bare.headers());
            json.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            json.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            bare.release();
            logLine(error, null);
            return json;
        }

        /**
         * Starts the wait for a next request on a kept-alive connection, and asks for it to be read. Reactor Netty
         * reads on demand, re-arming the read as each exchange ends; in 1.3.7 a request queued behind an unfinished
         * one and answered at once can end with no read armed (its issue #4361), and the connection would then
         * sit unread until this timer closed it. Every request answered and none begun is exactly when to read.
         */
        private void idle() {
            cancel(readTimer);
            readTimer = schedule(settings.get().keepAliveTimeout(), this::readTimerFired);
            ctx.read();
        }

        /** The header or keep-alive timer: 408 when a request has begun, else a silent close. */
        private void readTimerFired() {
            readTimer = null;
            if (phase == Phase.HEADERS) {
                refuseHere(timeout("header_timeout", "the request headers", settings.get().headerTimeout()));
            } else if (phase == Phase.AWAIT && pending == 0) {
                phase = Phase.DONE;
                ctx.close();
            }
        }

        private void bodyMissed(boolean total) {
            ServerConfig now = settings.get();
            refuseBody(total ? timeout("body_timeout", "the whole request body", now.bodyTimeout())
                    : timeout("body_idle_timeout", "the next bytes of the request body", now.bodyIdleTimeout()));
        }

        /**
         * Refuses a request no handler has: answered here when no earlier response is under way, else once the
         * earlier ones are sent.
         */
        private void refuseHere(ApiError error) {
            cancelAll();
            phase = Phase.DONE;
            if (pending == 0) {
                answer(error);
            } else {
                deferred = error;
                backstop();
            }
        }

        /** Refuses the request whose body is being read: its handler answers, then the connection closes. */
        private void refuseBody(ApiError error) {
            cancelAll();
            phase = Phase.DONE;
            closing = true;
            if (pending == 1) {
                ctx.fireExceptionCaught(new Refusal(error));
                backstop();
            } else {
                // answered already (nothing more to say), or behind earlier pipelined requests: close
                ctx.close();
            }
        }

        private void answer(ApiError error) {
            byte[] body = Json.bytes(error.json());
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(error.status()), Unpooled.wrappedBuffer(body));
            String requestId = newRequestId();
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set("x-request-id", requestId);
            logLine(error, requestId);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        private void logLine(ApiError error, String requestId) {
            ObjectNode line = log.line();
            if (requestId != null) {
                line.put("request_id", requestId);
            }
            line.put("status", error.status()).put("error", error.message());
            if (error.code() != null) {
                line.put("code", error.code());
            }
            line.put("latency_ms", (System.nanoTime() - started) / 1e6);
            log.write(line);
        }

        private void backstop() {
            if (backstop == null) {
                backstop = schedule(ANSWER_GRACE, () -> ctx.close());
            }
        }

        private ScheduledFuture<?> schedule(Duration after, Runnable task) {
            return ctx.executor().schedule(task, after.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void cancelAll() {
            cancel(readTimer);
            cancel(bodyIdle);
            cancel(bodyTotal);
            readTimer = null;
            bodyIdle = null;
            bodyTotal = null;
        }

        private void cancel(ScheduledFuture<?> timer) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }
}
