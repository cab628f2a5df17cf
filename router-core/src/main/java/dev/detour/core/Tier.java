package dev.detour.core;

import dev.detour.core.policy.Balancer;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One step of a route: providers of equal standing, ordered for each request by the tier's
 * {@link Balancer} (listed order unless set), each with the tier's per-attempt timeout, retry policy and
 * hedge policy; the failures that move on past a provider, to the next of the tier and then to the next
 * tier. An immutable value, built by {@link #builder(List)} (or {@link #of}); each wither returns a copy.
 *
 * <pre>{@code
 * Tier.of(openai, azure)
 *         .balance(Balancer.leastLatency())
 *         .timeout(Duration.ofSeconds(2))
 *         .retry(RetryPolicy.backoff(2, Duration.ofMillis(100)))
 *         .hedge(HedgePolicy.atPercentile(0.95))
 * }</pre>
 *
 * @param <I> the request type
 * @param <O> the answer type
 */
public final class Tier<I, O> {

    private final List<Provider<I, O>> providers;
    private final Duration timeout;
    private final RetryPolicy retry;
    private final Set<FailureKind> fallbackOn;
    private final HedgePolicy hedge;
    private final Balancer balancer;

    private Tier(Builder<I, O> builder) {
        this.providers = builder.providers;
        this.timeout = builder.timeout;
        this.retry = builder.retry;
        this.fallbackOn = builder.fallbackOn;
        this.hedge = builder.hedge;
        this.balancer = builder.balancer;
    }

    /** A tier of these providers, with no timeout of its own, no retry, and the route's fallback kinds. */
    @SafeVarargs
    public static <I, O> Tier<I, O> of(Provider<I, O>... providers) {
        return of(List.of(providers));
    }

    /** A tier of these providers, with no timeout of its own, no retry, and the route's fallback kinds. */
    public static <I, O> Tier<I, O> of(List<? extends Provider<I, O>> providers) {
        return Tier.<I, O>builder(providers).build();
    }

    /**
     * A builder of a tier of these providers (at least one): listed order, no timeout of its own, no
     * retry, no hedge and the route's fallback kinds unless set.
     *
     * <pre>{@code
     * Tier.builder(List.of(openai, azure)).timeout(Duration.ofSeconds(2)).retry(RetryPolicy.backoff(2, Duration.ofMillis(100))).build()
     * }</pre>
     */
    public static <I, O> Builder<I, O> builder(List<? extends Provider<I, O>> providers) {
        return new Builder<>(providers);
    }

    /** A builder holding this tier's settings. */
    public Builder<I, O> toBuilder() {
        Builder<I, O> builder = new Builder<>(providers);
        builder.timeout = timeout;
        builder.retry = retry;
        builder.fallbackOn = fallbackOn;
        builder.hedge = hedge;
        builder.balancer = balancer;
        return builder;
    }

    /** A copy whose attempts each take at most {@code timeout} (and never more than the deadline leaves). */
    public Tier<I, O> timeout(Duration timeout) {
        return toBuilder().timeout(timeout).build();
    }

    /** A copy that retries each provider by {@code retry}. */
    public Tier<I, O> retry(RetryPolicy retry) {
        return toBuilder().retry(retry).build();
    }

    /**
     * A copy that moves on past a provider on failures of these kinds only; any other failure goes to
     * the caller as it is. Without this, the route's {@link Route.Builder#fallbackOn} applies.
     */
    public Tier<I, O> fallbackOn(FailureKind first, FailureKind... more) {
        return toBuilder().fallbackOn(first, more).build();
    }

    /**
     * A copy that hedges each attempt by {@code hedge}: for idempotent calls only, since the request may
     * reach two providers.
     */
    public Tier<I, O> hedge(HedgePolicy hedge) {
        return toBuilder().hedge(hedge).build();
    }

    /** A copy that orders its providers for each request by {@code balancer}. */
    public Tier<I, O> balance(Balancer balancer) {
        return toBuilder().balance(balancer).build();
    }

    /** The providers, in the order they are tried. */
    public List<Provider<I, O>> providers() {
        return providers;
    }

    /** The per-attempt timeout, or null when only the deadline bounds an attempt. */
    public Duration timeout() {
        return timeout;
    }

    /** The retry policy. */
    public RetryPolicy retry() {
        return retry;
    }

    /** The failure kinds that move on, or null to use the route's. */
    public Set<FailureKind> fallbackOn() {
        return fallbackOn;
    }

    /** The hedge policy, or null when the tier does not hedge. */
    public HedgePolicy hedge() {
        return hedge;
    }

    /** The balancer. */
    public Balancer balancer() {
        return balancer;
    }

    String names() {
        return names(providers);
    }

    private static String names(List<? extends Provider<?, ?>> providers) {
        StringBuilder text = new StringBuilder().append('[');
        for (int i = 0; i < providers.size(); i++) {
            text.append(i == 0 ? "" : ", ").append(providers.get(i).name());
        }
        return text.append(']').toString();
    }

    @Override
    public String toString() {
        return "Tier" + names() + "[timeout=" + timeout + ", retry=" + retry + ", fallbackOn=" + fallbackOn
                + ", hedge=" + hedge + ", balancer=" + balancer + "]";
    }

    /** Builds a {@link Tier}: the one place its defaults and rules are stated. */
    public static final class Builder<I, O> {

        private final List<Provider<I, O>> providers;
        private Duration timeout;
        private RetryPolicy retry = RetryPolicy.none();
        private Set<FailureKind> fallbackOn;
        private HedgePolicy hedge;
        private Balancer balancer = Balancer.ordered();

        private Builder(List<? extends Provider<I, O>> providers) {
            if (providers.isEmpty()) {
                throw new InvalidRouteException("a tier needs at least one provider");
            }
            this.providers = List.copyOf(providers);
        }

        /** Each attempt takes at most {@code timeout} (positive; never more than the deadline leaves); unset, the deadline alone. */
        public Builder<I, O> timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new InvalidRouteException("tier " + names(providers) + ": timeout must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Retries each provider by {@code retry}; {@link RetryPolicy#none()} unless set. */
        public Builder<I, O> retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /** Moves on past a provider on failures of these kinds only; unset, the route's kinds apply. */
        public Builder<I, O> fallbackOn(FailureKind first, FailureKind... more) {
            this.fallbackOn = Collections.unmodifiableSet(EnumSet.of(first, more));
            return this;
        }

        /** Hedges each attempt by {@code hedge} (idempotent calls only); no hedging unless set. */
        public Builder<I, O> hedge(HedgePolicy hedge) {
            this.hedge = Objects.requireNonNull(hedge, "hedge");
            return this;
        }

        /** Orders the providers for each request by {@code balancer}; {@link Balancer#ordered()} unless set. */
        public Builder<I, O> balance(Balancer balancer) {
            this.balancer = Objects.requireNonNull(balancer, "balancer");
            return this;
        }

        /** The tier. */
        public Tier<I, O> build() {
            return new Tier<>(this);
        }
    }
}
