package dev.detour.core.internal;

import dev.detour.core.Attempt;
import dev.detour.core.policy.FailureKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.IntFunction;

/**
 * One request's record: its attempts in order, each provider's attempt numbers, the calls made and
 * money spent against the route's ceilings, the best answer a check rejected, and whether the request
 * has ended. Hedged attempts write to it from several threads at once; it guards itself. Internal.
 *
 * @param <O> the answer type
 */
public final class Trail<O> {

    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<Trail, Verdict> BEST =
            AtomicReferenceFieldUpdater.newUpdater(Trail.class, Verdict.class, "best");
    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<Trail> ENDED = AtomicIntegerFieldUpdater.newUpdater(Trail.class, "ended");

    private final int maxAttempts;
    private final double maxCost;
    private final Object lock = new Object();
    private final List<Attempt> attempts = new ArrayList<>(4);
    private final Map<String, Integer> numbers = new HashMap<>(4);
    private int calls;
    private double spent;
    private volatile Verdict<O> best;
    private volatile int ended;

    /** A trail under the ceilings of at most {@code maxAttempts} provider calls and {@code maxCost} spent. */
    public Trail(int maxAttempts, double maxCost) {
        this.maxAttempts = maxAttempts;
        this.maxCost = maxCost;
    }

    /** The next attempt number of {@code provider}, from 1. */
    public int number(String provider) {
        synchronized (lock) {
            return numbers.merge(provider, 1, Integer::sum);
        }
    }

    /** Counts {@code calls} provider calls and {@code cost} spent. */
    public void charge(int calls, double cost) {
        synchronized (lock) {
            this.calls += calls;
            this.spent += cost;
        }
    }

    /** The ceiling a call costing {@code cost} would pass ({@code attempt ceiling 3}), or null. */
    public String ceiling(double cost) {
        synchronized (lock) {
            if (calls >= maxAttempts) {
                return "attempt ceiling " + maxAttempts;
            }
            if (spent + cost > maxCost) {
                return "cost ceiling " + maxCost + " (spent " + spent + ")";
            }
            return null;
        }
    }

    /** Appends {@code attempt}. */
    public void add(Attempt attempt) {
        synchronized (lock) {
            attempts.add(attempt);
        }
    }

    /**
     * The first position from {@code from} in {@code order} whose provider (named by {@code names}) has
     * not refused this request's context already; the order's length when there is none.
     */
    public int notRefused(int[] order, int from, IntFunction<String> names) {
        synchronized (lock) {
            int next = from;
            while (next < order.length && refusedContext(names.apply(order[next]))) {
                next++;
            }
            return next;
        }
    }

    private boolean refusedContext(String provider) {
        for (Attempt attempt : attempts) {
            if (attempt.failure() != null && attempt.failure().kind() == FailureKind.CONTEXT_WINDOW
                    && attempt.provider().equals(provider)) {
                return true;
            }
        }
        return false;
    }

    /** The attempts so far. */
    public List<Attempt> attempts() {
        synchronized (lock) {
            return List.copyOf(attempts);
        }
    }

    /** Ends the request: its attempts, or null when it had ended already. */
    public List<Attempt> end() {
        synchronized (lock) {
            return ENDED.compareAndSet(this, 0, 1) ? attempts() : null;
        }
    }

    /**
     * Keeps {@code rejected}, a rejected answer, when it beats the best so far: the highest score, else
     * the latest when neither is scored. Returns the verdict not kept (to discard), or null.
     */
    @SuppressWarnings("unchecked")
    public Verdict<O> keep(Verdict<O> rejected) {
        for (;;) {
            Verdict<O> current = best;
            if (current != null && !beats(rejected, current)) {
                return rejected;
            }
            if (BEST.compareAndSet(this, current, rejected)) {
                return current;
            }
        }
    }

    /** The best rejected answer kept, or null. */
    public Verdict<O> best() {
        return best;
    }

    private static boolean beats(Verdict<?> candidate, Verdict<?> best) {
        return candidate.scored() ? !best.scored() || candidate.score() >= best.score() : !best.scored();
    }
}
