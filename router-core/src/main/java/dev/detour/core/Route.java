package dev.detour.core;

import dev.detour.core.internal.SpendCounter;
import dev.detour.core.policy.FailureKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import reactor.core.publisher.Mono;

/**
 * A named, ordered chain of {@link Tier}s under one deadline. Calling it runs a request through the
 * tiers until an answer passes the route's validators, and returns a lazy {@link Mono}: nothing
 * happens until it is subscribed, and cancelling it cancels the attempt in flight and starts nothing
 * new. An immutable value, built by {@link Router#route(String)}.
 *
 * <pre>{@code
 * Route<Question, Answer> route = router.<Question, Answer>route("answer")
 *         .deadline(Duration.ofSeconds(5))
 *         .tier(Tier.of(primary).timeout(Duration.ofSeconds(2)).retry(RetryPolicy.backoff(2, Duration.ofMillis(100))))
 *         .tier(Tier.of(secondary).timeout(Duration.ofSeconds(2)))
 *         .tier(Tier.of(cache))
 *         .build();
 * Mono<Answer> answer = route.call(question);
 * }</pre>
 *
 * <p>Each attempt's timeout is the shorter of its tier's and the time the deadline leaves; backoff never
 * waits past the deadline. A failure whose kind the tier falls back on moves on to the tier's next
 * provider, then to the next tier; any other failure goes to the caller as it is. When no path is left
 * the caller gets a {@link RouteFailedException} (or {@link DeadlineExceededException}) naming every
 * attempt. Degraded steps (a cached, default or handed-off answer) may follow the tiers; a cascade can
 * be capped by attempts and cost. A {@link FailureKind#CONTEXT_WINDOW} failure is never retried; it
 * moves at once to the route's {@linkplain Builder#onContextWindow larger-context providers} when it
 * names some, and otherwise goes to the caller as it is.
 *
 * @param <I> the request type
 * @param <O> the answer type
 */
public final class Route<I, O> {

    /** The deadline of a route that does not set one. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

    private final Router router;
    private final String name;
    private final Duration deadline;
    private final List<Tier<I, O>> tiers;
    private final Tier<I, O> onContextWindow;
    private final AnswerChecks<I, O> checks;
    private final Set<FailureKind> fallbackOn;
    private final int maxAttempts;
    private final double maxCost;
    private final boolean bestEffort;
    private final List<DegradedStep<I, O>> degraded;
    private final DegradedStep.LastKnownGood<I, O> lastKnownGood;
    private final SpendCounter fallbackSpend;

    private Route(Builder<I, O> builder) {
        this.router = builder.router;
        this.name = builder.name;
        this.deadline = builder.deadline;
        this.tiers = List.copyOf(builder.tiers);
        this.onContextWindow = builder.onContextWindow;
        this.checks = new AnswerChecks<>(builder.validators, builder.confidence, builder.confidenceFloor);
        this.fallbackOn = builder.fallbackOn;
        this.maxAttempts = builder.maxAttempts;
        this.maxCost = builder.maxCost;
        this.bestEffort = builder.bestEffort;
        this.degraded = List.copyOf(builder.degraded);
        this.lastKnownGood = builder.lastKnownGood;
        this.fallbackSpend = Double.isInfinite(builder.fallbackSpendPerDay) ? null
                : new SpendCounter(router.counters(), "route/" + name + "/fallback-spend", builder.fallbackSpendPerDay);
    }

    /** Runs {@code request} through the route and returns the served answer. */
    public Mono<O> call(I request) {
        return execute(request).map(Outcome::value);
    }

    /** Runs {@code request} through the route and returns the answer with who served it and the trail. */
    public Mono<Outcome<O>> execute(I request) {
        return Execution.run(this, request, Set.of(), deadline);
    }

    /**
     * Like {@link #execute(Object)}, but never calls the providers named in {@code skip} (e.g. the one
     * whose stream just failed), under {@code timeLeft} instead of the deadline when it is not null (what is
     * left of a request that started earlier): when that is not positive no provider is called and the
     * answer is a {@link DeadlineExceededException}.
     */
    Mono<Outcome<O>> execute(I request, Set<String> skip, Duration timeLeft) {
        return Execution.run(this, request, Set.copyOf(skip), timeLeft != null ? timeLeft : deadline);
    }

    /** The route's name. */
    public String name() {
        return name;
    }

