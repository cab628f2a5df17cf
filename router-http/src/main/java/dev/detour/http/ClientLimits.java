package dev.detour.http;

import dev.detour.http.config.ClientKeyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The clients' rate buckets and counters of one server, kept across configuration versions: a reload keeps
 * a client's bucket (and what it has spent) while its name and rate stay the same. Counts each admitted
 * request as {@code detour.client.requests{client=<name>,outcome=allowed|limited}}.
 */
final class ClientLimits {

    static final String METRIC = "detour.client.requests";

    private final MeterRegistry registry;
    private final LongSupplier clock;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    ClientLimits(MeterRegistry registry, LongSupplier nanoClock) {
        this.registry = registry;
        this.clock = nanoClock;
    }

    /** Limits counted nowhere, on {@link System#nanoTime}. */
    static ClientLimits unmetered() {
        return new ClientLimits(new SimpleMeterRegistry(), System::nanoTime);
    }

    /** The client {@code config} describes, holding {@code key}. */
    ClientAuth.Client client(ClientKeyConfig config, String key) {
        String name = config.name();
        Integer rate = config.requestsPerMinute();
        TokenBucket bucket = rate == null ? null : buckets.compute(name,
                (n, kept) -> kept != null && kept.perMinute() == rate ? kept : new TokenBucket(rate, clock));
        if (rate == null) {
            buckets.remove(name);
        }
        return new ClientAuth.Client(name, key.getBytes(java.nio.charset.StandardCharsets.UTF_8), bucket,
                counter(name, "allowed"), counter(name, "limited"));
    }

    private Counter counter(String client, String outcome) {
        return Counter.builder(METRIC).description("API requests by client key, allowed or refused for its rate")
                .tag("client", client).tag("outcome", outcome).register(registry);
    }
}
