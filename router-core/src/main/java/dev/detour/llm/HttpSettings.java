package dev.detour.llm;

import dev.detour.llm.internal.LoopPools;
import io.netty.channel.ChannelOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * How Detour reaches one HTTP provider: its base URL, its own connection pools (with limits and idle
 * eviction; one per event loop, see {@link #client}), the connect timeout and extra headers. An immutable value; each setter returns a copy.
 */
public final class HttpSettings {

    /**
     * The Reactor context key of a {@code Map<String, String>} of headers to send with the provider
     * call made under that context (a request id, a user or session header an HTTP front end propagates).
     */
    public static final String PROPAGATED_HEADERS = "detour.propagated-headers";

    /** Headers never propagated: they would replace the provider's credentials with the caller's. */
    private static final java.util.Set<String> CREDENTIALS = java.util.Set.of("authorization", "x-api-key", "api-key",
            "proxy-authorization", "cookie");

    /** The fewest connections a loop's pool gets when the limit is split among the event loops. */
    private static final int SPLIT_FROM = 8;

    private final String baseUrl;
    private final int maxConnections;
    private final int maxPending;
    private final Duration maxIdleTime;
    private final Duration connectTimeout;
    private final Map<String, String> headers;

    private HttpSettings(String baseUrl, int maxConnections, int maxPending, Duration maxIdleTime,
                         Duration connectTimeout, Map<String, String> headers) {
        this.baseUrl = baseUrl;
        this.maxConnections = maxConnections;
        this.maxPending = maxPending;
        this.maxIdleTime = maxIdleTime;
        this.connectTimeout = connectTimeout;
        this.headers = headers;
    }

    /**
     * Settings for {@code baseUrl} (e.g. {@code https://api.openai.com/v1}): up to 256 connections,
     * 1,024 requests waiting for one (both shared among the event loops, see {@link #client}), idle
     * connections closed after 30 s, connect timeout 5 s.
     */
    public static HttpSettings of(String baseUrl) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw new InvalidChatException("base URL must start with http:// or https://, was " + baseUrl);
        }
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        return new HttpSettings(trimmed, 256, 1024, Duration.ofSeconds(30), Duration.ofSeconds(5), Map.of());
    }

    /** A copy with at most {@code maxConnections} connections and {@code maxPending} requests waiting for one. */
    public HttpSettings pool(int maxConnections, int maxPending) {
        if (maxConnections < 1 || maxPending < 0) {
            throw new InvalidChatException("pool needs maxConnections >= 1 and maxPending >= 0, was "
                    + maxConnections + " and " + maxPending);
        }
        return new HttpSettings(baseUrl, maxConnections, maxPending, maxIdleTime, connectTimeout, headers);
    }

    /** A copy closing connections idle for {@code maxIdleTime}. */
    public HttpSettings maxIdleTime(Duration maxIdleTime) {
        return new HttpSettings(baseUrl, maxConnections, maxPending, Objects.requireNonNull(maxIdleTime), connectTimeout, headers);
    }

    /** A copy giving up on a connection after {@code connectTimeout}. */
    public HttpSettings connectTimeout(Duration connectTimeout) {
        return new HttpSettings(baseUrl, maxConnections, maxPending, maxIdleTime, Objects.requireNonNull(connectTimeout), headers);
    }

    /** A copy sending {@code name: value} with every request. */
    public HttpSettings header(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new HttpSettings(baseUrl, maxConnections, maxPending, maxIdleTime, connectTimeout, Map.copyOf(more));
    }

    /** The base URL, without a trailing slash. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The most connections its pools open, split among the event loops (see {@link #client}). */
    public int maxConnections() {
        return maxConnections;
    }

    /** The most requests waiting for a connection. */
    public int maxPending() {
        return maxPending;
    }

    /** How long an idle pooled connection is kept. */
    public Duration maxIdleTime() {
        return maxIdleTime;
    }

    /**
     * A client with pools of its own named after {@code provider}, one per event loop: a call made on one of
     * Reactor Netty's shared event loops (a request the router serves) goes out over a connection of that loop,
     * so no thread hands the call or its answer to another. The limits are split evenly among the loops' pools
     * (each holds its share, rounded up, so one loop alone can use only its share), and calls made off the loops
     * share one more such pool. Limits under {@value #SPLIT_FROM} connections a loop are kept whole in one pool.
     */
    public HttpClient client(String provider) {
        int loops = LoopResources.DEFAULT_IO_WORKER_COUNT;
        String pools = "detour-" + provider;
        ConnectionProvider pool = maxConnections < SPLIT_FROM * loops ? pool(pools, maxConnections, maxPending)
                : new LoopPools(pools, each -> pool(each, share(maxConnections, loops), share(maxPending, loops)));
        return HttpClient.create(pool)
                .baseUrl(baseUrl)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .headers(h -> headers.forEach(h::set))
                .headersWhen(h -> Mono.deferContextual(context -> {
                    Map<String, String> propagated = context.getOrDefault(PROPAGATED_HEADERS, Map.of());
                    propagated.forEach((name, value) -> {
                        if (!CREDENTIALS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                            h.set(name, value);
                        }
                    });
                    return Mono.just(h);
                }));
    }

    /** One loop's share of {@code limit}, rounded up. */
    private static int share(int limit, int loops) {
        return (limit + loops - 1) / loops;
    }

    private ConnectionProvider pool(String name, int connections, int pending) {
        return ConnectionProvider.builder(name)
                .maxConnections(connections)
                .pendingAcquireMaxCount(pending)
                .maxIdleTime(maxIdleTime)
                .evictInBackground(maxIdleTime)
                .build();
    }

    @Override
    public String toString() {
        return "HttpSettings[" + baseUrl + ", maxConnections=" + maxConnections + "]";
    }
}
