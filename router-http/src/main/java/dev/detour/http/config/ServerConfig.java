package dev.detour.http.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The HTTP server.
 *
 * <p>The client-facing limits (each refusal is an OpenAI-style JSON error with a request log line, and the
 * connection is closed after it):
 * <ul>
 *   <li>{@code header-timeout} (10 s): a request's line and headers must arrive within it, counted from the
 *       connection's accept or, on a kept-alive connection, from the request's first byte; else 408. A new
 *       connection that sends nothing at all within it is closed without an answer (a pooled client could
 *       otherwise read that 408 as the answer to the request it sends next).</li>
 *   <li>{@code body-idle-timeout} (10 s): the longest wait for the next bytes of a body; else 408.</li>
 *   <li>{@code body-timeout} (60 s): a whole body, from the end of its headers; else 408.</li>
 *   <li>{@code keep-alive-timeout} (60 s): a kept-alive connection with no request in progress is closed
 *       silently after it.</li>
 *   <li>{@code max-header-bytes} (16384): the request's headers together; larger gets 431. The request
 *       line has its own limit of 4096 bytes (414).</li>
 *   <li>{@code max-connections} (4096): connections open at once; one accepted beyond it is closed at once,
 *       before anything is read from it (no answer: a flood costs the router as little as possible).</li>
 * </ul>
 *
 * @param host             the address to bind ({@code 127.0.0.1} unless set: loopback only)
 * @param port             the port (8080 unless set; 0 picks a free one)
 * @param maxBodyBytes     the largest request body accepted (1 MiB unless set); larger gets 413
 * @param shutdownGrace    how long a graceful shutdown waits for requests in flight (10 s unless set)
 * @param propagateHeaders request headers sent on to providers, in lower case
 *                         ({@code x-user-id} and {@code x-session-id} unless set)
 * @param maxInFlight      the most API requests served at once (1024 unless set); beyond it, 429
 * @param headerTimeout    the time a request's line and headers may take (10 s unless set); beyond it, 408
 * @param bodyIdleTimeout  the longest pause between a body's bytes (10 s unless set); beyond it, 408
 * @param bodyTimeout      the time a whole body may take after its headers (60 s unless set); beyond it, 408
 * @param keepAliveTimeout how long an idle kept-alive connection stays open (60 s unless set)
 * @param maxHeaderBytes   the largest request headers accepted (16384 bytes unless set); larger gets 431
 * @param maxConnections   the most connections open at once (4096 unless set); beyond it, closed on accept
 * @param tls              HTTPS with HTTP/2 by ALPN ({@code null} unless set: plain HTTP/1.1)
 */
public record ServerConfig(String host, Integer port, Long maxBodyBytes, Duration shutdownGrace,
                           List<String> propagateHeaders, Integer maxInFlight, Duration headerTimeout,
                           Duration bodyIdleTimeout, Duration bodyTimeout, Duration keepAliveTimeout,
                           Integer maxHeaderBytes, Integer maxConnections, TlsConfig tls) {

    /** The address bound unless set. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The port unless set. */
    public static final int DEFAULT_PORT = 8080;
    /** The body limit unless set: 1 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** The shutdown grace unless set. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** The propagated headers unless set. */
    public static final List<String> DEFAULT_PROPAGATE_HEADERS = List.of("x-user-id", "x-session-id");
    /** The most API requests served at once unless set. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    /** The time a request's line and headers may take unless set. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    /** The longest pause between a body's bytes unless set. */
    public static final Duration DEFAULT_BODY_IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** The time a whole body may take unless set. */
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(60);
    /** How long an idle kept-alive connection stays open unless set. */
    public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(60);
    /** The largest request headers unless set: 16 KiB. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    /** The most connections open at once unless set. */
    public static final int DEFAULT_MAX_CONNECTIONS = 4096;

    private static final ServerConfig DEFAULTS = new ServerConfig(null, null, null, null, null, null,
            null, null, null, null, null, null, null);

    /** Takes the default of what is null and copies the header list, in lower case. */
    public ServerConfig {
        host = host != null ? host : DEFAULT_HOST;
        port = port != null ? port : DEFAULT_PORT;
        maxBodyBytes = maxBodyBytes != null ? maxBodyBytes : DEFAULT_MAX_BODY_BYTES;
        shutdownGrace = shutdownGrace != null ? shutdownGrace : DEFAULT_SHUTDOWN_GRACE;
        propagateHeaders = propagateHeaders == null ? DEFAULT_PROPAGATE_HEADERS
                : propagateHeaders.stream().map(header -> header.toLowerCase(Locale.ROOT)).toList();
        maxInFlight = maxInFlight != null ? maxInFlight : DEFAULT_MAX_IN_FLIGHT;
        headerTimeout = headerTimeout != null ? headerTimeout : DEFAULT_HEADER_TIMEOUT;
        bodyIdleTimeout = bodyIdleTimeout != null ? bodyIdleTimeout : DEFAULT_BODY_IDLE_TIMEOUT;
        bodyTimeout = bodyTimeout != null ? bodyTimeout : DEFAULT_BODY_TIMEOUT;
        keepAliveTimeout = keepAliveTimeout != null ? keepAliveTimeout : DEFAULT_KEEP_ALIVE_TIMEOUT;
        maxHeaderBytes = maxHeaderBytes != null ? maxHeaderBytes : DEFAULT_MAX_HEADER_BYTES;
        maxConnections = maxConnections != null ? maxConnections : DEFAULT_MAX_CONNECTIONS;
    }

    /** A server with the client-facing limits at their defaults, without TLS. */
    public ServerConfig(String host, int port, long maxBodyBytes, Duration shutdownGrace, List<String> propagateHeaders,
                        int maxInFlight) {
        this(host, Integer.valueOf(port), Long.valueOf(maxBodyBytes), shutdownGrace, propagateHeaders, Integer.valueOf(maxInFlight),
                null, null, null, null, null, null, null);
    }

    /**
     * Every field at its default: {@code 127.0.0.1:8080}, 1 MiB, 10 s, user and session headers, 1024 in flight,
     * 10 s for headers, 10 s between body bytes, 60 s for a body, 60 s kept alive, 16 KiB of headers, 4096
     * connections, no TLS.
     */
    public static ServerConfig defaults() {
        return DEFAULTS;
    }
}
