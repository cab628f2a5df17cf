package dev.detour.core.internal;

import dev.detour.core.policy.Budget;
import dev.detour.core.spi.ExtraCalls;

/**
 * One provider's first attempts and extra calls over a {@link Budget}'s window, in {@link TimeBuckets}.
 * Thread-safe; each method holds a short lock and never blocks otherwise.
 */
public final class BudgetTracker implements ExtraCalls {

    private static final int CALLS = 0;
    private static final int EXTRAS = 1;

    private final Budget budget;
    private final boolean unlimited;
    private final TimeBuckets window;
    private final long[] totals = new long[2];

    /** A counter against {@code budget}. */
    public BudgetTracker(Budget budget) {
        this.budget = budget;
        this.unlimited = budget.ratioOfCalls() == Double.POSITIVE_INFINITY;
        this.window = new TimeBuckets(budget.window(), 2);
    }

    @Override
    public void recordCall(long nowNanos) {
        if (unlimited) {
            return;
        }
        synchronized (this) {
            window.count(nowNanos, CALLS);
        }
    }

    @Override
    public boolean tryExtra(long nowNanos) {
        if (unlimited) {
            return true;
        }
        synchronized (this) {
            window.totals(nowNanos, totals);
            if (totals[EXTRAS] + 1 > budget.ratioOfCalls() * totals[CALLS] + budget.minExtra()) {
                return false;
            }
            window.count(nowNanos, EXTRAS);
            return true;
        }
    }
}
