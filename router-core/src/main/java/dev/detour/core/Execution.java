package dev.detour.core;

import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToDoubleFunction;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;

/** One request's run through a route: the attempts, the decisions between them, and the trail. */
final class Execution<I, O> {

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Route<I, O> route;
    private final Router router;
    private final I request;
    private final Scheduler scheduler;
    private final long start;
    private final long deadlineAt;
    private final List<Attempt> trail = new ArrayList<>(4);
    private boolean ended;

    private Execution(Route<I, O> route, I request) {
        this.route = route;
        this.router = route.router();
        this.request = request;
        this.scheduler = router.scheduler();
        this.start = now();
        this.deadlineAt = route.deadline() == null ? NO_DEADLINE : start + route.deadline().toNanos();
    }

    static <I, O> Mono<Outcome<O>> run(Route<I, O> route, I request) {
        return Mono.defer(() -> {
            Execution<I, O> execution = new Execution<>(route, request);
            return execution.attempt(0, 0, 1).doFinally(signal -> {
                if (signal == SignalType.CANCEL) {
                    execution.end(RouteEvent.Ending.CANCELLED, null);
                }
            });
        });
    }

    private Mono<Outcome<O>> attempt(int t, int i, int number) {
        Tier<I, O> tier = route.tiers().get(t);
        Provider<I, O> provider = tier.providers().get(i);
        long begin = now();
        long left = deadlineAt - begin;
        if (left <= 0) {
            return deadlineExceeded(null);
        }
        Duration timeout = tier.timeout();
        boolean byDeadline = deadlineAt != NO_DEADLINE && (timeout == null || timeout.toNanos() > left);
        if (byDeadline) {
            timeout = Duration.ofNanos(left);
        }
        if (number == 1) {
            router.budget(provider.name()).recordCall(begin);
        }
        AttemptContext context = new AttemptContext(route.name(), t, number, timeout);
        Mono<O> call = Mono.defer(() -> provider.call(request, context));
        if (timeout != null) {
            call = call.timeout(timeout, scheduler);
        }
        Duration limit = timeout;
        return call.map(this::judge)
                .defaultIfEmpty(Verdict.empty())
                .onErrorResume(error -> Mono.just(Verdict.failed(classify(error, limit))))
                .doOnCancel(() -> record(provider, t, number, begin, Attempt.Result.CANCELLED, null, null))
                .flatMap(verdict -> verdict.failure == null
                        ? served(provider, t, number, begin, verdict.value)
                        : failed(tier, provider, t, i, number, begin, verdict.failure, byDeadline));
    }

    private Verdict<O> judge(O value) {
        for (Validator<? super O> validator : route.validators()) {
            Optional<Failure> rejection = validator.check(value);
            if (rejection.isPresent()) {
                return Verdict.failed(rejection.get());
            }
        }
        ToDoubleFunction<? super O> confidence = route.confidence();
        if (confidence != null) {
            double score = confidence.applyAsDouble(value);
            if (!(score >= route.confidenceFloor())) {
                return Verdict.failed(Failure.lowConfidence(score, route.confidenceFloor()));
            }
        }
        return new Verdict<>(value, null);
    }

    private static Failure classify(Throwable error, Duration timeout) {
        return error instanceof TimeoutException && timeout != null
                ? Failure.timeout(timeout).withCause(error)
                : Failure.of(error);
    }

    private Mono<Outcome<O>> served(Provider<I, O> provider, int t, int number, long begin, O value) {
        record(provider, t, number, begin, Attempt.Result.SUCCESS, null, null);
        List<Attempt> attempts = end(RouteEvent.Ending.SERVED, provider.name());
        return Mono.just(new Outcome<>(value, provider.name(), t, attempts, Duration.ofNanos(now() - start)));
    }

