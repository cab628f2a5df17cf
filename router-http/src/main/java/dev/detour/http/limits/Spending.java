package dev.detour.http.limits;

import dev.detour.core.Route;
import dev.detour.http.gateway.CallTrail;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one request used and spent, counted once, however it ended (answered, failed, or left by its client):
 * what its provider calls cost and the tokens they used, each stream's at its own provider's prices
 * ({@link CallTrail}), toward its client key's limits and in the meters per key and per route; and the tokens
 * of each stream of a tier after the first toward its route's fallback spend cap (a whole answer's calls count
 * there as they end).
 */
public final class Spending {

    private final KeyLimits limits;
    private final KeyLimits.Key key;
    private final Route<?, ?> route;
    private final CallTrail calls;
    private final AtomicBoolean counted = new AtomicBoolean();

    /**
     * A request of {@code key} (null: keys are off) on {@code route} (metered by its name), whose provider calls
     * {@code calls} notes.
     */
    public Spending(KeyLimits limits, KeyLimits.Key key, Route<?, ?> route, CallTrail calls) {
        this.limits = limits;
        this.key = key;
        this.route = route;
        this.calls = calls;
    }

    /** Counts what the request's calls used and cost; only the first time it is called. */
    public void charge() {
        if (counted.compareAndSet(false, true)) {
            calls.streams().forEach(stream -> route.charge(stream.tier(), stream.cost()));
            limits.used(key, route.name(), calls.used(), calls.spent());
        }
    }
}
