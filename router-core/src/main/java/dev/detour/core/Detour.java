package dev.detour.core;

import dev.detour.core.policy.Budget;
import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import reactor.core.publisher.Mono;

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
 * Both keep the route's semantics: the deadline bounds every attempt and every wait, Retry-After is
 * honoured when it fits, and a final failure is a {@link RouteFailedException} naming every attempt.
 */
public final class Detour {

    private static final Router ALONE = Router.builder().retryBudget(Budget.unlimited()).build();
    private static final Provider<Mono<Object>, Object> SOURCE = Provider.of("source", (source, context) -> source);

    private Detour() {
    }

    /**
     * Retries the source by {@code policy}; each attempt takes at most {@code attemptTimeout} (null for
     * no limit of its own) and all of them, with the waits between, at most {@code deadline}.
     */
    public static <T> Function<Mono<T>, Mono<T>> retry(RetryPolicy policy, Duration attemptTimeout, Duration deadline) {
        Tier<Mono<Object>, Object> tier = Tier.of(SOURCE).retry(policy);
        if (attemptTimeout != null) {
            tier = tier.timeout(attemptTimeout);
        }
        Route<Mono<Object>, Object> route = ALONE.<Mono<Object>, Object>route("retry")
                .deadline(Objects.requireNonNull(deadline, "deadline"))
                .tier(tier)
                .fallbackOn(policy.retryOn().iterator().next(), policy.retryOn().toArray(new FailureKind[0]))
                .build();
        return source -> apply(route, source);
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
        if (on.isEmpty()) {
            throw new InvalidRouteException("fallback: name at least one failure kind to fall back on");
        }
        Route.Builder<Mono<Object>, Object> route = ALONE.<Mono<Object>, Object>route("fallback")
                .noDeadline()
                .fallbackOn(on.iterator().next(), on.toArray(new FailureKind[0]))
                .tier(Provider.of("primary", (source, context) -> source));
        for (int i = 0; i < alternatives.size(); i++) {
            Mono<?> alternative = Objects.requireNonNull(alternatives.get(i), "alternative");
            route.tier(Provider.of("fallback-" + (i + 1), (source, context) -> alternative.map(Object.class::cast)));
        }
        Route<Mono<Object>, Object> built = route.build();
        return source -> apply(built, source);
    }

    @SuppressWarnings("unchecked")
    private static <T> Mono<T> apply(Route<Mono<Object>, Object> route, Mono<T> source) {
        return (Mono<T>) route.call((Mono<Object>) (Mono<?>) source);
    }
}
