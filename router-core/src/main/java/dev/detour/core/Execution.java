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
import java.util.function.ToDoubleFunction;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/** One request's run through a route: the attempts, the decisions between them, and the trail. */
final class Execution<I, O> {

    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final int[] FIRST = {0};

    private final Route<I, O> route;
    private final Router router;
    private final I request;
    private final ContextView context;
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

    private Execution(Route<I, O> route, I request, ContextView context) {
        this.route = route;
        this.router = route.router();
        this.request = request;
        this.context = context;
        this.scheduler = router.scheduler();
        this.start = now();
        this.deadlineAt = route.deadline() == null ? NO_DEADLINE : start + route.deadline().toNanos();
    }

    static <I, O> Mono<Outcome<O>> run(Route<I, O> route, I request) {
        return Mono.deferContextual(context -> {
            Execution<I, O> execution = new Execution<>(route, request, context);
            return execution.step(0, execution.order(0), 0, 1).doFinally(signal -> {
                if (signal == SignalType.CANCEL) {
                    execution.end(RouteEvent.Ending.CANCELLED, null, null);
                }
            });
        });
    }

    private int[] order(int t) {
        Tier<I, O> tier = route.tiers().get(t);
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
        Tier<I, O> tier = route.tiers().get(t);
        Provider<I, O> provider = tier.providers().get(order[pos]);
        if (now() >= deadlineAt) {
            return exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, null, null);
        }
        String ceiling = ceiling(provider);
        if (ceiling != null) {
            return exhausted(RouteEvent.Ending.CEILING_REACHED, ceiling, null);
        }
        Mono<Verdict<O>> attempt = tier.hedge() == null ? call(t, provider) : new Race(t, order, pos, tier.hedge()).mono();
        return attempt.flatMap(verdict -> verdict.failure == null
                ? Mono.just(served(verdict))
                : failed(t, order, pos, tries, verdict));
    }

    private String ceiling(Provider<I, O> next) {
        synchronized (trail) {
            if (calls >= route.maxAttempts()) {
                return "attempt ceiling " + route.maxAttempts();
            }
            if (spent + next.cost(null) > route.maxCost()) {
                return "cost ceiling " + route.maxCost() + " (spent " + spent + ")";
            }
            return null;
        }
    }

    private Mono<Verdict<O>> call(int t, Provider<I, O> provider) {
        return Mono.defer(() -> {
            ProviderState state = router.state(provider.name());
            long begin = now();
            int number = nextNumber(provider.name());
            if (state.disabled()) {
                return Mono.just(new Verdict<>(provider.name(), t, number, begin, begin, false,
                        Judgement.failed(Failure.unavailable("disabled by operator"))));
            }
            if (!state.breaker.tryAcquire(begin)) {
                return Mono.just(new Verdict<>(provider.name(), t, number, begin, begin, false,
                        Judgement.failed(Failure.unavailable("breaker open"))));
            }
            long left = deadlineAt - begin;
            Duration timeout = route.tiers().get(t).timeout();
            boolean byDeadline = deadlineAt != NO_DEADLINE && (timeout == null || timeout.toNanos() > left);
            if (byDeadline) {
                timeout = Duration.ofNanos(Math.max(1, left));
            }
            synchronized (trail) {
                calls++;
                spent += provider.cost(null);
            }
            if (number == 1) {
                state.retries.recordCall(begin);
                state.hedges.recordCall(begin);
            }
            AttemptContext attemptContext = new AttemptContext(route.name(), t, number, timeout);
            Mono<O> answer = Mono.defer(() -> provider.call(request, attemptContext));
            if (timeout != null) {
                answer = answer.timeout(timeout, scheduler);
            }
            Duration limit = timeout;
            return answer.map(this::judge)
                    .defaultIfEmpty(Judgement.empty())
                    .onErrorResume(error -> Mono.just(Judgement.failed(classify(error, limit))))
                    .map(judgement -> settle(state, provider, t, number, begin, byDeadline, judgement))
                    .doOnCancel(() -> {
                        long now = now();
                        state.breaker.onCancel(now);
                        record(new Verdict<>(provider.name(), t, number, begin, now, false, null),
                                Attempt.Result.CANCELLED, null);
                    });
        });
    }

    private Judgement<O> judge(O value) {
        for (Validator<? super O> validator : route.validators()) {
            Optional<Failure> rejection = validator.check(value);
            if (rejection.isPresent()) {
                return new Judgement<>(value, rejection.get(), Double.NaN);
            }
        }
        ToDoubleFunction<? super O> confidence = route.confidence();
        if (confidence != null) {
            double score = confidence.applyAsDouble(value);
            if (!(score >= route.confidenceFloor())) {
                return new Judgement<>(value, Failure.lowConfidence(score, route.confidenceFloor()), score);
            }
        }
        return new Judgement<>(value, null, Double.NaN);
    }

    private static Failure classify(Throwable error, Duration timeout) {
        return error instanceof TimeoutException && timeout != null
                ? Failure.timeout(timeout).withCause(error)
                : Failure.of(error);
    }

    private Verdict<O> settle(ProviderState state, Provider<I, O> provider, int t, int number, long begin,
                              boolean byDeadline, Judgement<O> judgement) {
        long end = now();
        Failure failure = judgement.failure;
        state.record(failure == null ? null : failure.kind(), end - begin,
                failure == null ? null : failure.retryAfter(), end);
        if (judgement.value != null) {
            double cost = provider.cost(judgement.value) - provider.cost(null);
            if (cost != 0) {
                synchronized (trail) {
                    spent += cost;
                }
            }
        }
        return new Verdict<>(provider.name(), t, number, begin, end, byDeadline, judgement);
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
        Tier<I, O> tier = route.tiers().get(t);
        String decision = left <= 0 || verdict.byDeadline && failure.kind() == FailureKind.TIMEOUT
                ? "deadline reached" : null;
        RetryPolicy retry = tier.retry();
        if (decision == null && retry.retries(failure.kind()) && tries < retry.maxAttempts()) {
            Duration delay = retry.delayBefore(tries + 1, ThreadLocalRandom.current().nextDouble());
            Duration retryAfter = failure.retryAfter();
            boolean asked = retryAfter != null && retryAfter.compareTo(delay) > 0;
            if (asked) {
                delay = retryAfter;
            }
            if (delay.toNanos() >= left) {
                decision = asked ? "> deadline" : "backoff " + Durations.format(delay) + " > deadline";
            } else if (!router.state(verdict.provider).retries.tryExtra(now)) {
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
        Set<FailureKind> fallbackOn = tier.fallbackOn() != null ? tier.fallbackOn() : route.fallbackOn();
        if (!fallbackOn.contains(failure.kind())) {
            List<Attempt> attempts = end(RouteEvent.Ending.PASSED_THROUGH, null, null);
            if (failure.cause() != null) {
                return Mono.error(failure.cause());
            }
            return failure.kind() == FailureKind.EMPTY ? Mono.empty()
                    : Mono.error(new RouteFailedException(route.name(), attempts, null));
        }
        if (left <= 0) {
            return exhausted(RouteEvent.Ending.DEADLINE_EXCEEDED, null, failure);
        }
        int next = pos + verdict.span;
        if (next < order.length) {
            fellBack(failure, attempt, tier.providers().get(order[next]).name(), t);
            return step(t, order, next, 1);
        }
        if (t + 1 < route.tiers().size()) {
            int[] nextOrder = order(t + 1);
            fellBack(failure, attempt, route.tiers().get(t + 1).providers().get(nextOrder[0]).name(), t + 1);
            return step(t + 1, nextOrder, 0, 1);
        }
        return exhausted(RouteEvent.Ending.FAILED, null, failure);
    }

    private void fellBack(Failure trigger, Attempt from, String to, int toTier) {
        if (router.listening()) {
            router.emit(new RouteEvent.FellBack(route.name(), trigger, from, to, toTier));
        }
    }

    private void keepBest(Verdict<O> verdict) {
        if (verdict.value == null) {
            return;
        }
        synchronized (trail) {
            if (best == null || Double.isNaN(best.score) || !(verdict.score < best.score)) {
                best = verdict;
            }
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
        List<Attempt> attempts;
        synchronized (trail) {
            attempts = List.copyOf(trail);
        }
        return Mono.defer(() -> handing.handOff.handOff(request, attempts, context))
                .timeout(handing.timeout, scheduler)
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

        Mono<Verdict<O>> mono() {
            return Mono.create(sink -> {
                this.sink = sink;
                sink.onCancel(() -> dispose(finish()));
                launch();
            });
        }

        /** The k-th racer's provider: the next ones of the tier in order, then the last one again. */
        private Provider<I, O> provider(int k) {
            return route.tiers().get(t).providers().get(order[Math.min(pos + k, order.length - 1)]);
        }

        private void launch() {
            Provider<I, O> provider;
            synchronized (this) {
                if (done) {
                    return;
                }
                provider = provider(started);
                started++;
                inFlight++;
            }
            Disposable racer = call(t, provider).contextWrite(sink.contextView()).subscribe(this::ended, this::broke);
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
                if (done) {
                    return;
                }
                next = provider(started);
            }
            if (now >= deadlineAt || ceiling(next) != null || !router.state(primary).hedges.tryExtra(now)) {
                return;
            }
            if (router.listening()) {
                router.emit(new RouteEvent.Hedged(route.name(), primary, next.name(), delay));
            }
            launch();
        }

        private void ended(Verdict<O> verdict) {
            List<Disposable> losers = null;
            synchronized (this) {
                if (!done) {
                    inFlight--;
                    if (verdict.failure == null || inFlight == 0) {
                        losers = finish();
                    }
                }
            }
            if (losers == null) {
                keepBest(verdict);
                record(verdict, verdict.failure == null ? Attempt.Result.SUCCESS : Attempt.Result.FAILURE,
                        verdict.failure == null ? "lost the race" : null);
                return;
            }
            dispose(losers);
            sink.success(verdict.spanning(Math.min(started, order.length - pos)));
        }

        private void broke(Throwable error) {
            dispose(finish());
            sink.error(error);
        }

        private synchronized List<Disposable> finish() {
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

    /** An answer, or why it was not accepted (with the rejected answer, if there was one). */
    private static final class Judgement<O> {

        private static final Judgement<?> EMPTY = new Judgement<>(null, Failure.empty("no answer"), Double.NaN);

        final O value;
        final Failure failure;
        final double score;

        Judgement(O value, Failure failure, double score) {
            this.value = value;
            this.failure = failure;
            this.score = score;
        }

        @SuppressWarnings("unchecked")
        static <O> Judgement<O> empty() {
            return (Judgement<O>) EMPTY;
        }

        static <O> Judgement<O> failed(Failure failure) {
            return new Judgement<>(null, failure, Double.NaN);
        }
    }

    /** A judged attempt: who, when, and its judgement; {@code span} is how many tier positions it used. */
    private static final class Verdict<O> {

        final String provider;
        final int tier;
        final int number;
        final long begin;
        final long end;
        final boolean byDeadline;
        final O value;
        final Failure failure;
        final double score;
        final int span;

        Verdict(String provider, int tier, int number, long begin, long end, boolean byDeadline, Judgement<O> judgement) {
            this(provider, tier, number, begin, end, byDeadline,
                    judgement == null ? null : judgement.value, judgement == null ? null : judgement.failure,
                    judgement == null ? Double.NaN : judgement.score, 1);
        }

        private Verdict(String provider, int tier, int number, long begin, long end, boolean byDeadline, O value,
                        Failure failure, double score, int span) {
            this.provider = provider;
            this.tier = tier;
            this.number = number;
            this.begin = begin;
            this.end = end;
            this.byDeadline = byDeadline;
            this.value = value;
            this.failure = failure;
            this.score = score;
            this.span = span;
        }

        Verdict<O> spanning(int span) {
            return span == this.span ? this
                    : new Verdict<>(provider, tier, number, begin, end, byDeadline, value, failure, score, span);
        }
    }
}
