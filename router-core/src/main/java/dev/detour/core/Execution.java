package dev.detour.core;

import dev.detour.core.internal.Cursor;
import dev.detour.core.internal.Decision;
import dev.detour.core.internal.Decisions;
import dev.detour.core.internal.Judgement;
import dev.detour.core.internal.Race;
import dev.detour.core.internal.RequestTrace;
import dev.detour.core.internal.SpendCounter;
import dev.detour.core.internal.Trail;
import dev.detour.core.internal.Verdict;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.telemetry.RouteObservations;
import io.micrometer.observation.Observation;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * One request's run through a route, as one loop: each step calls a provider (or races it with its
 * hedges), and each failure is decided by {@link Decisions} into a retry, another provider or tier, or
 * the end of the live tiers, under the request's deadline and ceilings, with every attempt on its
 * {@link Trail}.
 */
final class Execution<I, O> implements DegradedStep.Fallen<O> {

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Route<I, O> route;
    private final Router router;
    private final I request;
    private final ContextView context;
    private final Set<String> skip;
    private final Scheduler scheduler;
    private final long start;
    private final long deadlineAt;
    private final Trail<O> trail;
    private final RequestTrace trace;
    private final boolean ownsTrace;
    private final boolean continuation;

    private Execution(Route<I, O> route, I request, ContextView context, Set<String> skip, Duration deadline) {
        this.route = route;
        this.router = route.router();
        this.request = request;
        this.context = context;
        this.skip = skip;
        this.scheduler = router.scheduler();
        this.start = now();
        this.deadlineAt = deadline == null ? NO_DEADLINE : start + Math.max(0, deadline.toNanos());
        this.trail = new Trail<>(route.maxAttempts(), route.maxCost());
        RequestTrace stream = context.getOrDefault(RequestTrace.KEY, null);
        this.ownsTrace = stream == null;
        this.trace = stream != null ? stream : router.trace(route.name(), false, context);
        this.continuation = stream != null && !skip.isEmpty();
    }

    static <I, O> Mono<Outcome<O>> run(Route<I, O> route, I request, Set<String> skip, Duration deadline) {
        return Mono.deferContextual(context -> {
            Execution<I, O> execution = new Execution<>(route, request, context, skip, deadline);
            return execution.step(Cursor.first(0, execution.order(0))).doFinally(signal -> {
                if (signal == SignalType.CANCEL) {
                    execution.end(RouteEvent.Ending.CANCELLED, null, null);
                }
                if (execution.ownsTrace && execution.trace != null) {
                    execution.trace.stop();
                }
            });
        });
    }

    /** Tier {@code t}: one of the route's tiers, or, numbered after them, its context-window tier. */
    private Tier<I, O> tier(int t) {
        return t < route.tiers().size() ? route.tiers().get(t) : route.onContextWindow();
    }

    private Provider<I, O> provider(Cursor at) {
        return tier(at.tier()).providers().get(at.provider());
    }

    private int[] order(int t) {
        Tier<I, O> tier = tier(t);
        return router.order(tier.providers(), tier.balancer(), scheduler);
    }

