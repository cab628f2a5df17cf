package dev.detour.bench;

import dev.detour.core.AttemptContext;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.RetryPolicy;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The {@code library} scenario: one policy (a 1 s timeout per attempt; the primary retried twice with
 * exponential backoff from 10 ms, ±50 % jitter; a circuit breaker per provider; fallback to a secondary)
 * written three ways and called in-process, no HTTP: as a Detour {@link Route}, as resilience4j-reactor
 * operators, and as bare Reactor operators with a hand-rolled consecutive-failure breaker. The providers
 * answer at once (no latency), so the latency and the allocations measured are the policy's own; each
 * is reported over the provider called alone, measured the same way in the same interleaved run.
 */
final class LibraryScenario {

    private static final String ANSWER = "The next town is twelve kilometres away.";
    private static final String QUESTION = "How far is it to the next town?";
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration BACKOFF = Duration.ofMillis(10);
    private static final Duration OPEN_FOR = Duration.ofMinutes(30);
    private static final int ROUNDS = 5;
    private static final String[] ADDED = {"p50", "p90", "p99"};

    private final Options options;
    private final PrintStream progress;

    LibraryScenario(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    Report.Scenario run() {
        InProcessLoad load = new InProcessLoad(options.rate(), options.warmup(), options.duration(), ROUNDS, progress);
        List<Report.Series> series = new ArrayList<>();
        Map<String, Double> figures = new LinkedHashMap<>();
        for (boolean failing : new boolean[] {false, true}) {
            String label = failing ? "primary down" : "healthy";
            List<InProcessLoad.Measured> measured = load.run("library: " + label, variants(failing));
            InProcessLoad.Measured alone = measured.get(0);
            for (InProcessLoad.Measured m : measured) {
                series.add(Report.Series.of(label + ": " + m.name(), "latency", options.rate(), m.phase()));
            }
            String key = failing ? "down_" : "healthy_";
            figures.put(key + "alone_bytes_per_call", Report.round(alone.bytesPerCall()));
            for (InProcessLoad.Measured m : measured.subList(1, measured.size())) {
                String prefix = key + m.name() + "_";
                for (String p : ADDED) {
                    double percentile = Report.PERCENTILES.get(p);
                    figures.put(prefix + "added_" + p + "_us", Report.round(m.micros(percentile) - alone.micros(percentile)));
                }
                figures.put(prefix + "added_mean_us", Report.round(m.meanMicros() - alone.meanMicros()));
                figures.put(prefix + "added_bytes_per_call", Report.round(m.bytesPerCall() - alone.bytesPerCall()));
            }
            for (String figure : new String[] {"p50_us", "p90_us", "p99_us", "mean_us", "bytes_per_call"}) {
                double detour = figures.get(key + "detour_added_" + figure);
                double resilience4j = figures.get(key + "resilience4j_added_" + figure);
                figures.put(key + "detour_to_resilience4j_" + figure.replace("_us", ""),
                        detour > 0 && resilience4j > 0 ? Report.round(detour / resilience4j) : Double.NaN);
            }
        }
        return new Report.Scenario("library", "One policy (1 s timeout per attempt, the primary retried twice with "
                + "exponential backoff, a circuit breaker per provider, fallback to a secondary) as a Detour route, as "
                + "resilience4j-reactor operators and as bare Reactor operators, called in-process at a fixed rate, "
                + "healthy and with the primary down (its breaker open). Added = the variant minus the provider called "
                + "alone, at each percentile; bytes per call are summed over all threads.", series, figures, List.of(
                "Providers are in-process Monos that answer at once (no latency); with the primary down it fails with "
                        + "a 503 and every variant's breaker opened during the warm-up (open 30 min), so the measured "
                        + "path is breaker open, then the secondary. The baseline ('alone') calls the serving provider "
                        + "directly.",
                "The tails (p99 and beyond) of calls this short are the machine's noise (GC, the other processes on "
                        + "the cores): a ratio is given only when both added figures are positive; read p50 and p90.",
                "Variants run interleaved: " + ROUNDS + " rounds of one slice each after a warm-up of each. Latency is "
                        + "from the intended send time; bytes are all threads' allocation counters read around each "
                        + "slice once its answers are in, divided by the calls sent.",
                "resilience4j: TimeLimiterOperator inside CircuitBreakerOperator inside RetryOperator (its documented "
                        + "order), retry on the provider's errors only, breakers of 20 calls / 10 minimum / 50 %, "
                        + "CallNotPermittedException without stack traces (writableStackTraceEnabled(false)).",
                "bare Reactor: timeout, retryWhen(Retry.backoff(2, 10ms)), onErrorResume; its breaker is hand-rolled "
                        + "(open after 10 consecutive failures, checked in a Mono.defer), not a rate over a window."),
                "library.svg");
    }

    private List<InProcessLoad.Variant> variants(boolean failing) {
        Provider<String, String> primary = failing
                ? Provider.of("primary", (question, attempt) -> Mono.error(ProviderException.status(503, "overloaded")))
                : Provider.of("primary", LibraryScenario::answer);
        Provider<String, String> secondary = Provider.of("secondary", LibraryScenario::answer);
        Route<String, String> route = Router.builder()
                .breaker(BreakerPolicy.builder().countWindow(20).minimumCalls(10).failureRate(0.5).openFor(OPEN_FOR).build())
                .build()
                .<String, String>route("library")
                .tier(Tier.builder(List.of(primary)).timeout(TIMEOUT).retry(RetryPolicy.backoff(3, BACKOFF)).build())
                .tier(Tier.builder(List.of(secondary)).timeout(TIMEOUT).build())
                .build();
        return List.of(
                new InProcessLoad.Variant("alone", () -> secondary.call(QUESTION, null)),
                new InProcessLoad.Variant("detour", () -> route.call(QUESTION)),
                new InProcessLoad.Variant("resilience4j", resilience4j(primary, secondary)::call),
                new InProcessLoad.Variant("reactor", reactor(primary, secondary)::call));
    }

    private static Mono<String> answer(String question, AttemptContext attempt) {
        return Mono.fromSupplier(() -> ANSWER);
    }

    /** A call with no argument, as each variant makes it. */
    private interface Chain {
        Mono<String> call();
    }

    private static Chain resilience4j(Provider<String, String> primary, Provider<String, String> secondary) {
        TimeLimiter limiter = TimeLimiter.of(TimeLimiterConfig.custom().timeoutDuration(TIMEOUT).build());
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20).minimumNumberOfCalls(10).failureRateThreshold(50)
                .waitDurationInOpenState(OPEN_FOR).writableStackTraceEnabled(false).build();
        CircuitBreaker primaryBreaker = CircuitBreaker.of("primary", breaker);
        CircuitBreaker secondaryBreaker = CircuitBreaker.of("secondary", breaker);
        io.github.resilience4j.retry.Retry retry = io.github.resilience4j.retry.Retry.of("primary", RetryConfig.custom()
                .maxAttempts(3)
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(BACKOFF, 2.0, 0.5))
                .retryOnException(error -> error instanceof ProviderException)
                .build());
        return () -> Mono.defer(() -> primary.call(QUESTION, null))
                .transformDeferred(TimeLimiterOperator.of(limiter))
                .transformDeferred(CircuitBreakerOperator.of(primaryBreaker))
                .transformDeferred(RetryOperator.of(retry))
                .onErrorResume(error -> Mono.defer(() -> secondary.call(QUESTION, null))
                        .transformDeferred(TimeLimiterOperator.of(limiter))
                        .transformDeferred(CircuitBreakerOperator.of(secondaryBreaker)));
    }

    private static Chain reactor(Provider<String, String> primary, Provider<String, String> secondary) {
        ConsecutiveBreaker primaryBreaker = new ConsecutiveBreaker();
        ConsecutiveBreaker secondaryBreaker = new ConsecutiveBreaker();
        Retry backoff = Retry.backoff(2, BACKOFF).jitter(0.5).filter(error -> error instanceof ProviderException);
        return () -> primaryBreaker.guard(() -> primary.call(QUESTION, null).timeout(TIMEOUT))
                .retryWhen(backoff)
                .onErrorResume(error -> secondaryBreaker.guard(() -> secondary.call(QUESTION, null).timeout(TIMEOUT)));
    }

    /** What a hand-written Reactor chain would do for a breaker: open after 10 failures in a row, for 30 minutes. */
    private static final class ConsecutiveBreaker {

        private static final TimeoutException OPEN = new TimeoutException("breaker open") {
            @Override
            public synchronized Throwable fillInStackTrace() {
                return this;
            }
        };
        private final AtomicInteger failures = new AtomicInteger();
        private volatile long openedAt;
        private volatile boolean open;

        Mono<String> guard(Supplier<Mono<String>> call) {
            return Mono.defer(() -> {
                if (open && System.nanoTime() - openedAt < OPEN_FOR.toNanos()) {
                    return Mono.error(OPEN);
                }
                return call.get()
                        .doOnSuccess(answer -> failures.set(0))
                        .doOnError(error -> {
                            if (failures.incrementAndGet() >= 10) {
                                openedAt = System.nanoTime();
                                open = true;
                            }
                        });
            });
        }
    }
}
