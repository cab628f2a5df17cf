package dev.detour.core;

import dev.detour.core.policy.Balancer;
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
 * tier. An immutable value; each setter returns a copy.
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

    private Tier(List<Provider<I, O>> providers, Duration timeout, RetryPolicy retry, Set<FailureKind> fallbackOn,
                 HedgePolicy hedge, Balancer balancer) {
        this.providers = providers;
        this.timeout = timeout;
        this.retry = retry;
        this.fallbackOn = fallbackOn;
        this.hedge = hedge;
        this.balancer = balancer;
    }

    /** A tier of these providers, with no timeout of its own, no retry, and the route's fallback kinds. */
    @SafeVarargs
    public static <I, O> Tier<I, O> of(Provider<I, O>... providers) {
        return of(List.of(providers));
    }

    /** A tier of these providers, with no timeout of its own, no retry, and the route's fallback kinds. */
    public static <I, O> Tier<I, O> of(List<? extends Provider<I, O>> providers) {
        if (providers.isEmpty()) {
            throw new InvalidRouteException("a tier needs at least one provider");
        }
        return new Tier<>(List.copyOf(providers), null, RetryPolicy.none(), null, null, Balancer.ordered());
    }

    /** A copy whose attempts each take at most {@code timeout} (and never more than the deadline leaves). */
    public Tier<I, O> timeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidRouteException("tier " + names() + ": timeout must be positive, was " + timeout);
        }
        return new Tier<>(providers, timeout, retry, fallbackOn, hedge, balancer);
    }

    /** A copy that retries each provider by {@code retry}. */
    public Tier<I, O> retry(RetryPolicy retry) {
        return new Tier<>(providers, timeout, Objects.requireNonNull(retry, "retry"), fallbackOn, hedge, balancer);
    }

    /**
     * A copy that moves on past a provider on failures of these kinds only; any other failure goes to
     * the caller as it is. Without this, the route's {@link Route.Builder#fallbackOn} applies.
     */
    public Tier<I, O> fallbackOn(FailureKind first, FailureKind... more) {
        return new Tier<>(providers, timeout, retry, Collections.unmodifiableSet(EnumSet.of(first, more)), hedge,
                balancer);
    }

    /**
     * A copy that hedges each attempt by {@code hedge}: for idempotent calls only, since the request may
     * reach two providers.
     */
    public Tier<I, O> hedge(HedgePolicy hedge) {
        return new Tier<>(providers, timeout, retry, fallbackOn, Objects.requireNonNull(hedge, "hedge"), balancer);
    }

    /** A copy that orders its providers for each request by {@code balancer}. */
    public Tier<I, O> balance(Balancer balancer) {
        return new Tier<>(providers, timeout, retry, fallbackOn, hedge, Objects.requireNonNull(balancer, "balancer"));
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
}
