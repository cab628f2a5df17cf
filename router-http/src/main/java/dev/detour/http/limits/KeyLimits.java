package dev.detour.http.limits;

import dev.detour.core.internal.SpendCounter;
import dev.detour.core.spi.Counters;
import dev.detour.http.config.ClientKeyConfig;
import dev.detour.llm.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The client keys' limits of one server, counted in {@link Counters} under each key's name (so they hold
 * across configuration reloads, and across a fleet when the counters are shared), and what requests use,
 * as meters per key and per route:
 * <ul>
 *   <li>{@code detour.client.requests{client, outcome=allowed|limited}}: requests admitted or refused;</li>
 *   <li>{@code detour.client.tokens{client, type=input|output}} and {@code detour.route.tokens{route, type}}: tokens
 *       of the answers' usage;</li>
 *   <li>{@code detour.client.spend{client}} and {@code detour.route.spend{route}}: spend at the providers'
 *       prices.</li>
 * </ul>
 * A limit is checked before any provider call, against the current window: requests a minute counting this
 * one, tokens a minute and spend a day as counted so far (a request's own tokens and spend count when it
 * ends, {@link Spending}). Keys are named by their names only; a key itself is never counted, logged or measured.
 */
public final class KeyLimits {

    /** The meter of requests admitted or refused, by client. */
    public static final String REQUESTS = "detour.client.requests";

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final Counters counters;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Meters> clients = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Meters> routes = new ConcurrentHashMap<>();

    /** Limits counted in {@code counters}, measured in {@code registry}. */
    public KeyLimits(Counters counters, MeterRegistry registry) {
        this.counters = counters;
        this.registry = registry;
    }

    /**
     * A request refused by a key's limit: the limit's config name and value, and the whole seconds (at least 1,
     * rounded up) until the window it counts in ends.
     */
    public record Refusal(String limit, String value, long retryAfterSeconds) {

        /** {@code requests-per-minute limit of 60 reached for this key; retry after 12s}. */
        public String message() {
            return limit + " limit of " + value + " reached for this key; retry after " + retryAfterSeconds + "s";
        }
    }

    /** One client key's limits and meters, made once per configuration version. */
    public static final class Key {

        private final ClientKeyConfig config;
        private final String requests;
        private final String tokens;
        private final SpendCounter spend;
        private final Meters meters;

        private Key(ClientKeyConfig config, Counters counters, Meters meters) {
            this.config = config;
            this.requests = "key/" + config.name() + "/requests";
            this.tokens = "key/" + config.name() + "/tokens";
            this.spend = config.spendPerDay() == null ? null
                    : new SpendCounter(counters, "key/" + config.name() + "/spend", config.spendPerDay());
            this.meters = meters;
        }

        /** The key's name. */
        public String name() {
            return config.name();
        }
    }

    /** The limits and meters of the key {@code config} describes. */
    public Key key(ClientKeyConfig config) {
        return new Key(config, counters, clients.computeIfAbsent(config.name(), n -> new Meters(registry, "client", n, true)));
    }

    /**
     * Checks a request of {@code key} (null: keys are off) against its limits and counts it toward its
     * {@code requests-per-minute}; empty when it may pass, else the limit it is over.
     */
    public Mono<Refusal> check(Key key) {
        if (key == null) {
            return Mono.empty();
        }
        ClientKeyConfig config = key.config;
        if (!config.limited()) {
            key.meters.allowed.increment();
            return Mono.empty();
        }
        Mono<Refusal> tokens = config.tokensPerMinute() == null ? Mono.empty()
                : counters.add(key.tokens, 0, MINUTE).filter(used -> used >= config.tokensPerMinute())
                .map(used -> refusal("tokens-per-minute", config.tokensPerMinute().toString(), MINUTE));
        Mono<Refusal> spend = key.spend == null ? Mono.empty()
                : key.spend.reached().filter(Boolean::booleanValue)
                .map(reached -> refusal("spend-per-day", key.spend.budget(), SpendCounter.DAY));
        Mono<Refusal> requests = config.requestsPerMinute() == null ? Mono.empty()
                : counters.add(key.requests, 1, MINUTE).filter(made -> made > config.requestsPerMinute())
                .map(made -> refusal("requests-per-minute", config.requestsPerMinute().toString(), MINUTE));
        return Flux.mergeSequential(tokens, spend).next().switchIfEmpty(requests)
                .doOnNext(refused -> key.meters.limited.increment())
                .switchIfEmpty(Mono.fromRunnable(key.meters.allowed::increment));
    }

    /**
     * Counts what a request of {@code key} (null: keys are off) on {@code route} used once it ended:
     * {@code usage} (null: none) toward the key's tokens a minute, {@code spend} toward its spend a day, and both
     * in the meters.
     */
    public void used(Key key, String route, Usage usage, double spend) {
        long input = usage == null ? 0 : usage.promptTokens();
        long output = usage == null ? 0 : usage.completionTokens();
        Meters meters = routes.get(route);
        if (meters == null) {
            meters = routes.computeIfAbsent(route, r -> new Meters(registry, "route", r, false));
        }
        meters.count(input, output, spend);
        if (key == null) {
            return;
        }
        key.meters.count(input, output, spend);
        if (key.config.tokensPerMinute() != null && input + output > 0) {
            counters.add(key.tokens, input + output, MINUTE).subscribe();
        }
        if (key.spend != null) {
            key.spend.charge(spend);
        }
    }

    private Refusal refusal(String limit, String value, Duration window) {
        long millis = counters.untilWindowEnds(window).toMillis();
        return new Refusal(limit, value, Math.max(1, (millis + 999) / 1000));
    }

    /** The meters of one client or route: tokens and spend, and for a client its requests allowed and refused. */
    private static final class Meters {

        final Counter allowed;
        final Counter limited;
        final Counter input;
        final Counter output;
        final Counter spend;

        Meters(MeterRegistry registry, String tag, String name, boolean requests) {
            String prefix = "detour." + tag;
            this.allowed = requests ? requests(registry, name, "allowed") : null;
            this.limited = requests ? requests(registry, name, "limited") : null;
            this.input = tokens(registry, prefix, tag, name, "input");
            this.output = tokens(registry, prefix, tag, name, "output");
            this.spend = Counter.builder(prefix + ".spend").description("spend at the providers' prices, by " + tag)
                    .tag(tag, name).register(registry);
        }

        void count(long inputTokens, long outputTokens, double spent) {
            input.increment(inputTokens);
            output.increment(outputTokens);
            if (spent > 0) {
                spend.increment(spent);
            }
        }

        private static Counter requests(MeterRegistry registry, String client, String outcome) {
            return Counter.builder(REQUESTS).description("API requests by client key, allowed or refused for a limit")
                    .tag("client", client).tag("outcome", outcome).register(registry);
        }

        private static Counter tokens(MeterRegistry registry, String prefix, String tag, String name, String type) {
            return Counter.builder(prefix + ".tokens").description("tokens of the answers' usage, by " + tag)
                    .tag(tag, name).tag("type", type).register(registry);
        }
    }
}