    /** The end-to-end deadline, or null when there is none. */
    public Duration deadline() {
        return deadline;
    }

    /** The tiers, in order. */
    public List<Tier<I, O>> tiers() {
        return tiers;
    }

    /**
     * The tier a {@link FailureKind#CONTEXT_WINDOW} failure moves to, or null when the route names none;
     * its attempts carry the tier number {@code tiers().size()}.
     */
    public Tier<I, O> onContextWindow() {
        return onContextWindow;
    }

    /** The kinds of failure that move on, for tiers that do not name their own. */
    public Set<FailureKind> fallbackOn() {
        return fallbackOn;
    }

    /** The most provider calls one request may make (a cascade's ceiling); {@link Integer#MAX_VALUE} when unbounded. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The most one request may spend on provider calls; infinite when unbounded. */
    public double maxCost() {
        return maxCost;
    }

    /** The most the tiers after the first may spend a day; infinite when unbounded. */
    public double fallbackSpendPerDay() {
        return fallbackSpend == null ? Double.POSITIVE_INFINITY : fallbackSpend.perDay();
    }

    /**
     * Counts {@code cost}, spent by a call of tier {@code tier} that the route could not price when the call
     * ended (the tokens of a stream, known at its last element), against the fallback spend cap: only for a
     * tier after the first, and only when the route has a cap.
     */
    public void charge(int tier, double cost) {
        if (tier > 0 && fallbackSpend != null) {
            fallbackSpend.charge(cost);
        }
    }

    /** The fallback spend cap's counter, or null when the route has none. */
    SpendCounter fallbackSpend() {
        return fallbackSpend;
    }

    Router router() {
        return router;
    }

    boolean bestEffort() {
        return bestEffort;
    }

    List<DegradedStep<I, O>> degraded() {
        return degraded;
    }

    DegradedStep.LastKnownGood<I, O> lastKnownGood() {
        return lastKnownGood;
    }

    AnswerChecks<I, O> checks() {
        return checks;
    }

    @Override
    public String toString() {
        return "Route[" + name + ", deadline=" + deadline + ", tiers=" + tiers
                + (onContextWindow == null ? "" : ", onContextWindow=" + onContextWindow) + "]";
    }

    /** Builds a {@link Route}; {@link #build()} checks it and says precisely what is wrong. */
    public static final class Builder<I, O> {

        private final Router router;
        private final String name;
        private Duration deadline = DEFAULT_DEADLINE;
        private final List<Tier<I, O>> tiers = new ArrayList<>();
        private Tier<I, O> onContextWindow;
        private final List<RequestValidator<? super I, ? super O>> validators = new ArrayList<>();
        private ToDoubleFunction<? super O> confidence;
        private double confidenceFloor;
        private Set<FailureKind> fallbackOn = FailureKind.DEFAULT_FALLBACK;
        private int maxAttempts = Integer.MAX_VALUE;
        private double maxCost = Double.POSITIVE_INFINITY;
        private double fallbackSpendPerDay = Double.POSITIVE_INFINITY;
        private boolean bestEffort;
        private final List<DegradedStep<I, O>> degraded = new ArrayList<>();
        private DegradedStep.LastKnownGood<I, O> lastKnownGood;

        Builder(Router router, String name) {
            this.router = Objects.requireNonNull(router, "router");
            if (name == null || name.isBlank()) {
                throw new InvalidRouteException("a route needs a name");
            }
            this.name = name;
        }

        /** The end-to-end deadline over every attempt, retry and fallback; 60 seconds unless set. */
        public Builder<I, O> deadline(Duration deadline) {
            this.deadline = Objects.requireNonNull(deadline, "deadline");
            return this;
        }

        Builder<I, O> noDeadline() {
            this.deadline = null;
            return this;
        }

        /** Appends a tier. */
        public Builder<I, O> tier(Tier<I, O> tier) {
            tiers.add(Objects.requireNonNull(tier, "tier"));
            return this;
        }

        /** Appends a tier of these providers with no timeout of its own and no retry. */
        @SafeVarargs
        public final Builder<I, O> tier(Provider<I, O>... providers) {
            return tier(Tier.of(providers));
        }

