package dev.detour.core.telemetry;

import dev.detour.core.Attempt;
import dev.detour.core.Degraded;
import dev.detour.core.RouteEvent;
import dev.detour.core.RouteListener;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.FailureKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Records route events in Micrometer; add it to a router with
 * {@code Router.builder().listener(new RouteMetrics(registry))}.
 *
 * <ul>
 *   <li>{@code detour.calls} (counter; route, provider, result): every attempt, by result:
 *       {@code success}, {@code cancelled}, or the failure kind ({@code timeout}, {@code server_error} …)</li>
 *   <li>{@code detour.attempt.latency} (timer with a percentile histogram; route, provider, result)</li>
 *   <li>{@code detour.retries} (counter; route, provider, reason)</li>
 *   <li>{@code detour.fallbacks} (counter; route, reason, from, to)</li>
 *   <li>{@code detour.hedges} (counter; route, provider, hedge): hedges sent</li>
 *   <li>{@code detour.requests} (counter; route, ending): {@code served}, {@code degraded}, {@code failed},
 *       {@code deadline_exceeded} (the deadline expiries), {@code ceiling_reached}, {@code passed_through},
 *       {@code cancelled}</li>
 *   <li>{@code detour.degraded} (counter; route, kind): degraded answers by kind</li>
 *   <li>{@code detour.midstream.failures} (counter; route, provider, reason, outcome): streams that failed
 *       after their first chunk, {@code continued} on another provider or {@code failed}</li>
 *   <li>{@code detour.breaker.transitions} (counter; provider, to) and {@code detour.breaker.state}
 *       (gauge; provider): 0 closed, 1 open, 2 half-open, 3 forced open</li>
 * </ul>
 */
public final class RouteMetrics implements RouteListener {

    private static final String[] KIND_TAGS = tags(FailureKind.values());
    private static final String[] ENDING_TAGS = tags(RouteEvent.Ending.values());
    private static final String[] DEGRADED_TAGS = tags(Degraded.Kind.values());
    private static final String[] STATE_TAGS = tags(BreakerState.values());

    private final Meter.MeterProvider<Counter> calls;
    private final Meter.MeterProvider<Timer> latency;
    private final Meter.MeterProvider<Counter> retries;
    private final Meter.MeterProvider<Counter> fallbacks;
    private final Meter.MeterProvider<Counter> requests;
    private final Meter.MeterProvider<Counter> hedges;
    private final Meter.MeterProvider<Counter> degraded;
    private final Meter.MeterProvider<Counter> transitions;
    private final Meter.MeterProvider<Counter> midStream;
    private final Meter.MeterProvider<Counter> continuations;
    private final Meter.MeterProvider<Counter> restated;
    private final Meter.MeterProvider<Counter> skipped;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, AtomicInteger> breakerStates = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<AttemptKey, AttemptMeters> attempts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> endings = new ConcurrentHashMap<>();

    /** Metrics recorded in {@code registry}. */
    public RouteMetrics(MeterRegistry registry) {
        calls = Counter.builder("detour.calls").description("Provider attempts by result").withRegistry(registry);
        latency = Timer.builder("detour.attempt.latency").description("Provider attempt latency")
                .publishPercentileHistogram().withRegistry(registry);
        retries = Counter.builder("detour.retries").description("Retries on the same provider").withRegistry(registry);
        fallbacks = Counter.builder("detour.fallbacks").description("Moves to another provider or tier")
                .withRegistry(registry);
        requests = Counter.builder("detour.requests").description("Requests by how they ended").withRegistry(registry);
        hedges = Counter.builder("detour.hedges").description("Hedged requests sent").withRegistry(registry);
        degraded = Counter.builder("detour.degraded").description("Degraded answers served").withRegistry(registry);
        transitions = Counter.builder("detour.breaker.transitions").description("Circuit breaker transitions")
                .withRegistry(registry);
        midStream = Counter.builder("detour.midstream.failures").description("Streams that failed after their first chunk")
                .withRegistry(registry);
        continuations = Counter.builder("detour.stream.continuations")
                .description("Streams continued on another provider after a mid-stream failure").withRegistry(registry);
        restated = Counter.builder("detour.stream.restated").baseUnit("characters")
                .description("Text a continuation restated, removed before the caller saw it").withRegistry(registry);
        skipped = Counter.builder("detour.stream.skipped").description("Malformed stream events skipped")
                .withRegistry(registry);
        this.registry = registry;
    }

