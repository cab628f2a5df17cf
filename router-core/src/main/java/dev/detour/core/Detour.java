package dev.detour.core;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The engine's pieces as plain Reactor operators, for code that wants one of them without a route:
 *
 * <pre>{@code
 * webClient.get().uri("/weather").retrieve().bodyToMono(Weather.class)
 *         .transformDeferred(Detour.retry(RetryPolicy.backoff(3, Duration.ofMillis(100)),
 *                 Duration.ofSeconds(1), Duration.ofSeconds(3)))
 *         .transformDeferred(Detour.fallback(cachedWeather));
 * }</pre>
 *
 * They keep the route's semantics: the deadline bounds every attempt and every wait, Retry-After is
 * honoured when it fits, hedges race with the first valid answer winning, and a final failure is a
 * {@link RouteFailedException} naming every attempt. Each operator value keeps its own state (budgets,
 * latency) across the subscriptions it serves; no breaker trips inside them unless you add
 * {@link #circuitBreaker}. Every operator times its timeouts, waits and hedges, and clocks its
 * attempts, on one scheduler: the one given to its overload that takes a {@link Scheduler}, else
 * {@link Schedulers#parallel()} as it is at subscription (so virtual time in tests applies).
 */
public final class Detour {

    private static final Set<FailureKind> TRANSIENT = Collections.unmodifiableSet(EnumSet.of(
            FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED,
            FailureKind.REQUEST_TIMEOUT));

    private Detour() {
    }

    /**
     * Retries the source by {@code policy}; each attempt takes at most {@code attemptTimeout} (null for
     * no limit of its own) and all of them, with the waits between, at most {@code deadline}.
     */
    public static <T> Function<Mono<T>, Mono<T>> retry(RetryPolicy policy, Duration attemptTimeout, Duration deadline) {
        return retry(policy, attemptTimeout, deadline, null);
    }

    /** Like {@link #retry(RetryPolicy, Duration, Duration)}, timed on {@code scheduler}. */
    public static <T> Function<Mono<T>, Mono<T>> retry(RetryPolicy policy, Duration attemptTimeout, Duration deadline,
                                                      Scheduler scheduler) {
        Tier<Mono<Object>, Object> tier = Tier.of(source()).retry(policy);
        if (attemptTimeout != null) {
            tier = tier.timeout(attemptTimeout);
        }
        Route.Builder<Mono<Object>, Object> route = alone(scheduler).<Mono<Object>, Object>route("retry")
                .deadline(Objects.requireNonNull(deadline, "deadline"))
                .tier(tier);
        return apply(fallbackOn(route, policy.retryOn()).build());
    }

    /**
     * Subscribes to each alternative in turn when the source, then the alternative before it, fails
     * with a kind in {@link FailureKind#DEFAULT_FALLBACK} or completes empty.
     */
    @SafeVarargs
    public static <T> Function<Mono<T>, Mono<T>> fallback(Mono<? extends T>... alternatives) {
        return fallback(FailureKind.DEFAULT_FALLBACK, List.of(alternatives));
    }

    /**
     * Subscribes to each alternative in turn when the source, then the alternative before it, fails
     * with a kind in {@code on} or completes empty (when {@code on} holds {@link FailureKind#EMPTY});
     * any other failure goes to the subscriber as it is.
     */
    public static <T> Function<Mono<T>, Mono<T>> fallback(Set<FailureKind> on, List<? extends Mono<? extends T>> alternatives) {
        return fallback(on, alternatives, null);
    }

    /** Like {@link #fallback(Set, List)}, its attempts clocked on {@code scheduler}. */
    public static <T> Function<Mono<T>, Mono<T>> fallback(Set<FailureKind> on, List<? extends Mono<? extends T>> alternatives,
                                                         Scheduler scheduler) {
        Route.Builder<Mono<Object>, Object> route = alone(scheduler).<Mono<Object>, Object>route("fallback")
                .noDeadline()
                .tier(source());
        List<Provider<Mono<Object>, Object>> providers = alternatives("fallback-", alternatives);
        providers.forEach(route::tier);
        return apply(fallbackOn(route, on).build());
    }

    /**
     * Hedges the source: while it has not answered after the policy's delay, subscribes to the next
     * alternative too (to the source again when there is none), up to the policy's hedges; the first
     * answer wins and the others are cancelled. A transient failure (a timeout, or
     * {@link FailureKind#DEFAULT_RETRY}) moves on to the next alternative; an empty source completes empty and any other error goes to the
     * subscriber as it is. Only for idempotent calls.
     */
    @SafeVarargs
    public static <T> Function<Mono<T>, Mono<T>> hedge(HedgePolicy policy, Mono<? extends T>... alternatives) {
        return hedge(policy, null, alternatives);
    }

    /** Like {@link #hedge(HedgePolicy, Mono[])}, timed on {@code scheduler}. */
    @SafeVarargs
    public static <T> Function<Mono<T>, Mono<T>> hedge(HedgePolicy policy, Scheduler scheduler,
                                                      Mono<? extends T>... alternatives) {
        List<Provider<Mono<Object>, Object>> providers = new ArrayList<>();
        providers.add(source());
        providers.addAll(alternatives("hedge-", List.of(alternatives)));
        Route.Builder<Mono<Object>, Object> route = alone(scheduler).<Mono<Object>, Object>route("hedge")
                .noDeadline()
                .tier(Tier.of(providers).hedge(Objects.requireNonNull(policy, "policy")));
        return apply(fallbackOn(route, TRANSIENT).build());
    }

    /**
     * Guards the source with {@code breaker}: while it is open, fails at once with a
     * {@link ProviderException} of kind {@link FailureKind#UNAVAILABLE} without subscribing; otherwise
     * records the outcome once, counting a cancellation as neither success nor failure. Put any timeout
     * inside (see {@link #circuitBreaker(CircuitBreaker, Duration)}): a timeout outside arrives as a
     * cancellation and would not count.
     */
    public static <T> Function<Mono<T>, Mono<T>> circuitBreaker(CircuitBreaker breaker) {
        return circuitBreaker(breaker, null);
    }

    /** Like {@link #circuitBreaker(CircuitBreaker)}, with a {@code timeout} inside that counts as a failure. */
    public static <T> Function<Mono<T>, Mono<T>> circuitBreaker(CircuitBreaker breaker, Duration timeout) {
        return circuitBreaker(breaker, timeout, null);
    }

    /** Like {@link #circuitBreaker(CircuitBreaker, Duration)}, timed and clocked on {@code scheduler}. */
    public static <T> Function<Mono<T>, Mono<T>> circuitBreaker(CircuitBreaker breaker, Duration timeout,
                                                               Scheduler scheduler) {
        Objects.requireNonNull(breaker, "breaker");
        return source -> Mono.defer(() -> {
            Scheduler clock = scheduler != null ? scheduler : Schedulers.parallel();
            long begin = clock.now(TimeUnit.NANOSECONDS);
            if (!breaker.tryAcquire(begin)) {
                return Mono.error(ProviderException.unavailable("breaker of '" + breaker.provider() + "' open"));
            }
            AtomicBoolean settled = new AtomicBoolean();
            return (timeout == null ? source : source.timeout(timeout, clock))
                    .doOnSuccess(answer -> {
                        if (settled.compareAndSet(false, true)) {
                            long end = clock.now(TimeUnit.NANOSECONDS);
                            breaker.onResult(null, end - begin, null, end);
                        }
                    })
                    .doOnError(error -> {
                        if (settled.compareAndSet(false, true)) {
                            long end = clock.now(TimeUnit.NANOSECONDS);
                            Failure failure = Failure.of(error);
                            breaker.onResult(failure.kind(), end - begin, failure.retryAfter(), end);
                        }
                    })
                    .doOnCancel(() -> {
                        if (settled.compareAndSet(false, true)) {
                            breaker.onCancel(clock.now(TimeUnit.NANOSECONDS));
                        }
                    });
        });
    }

    /** A router of its own for one operator, on {@code scheduler} (when null, on the parallel scheduler as it is at subscription). */
    private static Router alone(Scheduler scheduler) {
        Router.Builder router = Router.builder()
                .retryBudget(Budget.unlimited())
                .hedgeBudget(Budget.unlimited())
                .breaker(BreakerPolicy.disabled());
        return (scheduler == null ? router : router.scheduler(scheduler)).build();
    }

    private static Provider<Mono<Object>, Object> source() {
        return Provider.of("source", (source, context) -> source);
    }

    private static List<Provider<Mono<Object>, Object>> alternatives(String prefix, List<? extends Mono<?>> alternatives) {
        List<Provider<Mono<Object>, Object>> providers = new ArrayList<>(alternatives.size());
        for (int i = 0; i < alternatives.size(); i++) {
            Mono<?> alternative = Objects.requireNonNull(alternatives.get(i), "alternative");
            providers.add(Provider.of(prefix + (i + 1), (source, context) -> alternative.map(Object.class::cast)));
        }
        return providers;
    }

    private static Route.Builder<Mono<Object>, Object> fallbackOn(Route.Builder<Mono<Object>, Object> route,
                                                                 Set<FailureKind> kinds) {
        if (kinds.isEmpty()) {
            throw new InvalidRouteException("name at least one failure kind to fall back on");
        }
        return route.fallbackOn(kinds.iterator().next(), kinds.toArray(new FailureKind[0]));
    }

    @SuppressWarnings("unchecked")
    private static <T> Function<Mono<T>, Mono<T>> apply(Route<Mono<Object>, Object> route) {
        return source -> (Mono<T>) route.call((Mono<Object>) (Mono<?>) source);
    }
}
