package dev.detour.core;

import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.ToDoubleFunction;
import reactor.core.publisher.Mono;

/**
 * A named backend a route can call: an LLM API, a JSON API, a cache, a rule engine.
 *
 * <p>{@link #call} must not block; it returns a lazy {@link Mono} that the route subscribes to once per
 * attempt and may cancel (timeout, deadline, caller gone). It signals a classified failure with a
 * {@link ProviderException}; any other error is classified by {@link Failure#of}.
 *
 * @param <I> the request type
 * @param <O> the answer type
 */
public interface Provider<I, O> {

    /** A stable name, used in trails, events and metrics. */
    String name();

    /** Calls the backend once for {@code request}. */
    Mono<O> call(I request, AttemptContext context);

    /**
     * What one call costs, in the unit the route's cost ceiling uses: {@code answer} is null for what
     * any call costs, before or without an answer. Free unless the provider says otherwise.
     */
    default double cost(O answer) {
        return 0;
    }

    /** This provider, costing {@code perCall} for each call plus {@code perAnswer} of each answer (e.g. per token). */
    default Provider<I, O> withCost(double perCall, ToDoubleFunction<? super O> perAnswer) {
        if (!(perCall >= 0) || Double.isInfinite(perCall)) {
            throw new IllegalArgumentException("cost per call of '" + name() + "' must be a finite number >= 0, was " + perCall);
        }
        Objects.requireNonNull(perAnswer, "perAnswer");
        Provider<I, O> provider = this;
        return new Provider<>() {
            @Override
            public String name() {
                return provider.name();
            }

            @Override
            public Mono<O> call(I request, AttemptContext context) {
                return provider.call(request, context);
            }

            @Override
            public double cost(O answer) {
                return answer == null ? perCall : perCall + perAnswer.applyAsDouble(answer);
            }

            @Override
            public String toString() {
                return provider.toString();
            }
        };
    }

    /** A provider named {@code name} that calls {@code call}. */
    static <I, O> Provider<I, O> of(String name, BiFunction<? super I, AttemptContext, ? extends Mono<O>> call) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(call, "call");
        return new Provider<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Mono<O> call(I request, AttemptContext context) {
                return call.apply(request, context);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
