package dev.detour.http.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The HTTP server.
 *
 * @param host             the address to bind ({@code 127.0.0.1} unless set: loopback only)
 * @param port             the port (8080 unless set; 0 picks a free one)
 * @param maxBodyBytes     the largest request body accepted (1 MiB unless set); larger gets 413
 * @param shutdownGrace    how long a graceful shutdown waits for requests in flight (10 s unless set)
 * @param propagateHeaders request headers sent on to providers, in lower case
 *                         ({@code x-user-id} and {@code x-session-id} unless set)
 * @param maxInFlight      the most API requests served at once (1024 unless set); beyond it, 429
 * @param tls              HTTPS with HTTP/2 by ALPN ({@code null} unless set: plain HTTP/1.1)
 */
public record ServerConfig(String host, Integer port, Long maxBodyBytes, Duration shutdownGrace,
                           List<String> propagateHeaders, Integer maxInFlight, TlsConfig tls) {

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

    private static final ServerConfig DEFAULTS = new ServerConfig(null, null, null, null, null, null, null);

    /** Takes the default of what is null and copies the header list, in lower case. */
    public ServerConfig {
        host = host != null ? host : DEFAULT_HOST;
        port = port != null ? port : DEFAULT_PORT;
        maxBodyBytes = maxBodyBytes != null ? maxBodyBytes : DEFAULT_MAX_BODY_BYTES;
        shutdownGrace = shutdownGrace != null ? shutdownGrace : DEFAULT_SHUTDOWN_GRACE;
        propagateHeaders = propagateHeaders == null ? DEFAULT_PROPAGATE_HEADERS
                : propagateHeaders.stream().map(header -> header.toLowerCase(Locale.ROOT)).toList();
        maxInFlight = maxInFlight != null ? maxInFlight : DEFAULT_MAX_IN_FLIGHT;
    }

    /** A server with every field set, without TLS. */
    public ServerConfig(String host, int port, long maxBodyBytes, Duration shutdownGrace, List<String> propagateHeaders,
                        int maxInFlight) {
        this(host, Integer.valueOf(port), Long.valueOf(maxBodyBytes), shutdownGrace, propagateHeaders, Integer.valueOf(maxInFlight), null);
    }

    /** Every field at its default: {@code 127.0.0.1:8080}, 1 MiB, 10 s, user and session headers, 1024 in flight, no TLS. */
    public static ServerConfig defaults() {
        return DEFAULTS;
    }
}