    @Override
    public void onEvent(RouteEvent event) {
        if (event instanceof RouteEvent.AttemptEnded ended) {
            Attempt attempt = ended.attempt();
            AttemptMeters meters = attemptMeters(new AttemptKey(ended.route(), attempt.provider(), result(attempt)));
            meters.calls.increment();
            meters.latency.record(attempt.duration());
        } else if (event instanceof RouteEvent.Retrying retrying) {
            retries.withTags("route", retrying.route(), "provider", retrying.failed().provider(),
                    "reason", KIND_TAGS[retrying.failed().failure().kind().ordinal()]).increment();
        } else if (event instanceof RouteEvent.FellBack fellBack) {
            fallbacks.withTags("route", fellBack.route(), "reason", KIND_TAGS[fellBack.trigger().kind().ordinal()],
                    "from", fellBack.from().provider(), "to", fellBack.toProvider()).increment();
        } else if (event instanceof RouteEvent.Hedged hedged) {
            hedges.withTags("route", hedged.route(), "provider", hedged.provider(), "hedge", hedged.hedge()).increment();
        } else if (event instanceof RouteEvent.Ended ended) {
            requestCounter(ended.route(), ended.ending()).increment();
            if (ended.degraded() != null) {
                degraded.withTags("route", ended.route(), "kind", DEGRADED_TAGS[ended.degraded().kind().ordinal()])
                        .increment();
            }
        } else if (event instanceof RouteEvent.MidStreamFailed failed) {
            midStream.withTags("route", failed.route(), "provider", failed.provider(),
                    "reason", KIND_TAGS[failed.failure().kind().ordinal()], "outcome", failed.continued() ? "continued" : "failed")
                    .increment();
        } else if (event instanceof RouteEvent.StreamContinued continued) {
            continuations.withTags("route", continued.route(), "from", continued.from(), "to", continued.to(),
                    "reason", KIND_TAGS[continued.reason().kind().ordinal()]).increment();
            restated.withTags("route", continued.route(), "provider", continued.to()).increment(continued.restated());
        } else if (event instanceof RouteEvent.StreamElementSkipped skip) {
            skipped.withTags("route", skip.route(), "provider", skip.provider()).increment();
        } else if (event instanceof RouteEvent.BreakerChanged changed) {
            transitions.withTags("provider", changed.provider(), "to", STATE_TAGS[changed.to().ordinal()]).increment();
            breakerState(changed.provider()).set(changed.to().ordinal());
        }
    }

    /** A route's attempts on a provider with a result: the tags of {@code detour.calls} and {@code detour.attempt.latency}. */
    private record AttemptKey(String route, String provider, String result) {
    }

    private record AttemptMeters(Counter calls, Timer latency) {
    }

    /** The meters of {@code key}, looked up in the registry once (tags are built and sorted per lookup). */
    private AttemptMeters attemptMeters(AttemptKey key) {
        AttemptMeters meters = attempts.get(key);
        if (meters != null) {
            return meters;
        }
        return attempts.computeIfAbsent(key, k -> new AttemptMeters(
                calls.withTags("route", k.route(), "provider", k.provider(), "result", k.result()),
                latency.withTags("route", k.route(), "provider", k.provider(), "result", k.result())));
    }

    private Counter requestCounter(String route, RouteEvent.Ending ending) {
        AtomicReferenceArray<Counter> counters = endings.get(route);
        if (counters == null) {
            counters = endings.computeIfAbsent(route, r -> new AtomicReferenceArray<>(ENDING_TAGS.length));
        }
        Counter counter = counters.get(ending.ordinal());
        if (counter == null) {
            counter = requests.withTags("route", route, "ending", ENDING_TAGS[ending.ordinal()]);
            counters.set(ending.ordinal(), counter);
        }
        return counter;
    }

    private AtomicInteger breakerState(String provider) {
        AtomicInteger state = breakerStates.get(provider);
        if (state != null) {
            return state;
        }
        return breakerStates.computeIfAbsent(provider, name -> {
            AtomicInteger created = new AtomicInteger();
            Gauge.builder("detour.breaker.state", created, AtomicInteger::get)
                    .description("Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 forced open")
                    .tag("provider", name)
                    .register(registry);
            return created;
        });
    }

    private static String result(Attempt attempt) {
        switch (attempt.result()) {
            case SUCCESS:
                return "success";
            case CANCELLED:
                return "cancelled";
            default:
                return KIND_TAGS[attempt.failure().kind().ordinal()];
        }
    }

    private static String[] tags(Enum<?>[] values) {
        String[] tags = new String[values.length];
        for (Enum<?> value : values) {
            tags[value.ordinal()] = value.name().toLowerCase(Locale.ROOT);
        }
        return tags;
    }
}