    private Mono<Outcome<O>> failed(Tier<I, O> tier, Provider<I, O> provider, int t, int i, int number,
                                    long begin, Failure failure, boolean byDeadline) {
        long now = now();
        long left = deadlineAt - now;
        String decision = left <= 0 || byDeadline && failure.kind() == FailureKind.TIMEOUT ? "deadline reached" : null;
        RetryPolicy retry = tier.retry();
        if (decision == null && retry.retries(failure.kind()) && number < retry.maxAttempts()) {
            Duration delay = retry.delayBefore(number + 1, ThreadLocalRandom.current().nextDouble());
            Duration retryAfter = failure.retryAfter();
            boolean asked = retryAfter != null && retryAfter.compareTo(delay) > 0;
            if (asked) {
                delay = retryAfter;
            }
            if (delay.toNanos() >= left) {
                decision = asked ? "> deadline" : "backoff " + Durations.format(delay) + " > deadline";
            } else if (!router.budget(provider.name()).tryRetry(now)) {
                decision = "retry budget exhausted";
            } else {
                Attempt attempt = record(provider, t, number, begin, Attempt.Result.FAILURE, failure, null);
                if (router.listening()) {
                    router.emit(new RouteEvent.Retrying(route.name(), attempt, delay));
                }
                return Mono.delay(delay, scheduler).then(Mono.defer(() -> attempt(t, i, number + 1)));
            }
        }
        Attempt attempt = record(provider, t, number, begin, Attempt.Result.FAILURE, failure, decision);
        Set<FailureKind> fallbackOn = tier.fallbackOn() != null ? tier.fallbackOn() : route.fallbackOn();
        if (!fallbackOn.contains(failure.kind())) {
            List<Attempt> attempts = end(RouteEvent.Ending.PASSED_THROUGH, null);
            if (failure.cause() != null) {
                return Mono.error(failure.cause());
            }
            return failure.kind() == FailureKind.EMPTY ? Mono.empty()
                    : Mono.error(new RouteFailedException(route.name(), attempts, null));
        }
        if (left <= 0) {
            return deadlineExceeded(failure);
        }
        int nextTier = t;
        int next = i + 1;
        if (next == tier.providers().size()) {
            nextTier = t + 1;
            next = 0;
        }
        if (nextTier == route.tiers().size()) {
            List<Attempt> attempts = end(RouteEvent.Ending.FAILED, null);
            return Mono.error(new RouteFailedException(route.name(), attempts, failure.cause()));
        }
        if (router.listening()) {
            String to = route.tiers().get(nextTier).providers().get(next).name();
            router.emit(new RouteEvent.FellBack(route.name(), failure, attempt, to, nextTier));
        }
        return attempt(nextTier, next, 1);
    }

    private Mono<Outcome<O>> deadlineExceeded(Failure last) {
        List<Attempt> attempts = end(RouteEvent.Ending.DEADLINE_EXCEEDED, null);
        return Mono.error(new DeadlineExceededException(route.name(), route.deadline(), attempts,
                last == null ? null : last.cause()));
    }

    private Attempt record(Provider<I, O> provider, int t, int number, long begin, Attempt.Result result,
                           Failure failure, String decision) {
        long now = now();
        Attempt attempt = new Attempt(provider.name(), t, number, Duration.ofNanos(begin - start),
                Duration.ofNanos(now - begin), result, failure, decision);
        synchronized (trail) {
            trail.add(attempt);
        }
        if (router.listening()) {
            router.emit(new RouteEvent.AttemptEnded(route.name(), attempt));
        }
        return attempt;
    }

    private List<Attempt> end(RouteEvent.Ending ending, String servedBy) {
        List<Attempt> attempts;
        synchronized (trail) {
            if (ended) {
                return List.copyOf(trail);
            }
            ended = true;
            attempts = List.copyOf(trail);
        }
        if (router.listening()) {
            router.emit(new RouteEvent.Ended(route.name(), ending, servedBy, attempts, Duration.ofNanos(now() - start)));
        }
        return attempts;
    }

    private long now() {
        return scheduler.now(TimeUnit.NANOSECONDS);
    }

    private static final class Verdict<O> {

        private static final Verdict<?> EMPTY = new Verdict<>(null, Failure.empty("no answer"));

        final O value;
        final Failure failure;

        Verdict(O value, Failure failure) {
            this.value = value;
            this.failure = failure;
        }

        @SuppressWarnings("unchecked")
        static <O> Verdict<O> empty() {
            return (Verdict<O>) EMPTY;
        }

        static <O> Verdict<O> failed(Failure failure) {
            return new Verdict<>(null, failure);
        }
    }
}