        /**
         * The larger-context providers of this route: when an attempt fails with
         * {@link FailureKind#CONTEXT_WINDOW}, the request moves at once to {@code tier} (not to the
         * remaining ordinary providers, which would most likely refuse it too), whatever the fallback
         * kinds say. The tier is consulted only after such a failure; within it, a context-window
         * failure moves to its next provider (skipping any that already refused this request, from an
         * ordinary tier), and when none is left, the last refusal goes to the caller as it is. Its other failures follow its own (or the route's) fallback kinds and
         * end the live tiers.
         */
        public Builder<I, O> onContextWindow(Tier<I, O> tier) {
            this.onContextWindow = Objects.requireNonNull(tier, "tier");
            return this;
        }

        /** Like {@link #onContextWindow(Tier)} with a tier of these providers, tried in order. */
        @SafeVarargs
        public final Builder<I, O> onContextWindow(Provider<I, O>... providers) {
            return onContextWindow(Tier.of(providers));
        }

        /** Adds a validator every answer must pass; a rejected answer falls back like a failure. */
        public Builder<I, O> validate(Validator<? super O> validator) {
            Objects.requireNonNull(validator, "validator");
            validators.add((request, answer) -> validator.check(answer));
            return this;
        }

        /** Adds a check of every answer against its request; a rejected answer falls back like a failure. */
        public Builder<I, O> validate(RequestValidator<? super I, ? super O> validator) {
            validators.add(Objects.requireNonNull(validator, "validator"));
            return this;
        }

        /**
         * Rejects, as {@link FailureKind#LOW_CONFIDENCE}, an answer whose {@code score} is under
         * {@code floor}.
         */
        public Builder<I, O> confidenceFloor(double floor, ToDoubleFunction<? super O> score) {
            if (!Double.isFinite(floor)) {
                throw new InvalidRouteException("route '" + name + "': confidence floor must be a finite number, was " + floor);
            }
            this.confidence = Objects.requireNonNull(score, "score");
            this.confidenceFloor = floor;
            return this;
        }

        /**
         * The failure kinds that move on past a provider, for tiers that do not name their own;
         * {@link FailureKind#DEFAULT_FALLBACK} unless set.
         */
        public Builder<I, O> fallbackOn(FailureKind first, FailureKind... more) {
            this.fallbackOn = Collections.unmodifiableSet(EnumSet.of(first, more));
            return this;
        }

