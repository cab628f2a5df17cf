package dev.detour.state.redis;

import dev.detour.core.internal.BudgetTracker;
import dev.detour.core.policy.Budget;
import dev.detour.core.spi.ExtraCalls;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A provider's retry or hedge budget counted for a fleet in Redis ({@code budget.lua}: buckets over the budget's
 * window). This router adds its calls and extras in batches, one command in flight at a time, and decides from
 * the fleet's totals of the last reply plus what it has not sent yet, so a decision never waits on Redis and lags
 * the fleet by at most one round trip. A local {@link BudgetTracker} counts too and decides while Redis is away.
 */
final class SharedBudget implements ExtraCalls {

    private static final int BUCKETS = 10;

    private final Budget budget;
    private final BudgetTracker local;
    private final RedisLink link;
    private final String[] keys;
    private final String window;
    private final AtomicBoolean sending = new AtomicBoolean();
    private long fleetCalls;
    private long fleetExtras;
    private long pendingCalls;
    private long pendingExtras;
    private long sentCalls;
    private long sentExtras;

    SharedBudget(String provider, String purpose, Budget budget, RedisLink link) {
        this.budget = budget;
        this.local = new BudgetTracker(budget);
        this.link = link;
        this.keys = new String[] {link.prefix + "budget:{" + provider + "}:" + purpose};
        this.window = Long.toString(budget.window().toMillis());
    }

    @Override
    public void recordCall(long nowNanos) {
        local.recordCall(nowNanos);
        if (link.available()) {
            synchronized (this) {
                pendingCalls++;
            }
            send();
        }
    }

    @Override
    public boolean tryExtra(long nowNanos) {
        boolean locally = local.tryExtra(nowNanos);
        if (!link.available()) {
            return locally;
        }
        synchronized (this) {
            long calls = fleetCalls + sentCalls + pendingCalls;
            long extras = fleetExtras + sentExtras + pendingExtras;
            if (extras + 1 > budget.ratioOfCalls() * calls + budget.minExtra()) {
                return false;
            }
            pendingExtras++;
        }
        send();
        return true;
    }

    private void send() {
        if (!sending.compareAndSet(false, true)) {
            return;
        }
        long calls;
        long extras;
        synchronized (this) {
            calls = sentCalls = pendingCalls;
            extras = sentExtras = pendingExtras;
            pendingCalls = 0;
            pendingExtras = 0;
        }
        if (calls == 0 && extras == 0) {
            sending.set(false);
            return;
        }
        link.eval(RedisLink.BUDGET, keys, Long.toString(calls), Long.toString(extras), window, Integer.toString(BUCKETS))
                .doFinally(signal -> sent())
                .subscribe(this::replied);
    }

    private void sent() {
        boolean more;
        synchronized (this) {
            sentCalls = 0;
            sentExtras = 0;
            more = pendingCalls + pendingExtras > 0;
        }
        sending.set(false);
        if (more) {
            send();
        }
    }

    private void replied(List<Object> reply) {
        if (reply.size() == 2) {
            synchronized (this) {
                fleetCalls = (Long) reply.get(0);
                fleetExtras = (Long) reply.get(1);
            }
        }
    }
}
