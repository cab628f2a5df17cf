package dev.detour.core;

import dev.detour.core.policy.Balancer;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Operators;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/** One request's run through a route: the attempts, the decisions between them, and the trail. */
final class Execution<I, O> {

    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final int[] FIRST = {0};
    private static final Object CLOSED = new Object();

    private final Route<I, O> route;
    private final Router router;
    private final I request;
    private final ContextView context;
    private final Set<String> skip;
    private final Scheduler scheduler;
    private final long start;
    private final long deadlineAt;

    // Guarded by trail: hedged attempts may end on several threads at once.
    private final List<Attempt> trail = new ArrayList<>(4);
    private final Map<String, Integer> numbers = new HashMap<>(4);
    private boolean ended;
    private int calls;
    private double spent;
    private Verdict<O> best;

    private Execution(Route<I, O> route, I request, ContextView context, Set<String> skip, Duration deadline) {
        this.route = route;
        this.router = route.router();
        this.request = request;
        this.context = context;
        this.skip = skip;
        this.scheduler = router.scheduler();
        this.start = now();
        this.deadlineAt = deadline == null ? NO_DEADLINE : start + Math.max(0, deadline.toNanos());
    }

    static <I, O> Mono<Outcome<O>> run(Route<I, O> route, I request, Set<String> skip, Duration deadline) {
        return Mono.deferContextual(context -> {
            Execution<I, O> execution = new Execution<>(route, request, context, skip, deadline);
            return execution.step(0, execution.order(0), 0, 1).doFinally(signal -> {
                if (signal == SignalType.CANCEL) {
                    execution.end(RouteEvent.Ending.CANCELLED, null, null);
                }
            });
        });
    }

    /** Tier {@code t}: one of the route's tiers, or, numbered after them, its context-window tier. */
    private Tier<I, O> tier(int t) {
        return t < route.tiers().size() ? route.tiers().get(t) : route.onContextWindow();
    }

    private int[] order(int t) {
        Tier<I, O> tier = tier(t);
        List<Provider<I, O>> providers = tier.providers();
        if (providers.size() == 1) {
            return FIRST;
        }
        long now = now();
        return tier.balancer().order(new Balancer.Candidates() {
            @Override
            public int size() {
                return providers.size();
            }

            @Override
            public String name(int i) {
                return providers.get(i).name();
            }

            @Override
            public boolean available(int i) {
                return router.state(name(i)).available(now);
            }

            @Override
            public double score(int i) {
                return router.state(name(i)).score();
            }
        });
    }