        /**
         * Stops a request after {@code maxAttempts} provider calls (retries, hedges and fallbacks included):
         * the ceiling of a cascade.
         */
        public Builder<I, O> maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new InvalidRouteException("route '" + name + "': maxAttempts must be at least 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Stops a request before a call that could take its spending past {@code maxCost}, counting
         * each provider's {@link Provider#cost}: the cost ceiling of a cascade.
         */
        public Builder<I, O> maxCost(double maxCost) {
            if (!(maxCost >= 0)) {
                throw new InvalidRouteException("route '" + name + "': maxCost must be a number >= 0, was " + maxCost);
            }
            this.maxCost = maxCost;
            return this;
        }

        /**
         * Caps what the tiers after the first (and the context-window tier) may spend a day, counting each
         * provider's {@link Provider#cost} in the router's {@linkplain Router.Builder#counters counters} (days
         * start at midnight UTC): once the day's spend reaches {@code perDay}, their providers are refused without
         * a call ({@code fallback spend cap of 20 a day reached}) as an open breaker's are, so the route serves
         * from its first tier or goes on to its degraded steps until the next day.
         */
        public Builder<I, O> fallbackSpendPerDay(double perDay) {
            if (!(perDay >= 0) || Double.isInfinite(perDay)) {
                throw new InvalidRouteException("route '" + name + "': fallbackSpendPerDay must be a finite number >= 0, was "
                        + perDay);
            }
            this.fallbackSpendPerDay = perDay;
            return this;
        }

        /**
         * When the live tiers end (a ceiling, or the last tier failed) and a provider did answer but the
         * answer was rejected (a validator, the confidence floor), serve the best such answer, marked
         * {@link Degraded.Kind#BELOW_FLOOR}, rather than fail. The best is the highest-scoring under the
         * confidence floor, else the latest.
         */
        public Builder<I, O> bestEffort() {
            this.bestEffort = true;
            return this;
        }

        /**
         * After every live tier failed, serve the last good answer to a request with the same
         * {@code key}, if it is at most {@code maxStaleness} old; keeps up to 10,000 keys.
         */
        public Builder<I, O> lastKnownGood(Function<? super I, ?> key, Duration maxStaleness) {
            return lastKnownGood(key, maxStaleness, 10_000);
        }

        /** Like {@link #lastKnownGood(Function, Duration)}, keeping up to {@code capacity} keys. */
        public Builder<I, O> lastKnownGood(Function<? super I, ?> key, Duration maxStaleness, int capacity) {
            return lastKnownGood(key, maxStaleness, capacity, null);
        }

        /**
         * Like {@link #lastKnownGood(Function, Duration, int)}, and shared by the routes of this name in a fleet
         * when the router's {@linkplain Router.Builder#stateStore state store} shares answers: each good answer is
         * kept there too, encoded by {@code codec}, under the key's {@code String.valueOf}; a route that has no
         * fresh answer of its own asks the store (within the store's timeout and the time left) and serves that
         * answer with the age it has in the store. A null {@code codec} keeps the answers in this route only.
         */
        public Builder<I, O> lastKnownGood(Function<? super I, ?> key, Duration maxStaleness, int capacity,
                                           AnswerCodec<O> codec) {
            if (lastKnownGood != null) {
                throw new InvalidRouteException("route '" + name + "': lastKnownGood is already set");
            }
            if (maxStaleness == null || maxStaleness.isNegative() || maxStaleness.isZero()) {
                throw new InvalidRouteException("route '" + name + "': maxStaleness must be positive, was " + maxStaleness);
            }
            if (capacity < 1) {
                throw new InvalidRouteException("route '" + name + "': lastKnownGood capacity must be at least 1, was " + capacity);
            }
            lastKnownGood = new DegradedStep.LastKnownGood<>(name, key, maxStaleness, capacity,
                    codec != null ? router.sharedAnswers() : null, codec);
            degraded.add(lastKnownGood);
            return this;
        }

        /** After every live tier (and any degraded step before this) failed, serve {@code answer}. */
        public Builder<I, O> defaultAnswer(O answer) {
            degraded.add(new DegradedStep.StaticDefault<>(answer));
            return this;
        }

        /**
         * After every live tier (and any degraded step before this) failed, hand the request off and
         * serve what {@code handOff} answers; it gets 2 seconds.
         */
        public Builder<I, O> handOff(HandOff<I, O> handOff) {
            degraded.add(new DegradedStep.HandingOff<>(handOff, Duration.ofSeconds(2)));
            return this;
        }

        /** The route, or an {@link InvalidRouteException} saying what is wrong. */
        public Route<I, O> build() {
            String where = "route '" + name + "': ";
            if (tiers.isEmpty()) {
                throw new InvalidRouteException(where + "no tiers; add at least one with tier(...)");
            }
            if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
                throw new InvalidRouteException(where + "deadline must be positive, was " + deadline);
            }
            StringJoiner timeouts = new StringJoiner(", ");
            boolean everyTimeoutLonger = deadline != null;
            for (int t = 0; t < tiers.size(); t++) {
                Tier<I, O> tier = tiers.get(t);
                check(where + "tier " + t, tier);
                if (tier.timeout() == null) {
                    everyTimeoutLonger = false;
                } else {
                    timeouts.add(Durations.format(tier.timeout()));
                    everyTimeoutLonger &= tier.timeout().compareTo(deadline) > 0;
                }
            }
            if (everyTimeoutLonger) {
                throw new InvalidRouteException(where + "deadline " + Durations.format(deadline)
                        + " is shorter than every tier timeout (" + timeouts + "); no tier could use its own timeout");
            }
            if (onContextWindow != null) {
                check(where + "the context-window tier", onContextWindow);
                onContextWindow.providers().forEach(provider -> router.state(provider.name()));
            }
            for (Tier<I, O> tier : tiers) {
                tier.providers().forEach(provider -> router.state(provider.name()));
            }
            return new Route<>(this);
        }

        private static void check(String which, Tier<?, ?> tier) {
            Set<String> seen = new HashSet<>();
            for (Provider<?, ?> provider : tier.providers()) {
                String providerName = provider.name();
                if (providerName == null || providerName.isBlank()) {
                    throw new InvalidRouteException(which + " has a provider with no name");
                }
                if (!seen.add(providerName)) {
                    throw new InvalidRouteException(which + " names provider '" + providerName + "' twice");
                }
            }
            String unknown = tier.balancer().unknownProviders(seen);
            if (unknown != null) {
                throw new InvalidRouteException(which + " weighs providers it does not have: " + unknown);
            }
        }
    }
}