    private Mono<Outcome<O>> step(Cursor at) {
        Tier<I, O> tier = tier(at.tier());
        Provider<I, O> provider = provider(at);
        if (skip.contains(provider.name())) {
            Decision decision = Decisions.afterSkip(at, route.tiers().size());
            return decision.next() == Decision.Next.EXHAUSTED ? exhausted(decision.ending(), null, null)
                    : step(moved(at, decision));
        }
        if (now() >= deadlineAt) {
            return exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, null, null);
        }
        String ceiling = trail.ceiling(provider.cost(null));
        if (ceiling != null) {
            return exhausted(RouteEvent.Ending.CEILING_REACHED, ceiling, null);
        }
        HedgePolicy hedge = tier.hedge();
        Mono<Verdict<O>> attempt = hedge == null ? call(at.tier(), provider, false, false)
                : new Race<>(new Racing(at, hedge), at.remaining(), hedge.maxHedges(), scheduler).mono();
        return attempt.flatMap(verdict -> verdict.answered() ? Mono.just(served(verdict)) : failed(at, verdict));
    }

    /**
     * One call to {@code provider}; {@code primary} marks the first racer of a hedged attempt, {@code hedge} the
     * others. A tier after the first is refused once the route's fallback spend cap is reached.
     */
    private Mono<Verdict<O>> call(int t, Provider<I, O> provider, boolean primary, boolean hedge) {
        SpendCounter cap = t > 0 ? route.fallbackSpend() : null;
        if (cap == null) {
            return Mono.defer(() -> call(t, provider, primary, hedge, null));
        }
        Mono<Boolean> reached = Mono.defer(cap::reached);
        if (deadlineAt != NO_DEADLINE) {
            reached = reached.timeout(Duration.ofNanos(Math.max(1, nanosLeft())), Mono.just(false), scheduler);
        }
        return reached.publishOn(scheduler).flatMap(capped -> now() >= deadlineAt
                ? Mono.just(Verdict.unjudged(provider.name(), t, trail.number(provider.name()), now(), now(),
                        Failure.timeout(Duration.ofNanos(deadlineAt - start))))
                : call(t, provider, primary, hedge, capped ? "fallback spend cap of " + cap.budget() + " a day reached" : null));
    }

    /** {@link #call(int, Provider, boolean, boolean)}, refused for {@code capped} unless it is null. */
    private Mono<Verdict<O>> call(int t, Provider<I, O> provider, boolean primary, boolean hedge, String capped) {
        ProviderState state = router.state(provider.name());
        long begin = now();
        int number = trail.number(provider.name());
        String refused = capped != null ? capped : state.disabled() ? "disabled by operator"
                : !state.breaker.tryAcquire(begin) ? "breaker open" : null;
        if (refused != null) {
            Failure unavailable = Failure.unavailable(refused);
            if (trace != null) {
                trace.refused(provider.name(), t, number, role(number, hedge), trace.fallbackReason(), unavailable);
            }
            return Mono.just(Verdict.unjudged(provider.name(), t, number, begin, begin, unavailable));
        }
        double callCost = provider.cost(null);
        long left = deadlineAt - begin;
        Duration timeout = tier(t).timeout();
        boolean byDeadline = deadlineAt != NO_DEADLINE && (timeout == null || timeout.toNanos() > left);
        if (byDeadline) {
            timeout = Duration.ofNanos(Math.max(1, left));
        }
        trail.charge(1, callCost);
        route.charge(t, callCost);
        if (number == 1) {
            state.retries.recordCall(begin);
            state.hedges.recordCall(begin);
        }
        AttemptContext attemptContext = new AttemptContext(route.name(), t, number, timeout);
        Mono<O> answer = Mono.defer(() -> provider.call(request, attemptContext));
        Observation observation = null;
        if (trace != null) {
            Observation attempt = trace.attempt(provider.name(), t, number, role(number, hedge), trace.fallbackReason());
            answer = answer.contextWrite(context -> RequestTrace.callContext(context, attempt));
            observation = attempt;
        }
        return new Call<>(this, state, provider, t, number, begin, byDeadline, primary, observation)
                .mono(answer, timeout, scheduler);
    }

    /** Why call {@code number} of a provider is made, for its observation. */
    private String role(int number, boolean hedge) {
        if (continuation) {
            return "continuation";
        }
        if (hedge) {
            return "hedge";
        }
        if (number > 1) {
            return "retry";
        }
        return RouteObservations.NONE.equals(trace.fallbackReason()) ? "first" : "fallback";
    }

    /** The request's trace, or null when it is not observed. */
    RequestTrace trace() {
        return trace;
    }

    Judgement<O> judge(O value) {
        return route.checks().judge(request, value);
    }

    Failure classify(Throwable error) {
        return router.classify(error);
    }

    /** Counts {@code cost}, spent by a call of tier {@code tier} beyond what it cost to start, on the trail and the route. */
    void spent(int tier, double cost) {
        trail.charge(0, cost);
        route.charge(tier, cost);
    }

    private Outcome<O> served(Verdict<O> verdict) {
        record(verdict, Attempt.Result.SUCCESS, null);
        DegradedStep.LastKnownGood<I, O> cache = route.lastKnownGood();
        if (cache != null) {
            cache.remember(request, verdict.value(), verdict.end());
        }
        return outcome(verdict.value(), verdict.provider(), verdict.tier(), null, RouteEvent.Ending.SERVED);
    }

    private Mono<Outcome<O>> failed(Cursor at, Verdict<O> verdict) {
        long now = now();
        long left = deadlineAt - now;
        keepBest(verdict);
        Tier<I, O> tier = tier(at.tier());
        Decisions.Rules rules = new Decisions.Rules(tier.retry(),
                tier.fallbackOn() != null ? tier.fallbackOn() : route.fallbackOn(),
                route.tiers().size(), route.onContextWindow() != null);
        double random = ThreadLocalRandom.current().nextDouble();
        Decision decision = Decisions.afterFailure(at, verdict, left, random, rules, null);
        if (decision.next() == Decision.Next.RETRY) {
            Decisions.Veto veto = retryVeto(provider(at), now);
            if (veto == null) {
                Attempt attempt = record(verdict, Attempt.Result.FAILURE, null);
                if (router.listening()) {
                    router.emit(new RouteEvent.Retrying(route.name(), attempt, decision.delay()));
                }
                return Mono.delay(decision.delay(), scheduler).then(Mono.defer(() -> step(at.retried())));
            }
            decision = Decisions.afterFailure(at, verdict, left, random, rules, veto);
        }
        Attempt attempt = record(verdict, Attempt.Result.FAILURE, decision.note());
        Failure failure = verdict.failure();
        if (decision.next() == Decision.Next.PASS_THROUGH) {
            return passThrough(failure);
        }
        if (decision.next() == Decision.Next.EXHAUSTED) {
            return exhausted(decision.ending(), null, failure);
        }
        Cursor to = moved(at, decision);
        if (to == null) {
            return passThrough(failure);
        }
        Provider<I, O> next = provider(to);
        String ceiling = trail.ceiling(next.cost(null));
        if (ceiling != null) {
            return exhausted(RouteEvent.Ending.CEILING_REACHED, ceiling, failure);
        }
        if (router.listening()) {
            router.emit(new RouteEvent.FellBack(route.name(), failure, attempt, next.name(), to.tier()));
        }
        if (trace != null) {
            trace.fellBack(failure);
        }
        return step(to);
    }

    /** Why the provider at hand may not be retried now, or null. */
    private Decisions.Veto retryVeto(Provider<I, O> provider, long now) {
        if (trail.ceiling(provider.cost(null)) != null) {
            return Decisions.Veto.CEILING;
        }
        ProviderState state = router.state(provider.name());
        if (!state.available(now)) {
            return state.disabled() ? Decisions.Veto.DISABLED : Decisions.Veto.BREAKER_OPEN;
        }
        return state.retries.tryExtra(now) ? null : Decisions.Veto.BUDGET;
    }

    /**
     * Where a decision to move on leads: the cursor it names, or for the context-window tier the first
     * provider from its position that has not refused this request's context already; null when there
     * is none.
     */
    private Cursor moved(Cursor at, Decision decision) {
        switch (decision.next()) {
            case NEXT_PROVIDER:
                return at.at(decision.position());
            case NEXT_TIER:
                return Cursor.first(decision.tier(), order(decision.tier()));
            case CONTEXT_WINDOW_TIER:
                int[] order = decision.tier() == at.tier() ? at.order() : order(decision.tier());
                List<Provider<I, O>> providers = tier(decision.tier()).providers();
                int next = trail.notRefused(order, decision.position(), i -> providers.get(i).name());
                return next < order.length ? new Cursor(decision.tier(), order, next, 1) : null;
            default:
                throw new IllegalStateException("not a move: " + decision);
        }
    }

    /** A failure the route does not move on from goes to the caller as it is. */
    private Mono<Outcome<O>> passThrough(Failure failure) {
        List<Attempt> attempts = end(RouteEvent.Ending.PASSED_THROUGH, null, null, failure.cause());
        if (failure.cause() != null) {
            return Mono.error(failure.cause());
        }
        return failure.kind() == FailureKind.EMPTY ? Mono.empty()
                : Mono.error(new RouteFailedException(route.name(), attempts, null));
    }

    /** Keeps a rejected answer for {@link Route.Builder#bestEffort()}; any answer not kept is discarded. */
    private void keepBest(Verdict<O> verdict) {
        if (verdict.value() == null) {
            return;
        }
        Verdict<O> dropped = route.bestEffort() ? trail.keep(verdict) : verdict;
        if (dropped != null) {
            discard(dropped.value());
        }
    }

    /** The live tiers are over: the best rejected answer, then the degraded steps, then an error. */
    private Mono<Outcome<O>> exhausted(RouteEvent.Ending ending, String ceiling, Failure last) {
        Verdict<O> best = trail.best();
        if (route.bestEffort() && best != null) {
            return Mono.just(outcome(best.value(), best.provider(), best.tier(),
                    new Degraded(Degraded.Kind.BELOW_FLOOR, best.failure().toString(), Duration.ZERO),
                    RouteEvent.Ending.DEGRADED));
        }
        String reason = last != null ? last.toString() : ceiling != null ? ceiling : "deadline exceeded";
        return degraded(0, ending, ceiling, last, reason);
    }

    private Mono<Outcome<O>> degraded(int k, RouteEvent.Ending ending, String ceiling, Failure last, String reason) {
        if (k == route.degraded().size()) {
            return Mono.error(failure(ending, ceiling, last));
        }
        DegradedStep<I, O> step = route.degraded().get(k);
        Mono<Outcome<O>> served = trace == null ? step.serve(request, reason, this)
                : trace.degraded(step.name, () -> step.serve(request, reason, this));
        return served.switchIfEmpty(Mono.defer(() -> degraded(k + 1, ending, ceiling, last, reason)));
    }

    private RouteFailedException failure(RouteEvent.Ending ending, String ceiling, Failure last) {
        List<Attempt> attempts = trail.end();
        boolean ends = attempts != null;
        if (!ends) {
            attempts = trail.attempts();
        }
        Throwable cause = last == null ? null : last.cause();
        RouteFailedException failure;
        switch (ending) {
            case DEADLINE_EXCEEDED:
                failure = new DeadlineExceededException(route.name(), route.deadline(), attempts, cause);
                break;
            case CEILING_REACHED:
                failure = new RouteFailedException(route.name(), "reached its " + ceiling, attempts, cause);
                break;
            default:
                failure = new RouteFailedException(route.name(), attempts, cause);
                break;
        }
        if (ends) {
            ended(ending, null, null, attempts, failure);
        }
        return failure;
    }

    private Outcome<O> outcome(O value, String provider, int tier, Degraded degraded, RouteEvent.Ending ending) {
        List<Attempt> attempts = end(ending, provider, degraded);
        return new Outcome<>(value, provider, tier, attempts, Duration.ofNanos(now() - start), degraded);
    }

    Attempt record(Verdict<O> verdict, Attempt.Result result, String note) {
        Attempt attempt = new Attempt(verdict.provider(), verdict.tier(), verdict.number(),
                Duration.ofNanos(verdict.begin() - start), Duration.ofNanos(verdict.end() - verdict.begin()), result,
                result == Attempt.Result.FAILURE ? verdict.failure() : null, note);
        trail.add(attempt);
        if (router.listening()) {
            router.emit(new RouteEvent.AttemptEnded(route.name(), attempt));
        }
        return attempt;
    }

    private List<Attempt> end(RouteEvent.Ending ending, String servedBy, Degraded degraded) {
        return end(ending, servedBy, degraded, null);
    }

    private List<Attempt> end(RouteEvent.Ending ending, String servedBy, Degraded degraded, Throwable error) {
        List<Attempt> attempts = trail.end();
        if (attempts == null) {
            return trail.attempts();
        }
        ended(ending, servedBy, degraded, attempts, error);
        return attempts;
    }

    /** The request ended (once): the listeners hear it, and its observation records it. */
    private void ended(RouteEvent.Ending ending, String servedBy, Degraded degraded, List<Attempt> attempts,
                       Throwable error) {
        if (router.listening()) {
            router.emit(new RouteEvent.Ended(route.name(), ending, servedBy, degraded, attempts,
                    Duration.ofNanos(now() - start)));
        }
        if (trace != null) {
            trace.ended(ending.name().toLowerCase(Locale.ROOT), servedBy, attempts.size(), error, !ownsTrace);
        }
    }

    /** Hands an answer nobody will receive to the caller's discard hook (a stream to cancel, a buffer to release). */
    void discard(O value) {
        if (value != null) {
            if (trace != null && trace.stream()) {
                trace.discarded(value);
            }
            Operators.onDiscard(value, context instanceof Context c ? c : Context.of(context));
        }
    }

    @Override
    public long now() {
        return scheduler.now(TimeUnit.NANOSECONDS);
    }

    @Override
    public long nanosLeft() {
        return deadlineAt - now();
    }

    @Override
    public List<Attempt> attempts() {
        return trail.attempts();
    }

    @Override
    public ContextView context() {
        return context;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public Outcome<O> served(O answer, String step, Degraded degraded) {
        return outcome(answer, step, -1, degraded, RouteEvent.Ending.DEGRADED);
    }

    /** A hedged attempt's racers: the tier's providers from the cursor on, then its last one again. */
    private final class Racing implements Race.Racers<O> {

        private final Cursor at;
        private final HedgePolicy hedge;
        private final ProviderState primary;

        Racing(Cursor at, HedgePolicy hedge) {
            this.at = at;
            this.hedge = hedge;
            this.primary = router.state(Execution.this.provider(at).name());
        }

        private Provider<I, O> provider(int k) {
            int[] order = at.order();
            return tier(at.tier()).providers().get(order[Math.min(at.position() + k, order.length - 1)]);
        }

        @Override
        public Mono<Verdict<O>> call(int k) {
            return Execution.this.call(at.tier(), provider(k), k == 0, k > 0);
        }

        @Override
        public boolean mayStart(int k) {
            long now = now();
            return now < deadlineAt && trail.ceiling(provider(k).cost(null)) == null && primary.hedges.tryExtra(now);
        }

        @Override
        public Duration delay() {
            return hedge.delay(primary.latencies);
        }

        @Override
        public void hedged(int k, Duration delay) {
            if (router.listening()) {
                router.emit(new RouteEvent.Hedged(route.name(), primary.name, provider(k).name(), delay));
            }
        }

        @Override
        public void lost(Verdict<O> verdict) {
            if (verdict.answered()) {
                discard(verdict.value());
                record(verdict, Attempt.Result.SUCCESS, "lost the race");
            } else {
                keepBest(verdict);
                record(verdict, Attempt.Result.FAILURE, null);
            }
        }

        @Override
        public void abandoned(Verdict<O> verdict) {
            discard(verdict.value());
            record(verdict, Attempt.Result.CANCELLED, null);
        }
    }
}
