package dev.detour.core;

import dev.detour.core.internal.Judgement;
import dev.detour.core.internal.ProviderCall;
import dev.detour.core.internal.RequestTrace;
import dev.detour.core.internal.Verdict;
import io.micrometer.observation.Observation;
import java.time.Duration;

/**
 * One call of an {@link Execution} to one provider, and its bookkeeping: the provider's state hears how
 * it ended (through {@link ProviderState#record}), the trail gets its cost and, when it is cancelled,
 * its entry.
 */
final class Call<I, O> extends ProviderCall<O> {

    private final Execution<I, O> execution;
    private final ProviderState state;
    private final Provider<I, O> provider;
    private final int tier;
    private final int number;
    private final long begin;
    private final boolean byDeadline;
    private final boolean primary;
    private final Observation observation;

    /**
     * Call {@code number} of {@code provider} in tier {@code tier}, started at {@code begin};
     * {@code byDeadline} when its timeout is what the deadline left, {@code primary} for the first racer of
     * a hedged attempt (whose time still teaches the latency window when a hedge beats it); {@code observation}
     * is its attempt observation, or null when the request is not observed.
     */
    Call(Execution<I, O> execution, ProviderState state, Provider<I, O> provider, int tier, int number, long begin,
         boolean byDeadline, boolean primary, Observation observation) {
        this.execution = execution;
        this.state = state;
        this.provider = provider;
        this.tier = tier;
        this.number = number;
        this.begin = begin;
        this.byDeadline = byDeadline;
        this.primary = primary;
        this.observation = observation;
    }

    @Override
    protected Judgement<O> judge(O value) {
        return execution.judge(value);
    }

    @Override
    protected Failure classify(Throwable error) {
        return execution.classify(error);
    }

    @Override
    protected Failure timedOut(Duration after, Throwable timeout) {
        return Failure.timeout(after).withCause(timeout);
    }

    @Override
    protected Verdict<O> settled(Judgement<O> judgement) {
        long end = execution.now();
        Failure failure = judgement.failure();
        boolean cut = judgement.timedOut() && byDeadline;
        if (cut) {
            state.record(Attempt.Result.CANCELLED, null, ProviderState.UNTIMED, null, end);
        } else if (failure == null) {
            state.record(Attempt.Result.SUCCESS, null, end - begin, null, end);
        } else {
            state.record(Attempt.Result.FAILURE, failure.kind(), end - begin, failure.retryAfter(), end);
        }
        if (judgement.value() != null) {
            double cost = provider.cost(judgement.value()) - provider.cost(null);
            if (cost != 0) {
                execution.spent(tier, cost);
            }
        }
        if (observation != null) {
            execution.trace().settled(observation, judgement.value(), failure, end - begin);
        }
        return Verdict.of(provider.name(), tier, number, begin, end, cut, judgement);
    }

    @Override
    protected void cancelled() {
        long now = execution.now();
        state.record(Attempt.Result.CANCELLED, null, primary ? now - begin : ProviderState.UNTIMED, null, now);
        if (observation != null) {
            RequestTrace.cancelled(observation);
        }
        execution.record(Verdict.unjudged(provider.name(), tier, number, begin, now, null), Attempt.Result.CANCELLED, null);
    }

    @Override
    protected void discard(O value) {
        execution.discard(value);
    }
}
