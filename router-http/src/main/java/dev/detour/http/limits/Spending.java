package dev.detour.http.limits;

import dev.detour.core.Outcome;
import dev.detour.http.gateway.CallTrail;
import dev.detour.http.gateway.Gateway;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Usage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one chat request used and spent, counted once, when its answer is in hand (a stream: when it ends):
 * toward its client key's limits, in the meters per key and per route, and, for a stream served by a tier after
 * the first, toward its route's fallback spend cap (a whole answer's calls count there as they end).
 */
public final class Spending {

    private final KeyLimits limits;
    private final KeyLimits.Key key;
    private final Gateway gateway;
    private final Gateway.ChatRoute route;
    private final CallTrail calls;
    private final AtomicBoolean counted = new AtomicBoolean();

    /** A request of {@code key} (null: keys are off) on {@code route}, whose provider calls {@code calls} notes. */
    public Spending(KeyLimits limits, KeyLimits.Key key, Gateway gateway, Gateway.ChatRoute route, CallTrail calls) {
        this.limits = limits;
        this.key = key;
        this.gateway = gateway;
        this.route = route;
        this.calls = calls;
    }

    /** A whole answer: its usage (none for a degraded step's answer), and what every call of the request cost. */
    public void answered(Outcome<ChatResponse> outcome) {
        if (counted.compareAndSet(false, true)) {
            limits.used(key, route.config().alias(), outcome.tier() >= 0 ? outcome.value().usage() : null, calls.spent());
        }
    }

    /**
     * A stream that ended (or was left): the usage it reported (null: none), priced at the token prices of the
     * provider that started it, on top of what every call of the request cost.
     */
    public void streamed(Outcome<?> opened, Usage usage) {
        if (counted.compareAndSet(false, true)) {
            double tokens = usage == null ? 0 : gateway.tokenCost(opened.provider(), usage);
            route.streaming().route().charge(opened.tier(), tokens);
            limits.used(key, route.config().alias(), usage, calls.spent() + tokens);
        }
    }
}