    private Mono<Outcome<O>> step(int t, int[] order, int pos, int tries) {
        Tier<I, O> tier = tier(t);
        Provider<I, O> provider = tier.providers().get(order[pos]);
        if (skip.contains(provider.name())) {
            if (pos + 1 < order.length) {
                return step(t, order, pos + 1, 1);
            }
            return t + 1 < route.tiers().size() ? step(t + 1, order(t + 1), 0, 1)
                    : exhausted(RouteEvent.Ending.FAILED, null, null);
        }
        if (now() >= deadlineAt) {
            return exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, null, null);
        }
        String ceiling = ceiling(provider);
        if (ceiling != null) {
            return exhausted(RouteEvent.Ending.CEILING_REACHED, ceiling, null);
        }
        Mono<Verdict<O>> attempt = tier.hedge() == null ? call(t, provider, false) : new Race(t, order, pos, tier.hedge()).mono();
        return attempt.flatMap(verdict -> verdict.failure == null
                ? Mono.just(served(verdict))
                : failed(t, order, pos, tries, verdict));
    }

    private String ceiling(Provider<I, O> next) {
        double cost = next.cost(null);
        synchronized (trail) {
            if (calls >= route.maxAttempts()) {
                return "attempt ceiling " + route.maxAttempts();
            }
            if (spent + cost > route.maxCost()) {
                return "cost ceiling " + route.maxCost() + " (spent " + spent + ")";
            }
            return null;
        }
    }

    /**
     * One call to one provider, settled exactly once: by its answer or failure (which the breaker and
     * statistics see), or by a cancellation (which they do not count as a failure). {@code primary}
     * marks the first racer of a hedged attempt, whose elapsed time still teaches the latency window when
     * a hedge beats it.
     */
    private Mono<Verdict<O>> call(int t, Provider<I, O> provider, boolean primary) {
        return Mono.defer(() -> {
            ProviderState state = router.state(provider.name());
            long begin = now();
            int number = nextNumber(provider.name());
            if (state.disabled()) {
                return Mono.just(refused(provider, t, number, begin, "disabled by operator"));
            }
            double callCost = provider.cost(null);
            if (!state.breaker.tryAcquire(begin)) {
                return Mono.just(refused(provider, t, number, begin, "breaker open"));
            }
            long left = deadlineAt - begin;
            Duration timeout = tier(t).timeout();
            boolean byDeadline = deadlineAt != NO_DEADLINE && (timeout == null || timeout.toNanos() > left);
            if (byDeadline) {
                timeout = Duration.ofNanos(Math.max(1, left));
            }
            synchronized (trail) {
                calls++;
                spent += callCost;
            }
            if (number == 1) {
                state.retries.recordCall(begin);
                state.hedges.recordCall(begin);
            }
            AttemptContext attemptContext = new AttemptContext(route.name(), t, number, timeout);
            AtomicReference<Object> unclaimed = new AtomicReference<>();
            Mono<O> answer = Mono.defer(() -> provider.call(request, attemptContext)).doOnNext(value -> {
                if (!unclaimed.compareAndSet(null, value)) {
                    discard(value);
                }
            });
            Duration limit = timeout;
            if (limit != null) {
                answer = answer.timeout(limit, Mono.error(() -> new AttemptTimeout(limit)), scheduler);
            }
            AtomicBoolean settled = new AtomicBoolean();
            return answer.map(this::judge)
                    .defaultIfEmpty(Judgement.empty())
                    .onErrorResume(error -> Mono.just(error instanceof AttemptTimeout
                            ? Judgement.timedOut(Failure.timeout(limit).withCause(error))
                            : Judgement.failed(router.classify(error))))
                    .flatMap(judgement -> {
                        if (judgement.value() != null && !unclaimed.compareAndSet(judgement.value(), null)) {
                            return Mono.empty();
                        }
                        if (settled.compareAndSet(false, true)) {
                            return Mono.just(settle(state, provider, t, number, begin, byDeadline, judgement));
                        }
                        discard(judgement.value());
                        return Mono.empty();
                    })
                    .doFinally(signal -> discardUnclaimed(unclaimed.getAndSet(CLOSED)))
                    .doOnCancel(() -> {
                        if (settled.compareAndSet(false, true)) {
                            long now = now();
                            state.breaker.onCancel(now);
                            if (primary) {
                                state.latencies.record(now - begin);
                            }
                            record(new Verdict<>(provider.name(), t, number, begin, now, false, null),
                                    Attempt.Result.CANCELLED, null);
                        }
                    });
        });
    }

    private Verdict<O> refused(Provider<I, O> provider, int t, int number, long at, String why) {
        return new Verdict<>(provider.name(), t, number, at, at, false, Judgement.failed(Failure.unavailable(why)));
    }

    /** Checks an answer; a check that throws rejects the answer, not the provider that gave it. */
    private Judgement<O> judge(O value) {
        try {
            for (RequestValidator<? super I, ? super O> validator : route.validators()) {
                Optional<Failure> rejection = validator.check(request, value);
                if (rejection.isPresent()) {
                    return new Judgement<>(value, rejection.get(), Double.NaN, false);
                }
            }
            ToDoubleFunction<? super O> confidence = route.confidence();
            if (confidence != null) {
                double score = confidence.applyAsDouble(value);
                if (!(score >= route.confidenceFloor())) {
                    return new Judgement<>(value, Failure.lowConfidence(score, route.confidenceFloor()), score, false);
                }
            }
            return new Judgement<>(value, null, Double.NaN, false);
        } catch (RuntimeException e) {
            return new Judgement<>(value, Failure.invalid("check threw " + Failure.describe(e)), Double.NaN, false);
        }
    }

    private Verdict<O> settle(ProviderState state, Provider<I, O> provider, int t, int number, long begin,
                              boolean byDeadline, Judgement<O> judgement) {
        long end = now();
        Failure failure = judgement.failure;
        boolean cutByDeadline = judgement.timedOut && byDeadline;
        if (cutByDeadline) {
            state.breaker.onCancel(end);
        } else {
            state.record(failure == null ? null : failure.kind(), end - begin,
                    failure == null ? null : failure.retryAfter(), end);
        }
        if (judgement.value != null) {
            double cost = provider.cost(judgement.value) - provider.cost(null);
            if (cost != 0) {
                synchronized (trail) {
                    spent += cost;
                }
            }
        }
        return new Verdict<>(provider.name(), t, number, begin, end, cutByDeadline, judgement);
    }

    private Outcome<O> served(Verdict<O> verdict) {
        record(verdict, Attempt.Result.SUCCESS, null);
        DegradedStep.LastKnownGood<I, O> cache = route.lastKnownGood();
        if (cache != null) {
            cache.remember(request, verdict.value, verdict.end);
        }
        return outcome(verdict.value, verdict.provider, verdict.tier, null, RouteEvent.Ending.SERVED);
    }

    private Mono<Outcome<O>> failed(int t, int[] order, int pos, int tries, Verdict<O> verdict) {
        long now = now();
        long left = deadlineAt - now;
        Failure failure = verdict.failure;
        keepBest(verdict);
        Tier<I, O> tier = tier(t);
        Provider<I, O> primary = tier.providers().get(order[pos]);
        boolean deadlineReached = left <= 0 || verdict.cutByDeadline;
        String decision = deadlineReached ? "deadline reached" : null;
        RetryPolicy retry = tier.retry();
        if (!deadlineReached && retry.retries(failure.kind()) && tries < retry.maxAttempts()) {
            Duration delay = retry.delayBefore(tries + 1, ThreadLocalRandom.current().nextDouble());
            Duration retryAfter = failure.retryAfter();
            boolean asked = retryAfter != null && retryAfter.compareTo(delay) > 0;
            if (asked) {
                delay = retryAfter;
            }
            ProviderState state = router.state(primary.name());
            if (delay.compareTo(Duration.ofNanos(left)) >= 0) {
                decision = asked ? "> deadline" : "backoff " + Durations.format(delay) + " > deadline";
            } else if (ceiling(primary) != null) {
                decision = null;
            } else if (!state.available(now)) {
                decision = "no retry: " + (state.disabled() ? "disabled" : "breaker open");
            } else if (!state.retries.tryExtra(now)) {
                decision = "retry budget exhausted";
            } else {
                Attempt attempt = record(verdict, Attempt.Result.FAILURE, null);
                if (router.listening()) {
                    router.emit(new RouteEvent.Retrying(route.name(), attempt, delay));
                }
                return Mono.delay(delay, scheduler).then(Mono.defer(() -> step(t, order, pos, tries + 1)));
            }
        }
        Attempt attempt = record(verdict, Attempt.Result.FAILURE, decision);
        int larger = route.tiers().size();
        boolean toLarger = failure.kind() == FailureKind.CONTEXT_WINDOW && route.onContextWindow() != null;
        Set<FailureKind> fallbackOn = tier.fallbackOn() != null ? tier.fallbackOn() : route.fallbackOn();
        if (!toLarger && !fallbackOn.contains(failure.kind())) {
            return passThrough(failure);
        }
        if (deadlineReached) {
            return exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, null, failure);
        }
        int nextTier = t;
        int[] nextOrder = order;
        int next = pos + verdict.span;
        if (toLarger) {
            if (t < larger) {
                nextTier = larger;
                nextOrder = order(larger);
                next = 0;
            }
            next = notRefused(nextOrder, next);
            if (next == nextOrder.length) {
                return passThrough(failure);
            }
        } else if (next >= order.length) {
            if (t + 1 >= larger) {
                return exhausted(RouteEvent.Ending.FAILED, null, failure);
            }
            nextTier = t + 1;
            nextOrder = order(nextTier);
            next = 0;
        }
        Provider<I, O> to = tier(nextTier).providers().get(nextOrder[next]);
        String ceiling = ceiling(to);
        if (ceiling != null) {
            return exhausted(RouteEvent.Ending.CEILING_REACHED, ceiling, failure);
        }
        if (router.listening()) {
            router.emit(new RouteEvent.FellBack(route.name(), failure, attempt, to.name(), nextTier));
        }
        return step(nextTier, nextOrder, next, 1);
    }

    /**
     * The first position from {@code from} in the context-window tier's {@code order} whose provider has
     * not refused this request's context already (it may sit in an ordinary tier too); the order's
     * length when there is none.
     */
    private int notRefused(int[] order, int from) {
        List<Provider<I, O>> providers = route.onContextWindow().providers();
        int next = from;
        synchronized (trail) {
            while (next < order.length && refused(providers.get(order[next]).name())) {
                next++;
            }
        }
        return next;
    }

    private boolean refused(String provider) {
        for (Attempt attempt : trail) {
            if (attempt.failure() != null && attempt.failure().kind() == FailureKind.CONTEXT_WINDOW
                    && attempt.provider().equals(provider)) {
                return true;
            }
        }
        return false;
    }

    /** A failure the route does not move on from goes to the caller as it is. */
    private Mono<Outcome<O>> passThrough(Failure failure) {
        List<Attempt> attempts = end(RouteEvent.Ending.PASSED_THROUGH, null, null);
        if (failure.cause() != null) {
            return Mono.error(failure.cause());
        }
        return failure.kind() == FailureKind.EMPTY ? Mono.empty()
                : Mono.error(new RouteFailedException(route.name(), attempts, null));
    }

    /** Keeps a rejected answer for {@link Route.Builder#bestEffort()}; any answer not kept is discarded. */
    private void keepBest(Verdict<O> verdict) {
        if (verdict.value == null) {
            return;
        }
        if (!route.bestEffort()) {
            discard(verdict.value);
            return;
        }
        boolean scored = !Double.isNaN(verdict.score);
        Verdict<O> dropped;
        synchronized (trail) {
            boolean bestScored = best != null && !Double.isNaN(best.score);
            if (best == null || scored && (!bestScored || verdict.score >= best.score) || !scored && !bestScored) {
                dropped = best;
                best = verdict;
            } else {
                dropped = verdict;
            }
        }
        if (dropped != null) {
            discard(dropped.value);
        }
    }

    /** The live tiers are over: the best rejected answer, then the degraded steps, then an error. */
    private Mono<Outcome<O>> exhausted(RouteEvent.Ending ending, String ceiling, Failure last) {
        Verdict<O> bestAnswer;
        synchronized (trail) {
            bestAnswer = best;
        }
        if (route.bestEffort() && bestAnswer != null) {
            return Mono.just(outcome(bestAnswer.value, bestAnswer.provider, bestAnswer.tier,
                    new Degraded(Degraded.Kind.BELOW_FLOOR, bestAnswer.failure.toString(), Duration.ZERO),
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
        if (step instanceof DegradedStep.LastKnownGood<I, O> cache) {
            DegradedStep.LastKnownGood.Entry<O> entry = cache.recall(request);
            if (entry != null) {
                Duration age = Duration.ofNanos(now() - entry.storedAtNanos());
                if (age.compareTo(cache.maxStaleness) <= 0) {
                    return Mono.just(outcome(entry.answer(), step.name, -1,
                            new Degraded(Degraded.Kind.LAST_KNOWN_GOOD, reason, age), RouteEvent.Ending.DEGRADED));
                }
            }
            return degraded(k + 1, ending, ceiling, last, reason);
        }
        if (step instanceof DegradedStep.StaticDefault<I, O> fixed) {
            return Mono.just(outcome(fixed.answer, step.name, -1,
                    new Degraded(Degraded.Kind.STATIC_DEFAULT, reason, Duration.ZERO), RouteEvent.Ending.DEGRADED));
        }
        DegradedStep.HandingOff<I, O> handing = (DegradedStep.HandingOff<I, O>) step;
        long left = deadlineAt - now();
        if (left <= 0) {
            return degraded(k + 1, ending, ceiling, last, reason);
        }
        Duration limit = left < handing.timeout.toNanos() ? Duration.ofNanos(left) : handing.timeout;
        List<Attempt> attempts;
        synchronized (trail) {
            attempts = List.copyOf(trail);
        }
        return Mono.defer(() -> handing.handOff.handOff(request, attempts, context))
                .timeout(limit, scheduler)
                .onErrorResume(error -> Mono.empty())
                .map(answer -> outcome(answer, step.name, -1,
                        new Degraded(Degraded.Kind.HAND_OFF, reason, Duration.ZERO), RouteEvent.Ending.DEGRADED))
                .switchIfEmpty(Mono.defer(() -> degraded(k + 1, ending, ceiling, last, reason)));
    }

    private RouteFailedException failure(RouteEvent.Ending ending, String ceiling, Failure last) {
        List<Attempt> attempts = end(ending, null, null);
        Throwable cause = last == null ? null : last.cause();
        switch (ending) {
            case DEADLINE_EXCEEDED:
                return new DeadlineExceededException(route.name(), route.deadline(), attempts, cause);
            case CEILING_REACHED:
                return new RouteFailedException(route.name(), "reached its " + ceiling, attempts, cause);
            default:
                return new RouteFailedException(route.name(), attempts, cause);
        }
    }

    private Outcome<O> outcome(O value, String provider, int tier, Degraded degraded, RouteEvent.Ending ending) {
        List<Attempt> attempts = end(ending, provider, degraded);
        return new Outcome<>(value, provider, tier, attempts, Duration.ofNanos(now() - start), degraded);
    }

    private int nextNumber(String provider) {
        synchronized (trail) {
            return numbers.merge(provider, 1, Integer::sum);
        }
    }

    private Attempt record(Verdict<O> verdict, Attempt.Result result, String decision) {
        Attempt attempt = new Attempt(verdict.provider, verdict.tier, verdict.number,
                Duration.ofNanos(verdict.begin - start), Duration.ofNanos(verdict.end - verdict.begin), result,
                result == Attempt.Result.FAILURE ? verdict.failure : null, decision);
        synchronized (trail) {
            trail.add(attempt);
        }
        if (router.listening()) {
            router.emit(new RouteEvent.AttemptEnded(route.name(), attempt));
        }
        return attempt;
    }

    private List<Attempt> end(RouteEvent.Ending ending, String servedBy, Degraded degraded) {
        List<Attempt> attempts;
        synchronized (trail) {
            attempts = List.copyOf(trail);
            if (ended) {
                return attempts;
            }
            ended = true;
        }
        if (router.listening()) {
            router.emit(new RouteEvent.Ended(route.name(), ending, servedBy, degraded, attempts,
                    Duration.ofNanos(now() - start)));
        }
        return attempts;
    }

    private long now() {
        return scheduler.now(TimeUnit.NANOSECONDS);
    }

    @SuppressWarnings("unchecked")
    private void discardUnclaimed(Object value) {
        if (value != CLOSED) {
            discard((O) value);
        }
    }

    /** Hands an answer nobody will receive to the caller's discard hook (a stream to cancel, a buffer to release). */
    private void discard(O value) {
        if (value != null) {
            Operators.onDiscard(value, context instanceof reactor.util.context.Context c ? c : reactor.util.context.Context.of(context));
        }
    }

    /**
     * One attempt and its hedges racing: the first valid answer wins and the others are cancelled. A
     * failure ends the race only when nothing else is in flight, so an attempt that fails before its
     * hedge is due falls back at once.
     */
    private final class Race {

        private final int t;
        private final int[] order;
        private final int pos;
        private final HedgePolicy hedge;
        private final String primary;
        private final List<Disposable> racers = new ArrayList<>(2);
        private final AtomicReference<Verdict<O>> result = new AtomicReference<>();
        private MonoSink<Verdict<O>> sink;
        private Disposable timer;
        private Duration delay;
        private int started;
        private int inFlight;
        private boolean done;

        Race(int t, int[] order, int pos, HedgePolicy hedge) {
            this.t = t;
            this.order = order;
            this.pos = pos;
            this.hedge = hedge;
            this.primary = provider(0).name();
        }

        /** The race's result, handed to exactly one of the subscriber or a cancellation. */
        Mono<Verdict<O>> mono() {
            return Mono.<Verdict<O>>create(sink -> {
                this.sink = sink;
                sink.onCancel(() -> {
                    dispose(finish());
                    Verdict<O> unclaimed = result.getAndSet(null);
                    if (unclaimed != null) {
                        discard(unclaimed.value);
                        record(unclaimed, Attempt.Result.CANCELLED, null);
                    }
                });
                launch(false);
            }).flatMap(verdict -> result.compareAndSet(verdict, null) ? Mono.just(verdict) : Mono.empty());
        }

        /** The k-th racer's provider: the next ones of the tier in order, then the last one again. */
        private Provider<I, O> provider(int k) {
            return tier(t).providers().get(order[Math.min(pos + k, order.length - 1)]);
        }

        private void launch(boolean hedging) {
            Provider<I, O> provider;
            boolean first;
            synchronized (this) {
                if (done) {
                    return;
                }
                provider = provider(started);
                first = started == 0;
                started++;
                inFlight++;
            }
            if (hedging && router.listening()) {
                router.emit(new RouteEvent.Hedged(route.name(), primary, provider.name(), delay));
            }
            BaseSubscriber<Verdict<O>> racer = new BaseSubscriber<>() {
                @Override
                protected void hookOnNext(Verdict<O> verdict) {
                    ended(verdict);
                }

                @Override
                protected void hookOnError(Throwable error) {
                    broke(error);
                }
            };
            call(t, provider, first).contextWrite(sink.contextView()).subscribe(racer);
            boolean late;
            synchronized (this) {
                late = done;
                if (!late) {
                    racers.add(racer);
                }
            }
            if (late) {
                racer.dispose();
                return;
            }
            scheduleHedge();
        }

        private void scheduleHedge() {
            Duration next;
            synchronized (this) {
                if (done || started > hedge.maxHedges()) {
                    return;
                }
                next = hedge.delay(router.state(primary).latencies);
                delay = next;
            }
            Disposable scheduled = scheduler.schedule(this::hedge, next.toNanos(), TimeUnit.NANOSECONDS);
            boolean late;
            synchronized (this) {
                late = done;
                if (!late) {
                    timer = scheduled;
                }
            }
            if (late) {
                scheduled.dispose();
            }
        }

        private void hedge() {
            long now = now();
            Provider<I, O> next;
            synchronized (this) {
                timer = null;
                if (done) {
                    return;
                }
                next = provider(started);
            }
            if (now < deadlineAt && ceiling(next) == null && router.state(primary).hedges.tryExtra(now)) {
                launch(true);
            }
        }

        private void ended(Verdict<O> verdict) {
            List<Disposable> losers = null;
            synchronized (this) {
                if (!done) {
                    inFlight--;
                    if (verdict.failure == null || inFlight == 0) {
                        result.set(verdict.spanning(Math.min(started, order.length - pos)));
                        losers = finishLocked();
                    }
                }
            }
            if (losers == null) {
                if (verdict.failure == null) {
                    discard(verdict.value);
                } else {
                    keepBest(verdict);
                }
                record(verdict, verdict.failure == null ? Attempt.Result.SUCCESS : Attempt.Result.FAILURE,
                        verdict.failure == null ? "lost the race" : null);
                return;
            }
            dispose(losers);
            Verdict<O> won = result.get();
            if (won != null) {
                sink.success(won);
            }
        }

        private void broke(Throwable error) {
            dispose(finish());
            sink.error(error);
        }

        private synchronized List<Disposable> finish() {
            return finishLocked();
        }

        private List<Disposable> finishLocked() {
            done = true;
            List<Disposable> all = new ArrayList<>(racers);
            racers.clear();
            if (timer != null) {
                all.add(timer);
                timer = null;
            }
            return all;
        }

        private void dispose(List<Disposable> disposables) {
            disposables.forEach(Disposable::dispose);
        }
    }

    /** Detour's own attempt timeout, told apart from a provider's. */
    private static final class AttemptTimeout extends TimeoutException {

        AttemptTimeout(Duration after) {
            super("no answer within " + after.toMillis() + "ms");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /**
     * An answer, or why it was not accepted (with the rejected answer, if there was one);
     * {@code timedOut} when Detour's own timeout ended the attempt.
     */
    private record Judgement<O>(O value, Failure failure, double score, boolean timedOut) {

        private static final Judgement<?> EMPTY = new Judgement<>(null, Failure.empty("no answer"), Double.NaN, false);

        @SuppressWarnings("unchecked")
        static <O> Judgement<O> empty() {
            return (Judgement<O>) EMPTY;
        }

        static <O> Judgement<O> failed(Failure failure) {
            return new Judgement<>(null, failure, Double.NaN, false);
        }

        static <O> Judgement<O> timedOut(Failure failure) {
            return new Judgement<>(null, failure, Double.NaN, true);
        }
    }

    /**
     * A judged attempt: who, when, and its judgement; {@code cutByDeadline} when the deadline, not the
     * tier's timeout, ended it; {@code span} is how many tier positions it used.
     */
    private record Verdict<O>(String provider, int tier, int number, long begin, long end, boolean cutByDeadline,
                              O value, Failure failure, double score, int span) {

        Verdict(String provider, int tier, int number, long begin, long end, boolean cutByDeadline, Judgement<O> judgement) {
            this(provider, tier, number, begin, end, cutByDeadline,
                    judgement == null ? null : judgement.value(), judgement == null ? null : judgement.failure(),
                    judgement == null ? Double.NaN : judgement.score(), 1);
        }

        Verdict<O> spanning(int span) {
            return span == this.span ? this
                    : new Verdict<>(provider, tier, number, begin, end, cutByDeadline, value, failure, score, span);
        }
    }
}
