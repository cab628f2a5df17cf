package dev.detour.state.redis;

import dev.detour.core.internal.BudgetTracker;
import dev.detour.core.internal.InMemoryBreakerStore;
import dev.detour.core.internal.InMemoryCounters;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.CircuitBreaker;
import dev.detour.core.spi.Counters;
import dev.detour.core.spi.ExtraCalls;
import dev.detour.core.spi.Overrides;
import dev.detour.core.spi.SharedAnswers;
import dev.detour.core.spi.StateStore;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link StateStore} shared by every router on one Redis, through Lettuce's reactive API: breakers (state and
 * window, half-open probes leased fleet-wide), retry and hedge budgets, disabled providers, last-known-good answers
 * and fixed-window {@link Counters}, each read-modify-write a Lua script. Redis is never a new way to fail: every
 * command has the store's short timeout; a router decides from what it last heard, so a request never waits on
 * Redis (except a last-known-good lookup or a counter, at most the timeout); while Redis is slow or gone, each
 * router carries on with local state, says so once in its log, in {@link #health()} and in the metrics
 * {@code detour.state.store.available} and {@code detour.state.store.fallbacks}, and reconciles when Redis answers
 * again. Breaker openings reach every router by pub/sub, within a round trip.
 *
 * <pre>{@code
 * RedisStateStore store = RedisStateStore.builder(System.getenv("DETOUR_REDIS_URL"))
 *         .timeout(Duration.ofMillis(5)).keyPrefix("detour:").meterRegistry(registry).build();
 * Router router = Router.builder().stateStore(store).build();
 * }</pre>
 *
 * <p>The URL (which may hold the password) is never logged, shown in an error or in {@link #toString()}.
 */
public final class RedisStateStore implements StateStore, AutoCloseable {

    private final RedisLink link;
    private final Scheduler clock;
    private final InMemoryBreakerStore local = new InMemoryBreakerStore();
    private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ExtraCalls> budgets = new ConcurrentHashMap<>();
    private final SharedOverrides overrides;
    private final RedisAnswers answers;
    private final RedisCounters counters;

    private RedisStateStore(Builder builder) {
        this.clock = builder.clock;
        this.link = new RedisLink(builder.uri, builder.timeout, builder.keyPrefix, builder.retryEvery);
        this.overrides = new SharedOverrides(link);
        this.answers = new RedisAnswers(link);
        LongSupplier millis = () -> clock.now(TimeUnit.MILLISECONDS);
        this.counters = new RedisCounters(link, builder.localCounters != null ? builder.localCounters
                : new InMemoryCounters(millis), millis);
        link.listen(this::announced, this::reconcile);
        if (builder.registry != null) {
            Gauge.builder("detour.state.store.available", link, l -> l.available() ? 1 : 0)
                    .description("1 while the shared state store (Redis) answers, 0 while routers use local state")
                    .register(builder.registry);
            FunctionCounter.builder("detour.state.store.fallbacks", link, RedisLink::fallbacks)
                    .description("operations on shared state served from local state because Redis did not answer")
                    .register(builder.registry);
        }
    }

    /** A builder of a store on the Redis at {@code url} ({@code redis://[:password@]host:port[/db]} or {@code rediss://}). */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    @Override
    public CircuitBreaker breaker(String provider, BreakerPolicy policy, BreakerListener listener) {
        CircuitBreaker breaker = breakers.get(provider);
        if (breaker != null) {
            return breaker;
        }
        return breakers.computeIfAbsent(provider, name -> policy.enabled()
                ? new SharedBreaker(name, policy, listener, local.breaker(name, policy,
                        SharedBreaker.whenAway(link, listener)), link, this::nanos)
                : local.breaker(name, policy, listener));
    }

    @Override
    public Collection<CircuitBreaker> breakers() {
        return Collections.unmodifiableCollection(breakers.values());
    }

    @Override
    public ExtraCalls extraCalls(String provider, String purpose, Budget budget) {
        return budgets.computeIfAbsent(provider + '/' + purpose, key -> budget.ratioOfCalls() == Double.POSITIVE_INFINITY
                ? new BudgetTracker(budget) : new SharedBudget(provider, purpose, budget, link));
    }

    @Override
    public Overrides overrides() {
        return overrides;
    }

    @Override
    public SharedAnswers answers() {
        return answers;
    }

    /** Fixed-window counters for the fleet (per-key limits, spend caps), counting locally while Redis is away. */
    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public Health health() {
        return new Health("redis", link.available(), link.detail());
    }

    /** Operations served from local state so far because Redis did not answer. */
    public long fallbacks() {
        return link.fallbacks();
    }

    private long nanos() {
        return clock.now(TimeUnit.NANOSECONDS);
    }

    private void announced(String message) {
        String[] fields = message.split("\\|", 6);
        if (fields.length == 6 && fields[0].equals("b") && breakers.get(fields[1]) instanceof SharedBreaker breaker) {
            breaker.announced(fields);
        } else if (fields.length == 3 && fields[0].equals("o")) {
            overrides.announced(fields);
        }
    }

    private void reconcile() {
        overrides.refresh();
        breakers.values().forEach(breaker -> {
            if (breaker instanceof SharedBreaker shared) {
                shared.refresh();
            }
        });
    }

    /** Closes the connections. Blocks up to a few seconds: call it from a main or shutdown thread, never an event loop. */
    @Override
    public void close() {
        link.close();
    }

    @Override
    public String toString() {
        return "RedisStateStore[" + (link.available() ? "available" : "unavailable") + ", prefix=" + link.prefix + "]";
    }

    /** Builds a {@link RedisStateStore}. */
    public static final class Builder {

        private final RedisURI uri;
        private Duration timeout = Duration.ofMillis(5);
        private String keyPrefix = "detour:";
        private Duration retryEvery = Duration.ofMillis(500);
        private MeterRegistry registry;
        private Counters localCounters;
        private Scheduler clock = Schedulers.parallel();

        private Builder(String url) {
            RedisURI parsed;
            try {
                parsed = RedisURI.create(Objects.requireNonNull(url, "url"));
            } catch (RuntimeException e) {
                parsed = null;
            }
            if (parsed == null) {
                throw new IllegalArgumentException("not a Redis URL (redis://[:password@]host:port[/db]); not shown, it may hold a password");
            }
            this.uri = parsed;
        }

        /** How long any Redis command may take before the router uses local state instead; 5 ms unless set. */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** What every key and the channel start with, so that several fleets can share a Redis; {@code detour:} unless set. */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
            return this;
        }

        /** How often an unavailable Redis is tried again; 500 ms unless set. */
        public Builder retryEvery(Duration retryEvery) {
            this.retryEvery = Objects.requireNonNull(retryEvery, "retryEvery");
            return this;
        }

        /** Where {@code detour.state.store.available} and {@code detour.state.store.fallbacks} are registered. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** The counters used while Redis is away; simple in-memory ones unless set. */
        public Builder localCounters(Counters counters) {
            this.localCounters = Objects.requireNonNull(counters, "counters");
            return this;
        }

        /** The clock, the same as the router's: {@link Schedulers#parallel()} unless set. */
        public Builder clock(Scheduler clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The store; it connects in the background and serves from local state until Redis answers. */
        public RedisStateStore build() {
            return new RedisStateStore(this);
        }
    }
}
