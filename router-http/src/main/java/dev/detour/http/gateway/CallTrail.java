package dev.detour.http.gateway;

import dev.detour.core.Attempt;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.Provider;
import dev.detour.llm.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * The provider calls one request made, as the HTTP layer sees them: put one into the request's Reactor
 * context under {@link #KEY} and the gateway's providers note each call and how it ended. It tells the
 * client who was tried when a route ends in an error that carries no trail of its own (a provider's
 * error passed through to the caller); a {@link dev.detour.core.RouteFailedException} names its attempts
 * itself. It also sums what the calls cost and the tokens they used, a stream's when it ends. Safe for hedged
 * calls on several threads.
 */
public final class CallTrail {

    /** The context key a request's trail is kept under. */
    public static final String KEY = "detour.call-trail";

    private final List<Call> calls = new ArrayList<>(4);
    private final List<Streamed> streams = new ArrayList<>(1);
    private double spent;
    private Usage used;

    /**
     * One provider's stream, as it ended: the provider, its tier, the tokens it used (reported or estimated), and
     * what they cost at its prices.
     */
    public record Streamed(String provider, int tier, Usage usage, double cost) {
    }

    private static final class Call {
        final String provider;
        final int tier;
        final int number;
        Attempt.Result result;
        Failure failure;

        Call(String provider, int tier, int number) {
            this.provider = provider;
            this.tier = tier;
            this.number = number;
        }
    }

    /** Every call noted so far, in the order they started, as attempts (a call still running counts as cancelled). */
    public List<Attempt> attempts() {
        List<Attempt> attempts = new ArrayList<>(4);
        synchronized (calls) {
            for (Call call : calls) {
                Attempt.Result result = call.result == null ? Attempt.Result.CANCELLED : call.result;
                attempts.add(new Attempt(call.provider, call.tier, call.number, Duration.ZERO, Duration.ZERO, result,
                        call.failure, null));
            }
        }
        return List.copyOf(attempts);
    }

    /**
     * What the calls noted so far cost at their providers' prices: an answered call its answer's cost (tokens
     * and call), any other its cost per call; a stream its cost per call, and its tokens once it {@link #streamed}.
     */
    public double spent() {
        synchronized (calls) {
            return spent;
        }
    }

    /** The tokens the answers and the ended streams noted so far used; null when none is known. */
    public Usage used() {
        synchronized (calls) {
            return used;
        }
    }

    /** The streams that ended so far, in the order they ended. */
    public List<Streamed> streams() {
        synchronized (calls) {
            return List.copyOf(streams);
        }
    }

    /** Notes a stream that ended: its tokens and their cost (its call's cost is noted when it started). */
    public void streamed(Streamed stream) {
        synchronized (calls) {
            streams.add(stream);
            spent += stream.cost();
            used = stream.usage().plus(used);
        }
    }

    private Call started(String provider, AttemptContext context) {
        Call call = new Call(provider, context.tier(), context.attempt());
        synchronized (calls) {
            calls.add(call);
        }
        return call;
    }

    private void ended(Call call, Throwable error, double cost, Usage usage) {
        synchronized (calls) {
            call.result = error == null ? Attempt.Result.SUCCESS : Attempt.Result.FAILURE;
            call.failure = error == null ? null : Failure.of(error);
            spent += cost;
            if (usage != null) {
                used = usage.plus(used);
            }
        }
    }

    private void cancelled(double cost) {
        synchronized (calls) {
            spent += cost;
        }
    }

    /** {@code provider}, noting each of its calls in the trail of the request's context, if it has one. */
    static <I, O> Provider<I, O> recording(Provider<I, O> provider) {
        return recording(provider, answer -> null);
    }

    /** {@link #recording(Provider)}, noting the tokens each answer {@code usage} says it used (null: unknown). */
    static <I, O> Provider<I, O> recording(Provider<I, O> provider, Function<? super O, Usage> usage) {
        return new Provider<>() {
            @Override
            public String name() {
                return provider.name();
            }

            @Override
            public Mono<O> call(I request, AttemptContext context) {
                return Mono.deferContextual(view -> {
                    CallTrail trail = view.getOrDefault(KEY, null);
                    if (trail == null) {
                        return provider.call(request, context);
                    }
                    Call call = trail.started(provider.name(), context);
                    return provider.call(request, context)
                            .doOnSuccess(answer -> trail.ended(call, null, provider.cost(answer),
                                    answer == null ? null : usage.apply(answer)))
                            .doOnError(error -> trail.ended(call, error, provider.cost(null), null))
                            .doOnCancel(() -> trail.cancelled(provider.cost(null)));
                });
            }

            @Override
            public double cost(O answer) {
                return provider.cost(answer);
            }

            @Override
            public String toString() {
                return provider.toString();
            }
        };
    }
}
