package dev.detour.core.internal;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A {@link CircuitBreaker} held in this JVM's memory. A closed or forced-open breaker answers
 * {@link #tryAcquire(long)} from a volatile field; everything else holds the breaker's monitor for a
 * few steps and never blocks otherwise. Transitions are queued under the monitor and given to the
 * listener after it is released, in order, by one thread at a time (possibly another caller's).
 */
final class LocalCircuitBreaker implements CircuitBreaker {

    private static final Logger log = Loggers.getLogger(LocalCircuitBreaker.class);
    private static final long MAX_OPEN_NANOS = Long.MAX_VALUE / 4;
    private static final Duration MAX_OPEN = Duration.ofNanos(MAX_OPEN_NANOS);

    private final String provider;
    private final BreakerPolicy policy;
    private final BreakerListener listener;
    private final Window window;
    private final long openForNanos;
    private final long slowNanos;

    private volatile BreakerState state = BreakerState.CLOSED;
    private volatile long openUntil;
    private int permitsLeft;
    private int probesOut;
    private int probesSucceeded;

    private final Queue<Transition> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger delivering = new AtomicInteger();

    LocalCircuitBreaker(String provider, BreakerPolicy policy, BreakerListener listener) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.window = !policy.enabled() ? new CountWindow(1)
                : policy.timeBased() ? new TimeWindow(policy.timeWindow()) : new CountWindow(policy.countWindow());
        this.openForNanos = nanos(policy.openFor());
        this.slowNanos = policy.tripsOnSlowCalls() ? nanos(policy.slowerThan()) : Long.MAX_VALUE;
    }

    @Override
    public String provider() {
        return provider;
    }

    @Override
    public BreakerPolicy policy() {
        return policy;
    }

    @Override
    public BreakerState state(long nowNanos) {
        BreakerState current = state;
        if (current != BreakerState.OPEN || nowNanos - openUntil < 0) {
            return current;
        }
        synchronized (this) {
            halfOpenIfDue(nowNanos);
            current = state;
        }
        deliver();
        return current;
    }

    @Override
    public boolean tryAcquire(long nowNanos) {
        BreakerState current = state;
        if (current == BreakerState.CLOSED) {
            return true;
        }
        if (current == BreakerState.FORCED_OPEN || current == BreakerState.OPEN && nowNanos - openUntil < 0) {
            return false;
        }
        boolean allowed;
        synchronized (this) {
            allowed = acquireLocked(nowNanos);
        }
        deliver();
        return allowed;
    }

    private boolean acquireLocked(long nowNanos) {
        halfOpenIfDue(nowNanos);
        switch (state) {
            case CLOSED:
                return true;
            case HALF_OPEN:
                if (permitsLeft == 0) {
                    return false;
                }
                permitsLeft--;
                probesOut++;
                return true;
            default:
                return false;
        }
    }

    @Override
    public void onResult(FailureKind failure, long durationNanos, Duration retryAfter, long nowNanos) {
        if (!policy.enabled()) {
            return;
        }
        boolean failed = failure != null && policy.records(failure);
        boolean slow = durationNanos >= slowNanos;
        long retryAfterNanos = failed ? nanos(retryAfter) : 0;
        synchronized (this) {
            switch (state) {
                case CLOSED:
                    window.record(failed, slow, nowNanos);
                    tripIfDue(nowNanos, retryAfterNanos);
                    break;
                case OPEN:
                    long until = nowNanos + retryAfterNanos;
                    if (retryAfterNanos > 0 && until - openUntil > 0) {
                        openUntil = until;
                    }
                    break;
                case HALF_OPEN:
                    probeEnded(failure, failed, slow, durationNanos, retryAfterNanos, nowNanos);
                    break;
                default:
                    break;
            }
        }
        deliver();
    }

    private void tripIfDue(long nowNanos, long retryAfterNanos) {
        window.total(nowNanos);
        long calls = window.calls;
        if (calls < policy.minimumCalls()) {
            return;
        }
        double failureRate = window.failures / (double) calls;
        if (failureRate >= policy.failureRate()) {
            open(nowNanos, retryAfterNanos, "failure rate " + percent(failureRate) + " >= "
                    + percent(policy.failureRate()) + " over " + calls + " calls");
            return;
        }
        double slowCallRate = window.slow / (double) calls;
        if (policy.tripsOnSlowCalls() && slowCallRate >= policy.slowCallRate()) {
            open(nowNanos, retryAfterNanos, "slow-call rate " + percent(slowCallRate) + " >= "
                    + percent(policy.slowCallRate()) + " over " + calls + " calls");
        }
    }

    private void probeEnded(FailureKind failure, boolean failed, boolean slow, long durationNanos,
                            long retryAfterNanos, long nowNanos) {
        if (probesOut == 0) {
            return;
        }
        probesOut--;
        if (failed) {
            open(nowNanos, retryAfterNanos, "probe failed: " + failure);
        } else if (slow) {
            open(nowNanos, 0, "probe slow: " + durationNanos / 1_000_000 + "ms >= " + slowNanos / 1_000_000 + "ms");
        } else if (++probesSucceeded >= policy.halfOpenProbes()) {
            window.clear();
            transition(BreakerState.CLOSED, probesSucceeded == 1 ? "1 probe succeeded"
                    : probesSucceeded + " probes succeeded");
        }
    }

    @Override
    public void onCancel(long nowNanos) {
        if (state != BreakerState.HALF_OPEN) {
            return;
        }
        synchronized (this) {
            if (state == BreakerState.HALF_OPEN && probesOut > 0) {
                probesOut--;
                permitsLeft++;
            }
        }
    }

    @Override
    public void forceOpen(long nowNanos) {
        synchronized (this) {
            if (state != BreakerState.FORCED_OPEN) {
                transition(BreakerState.FORCED_OPEN, "forced open");
            }
        }
        deliver();
    }

    @Override
    public void reset(long nowNanos) {
        synchronized (this) {
            window.clear();
            if (state != BreakerState.CLOSED) {
                transition(BreakerState.CLOSED, "reset");
            }
        }
        deliver();
    }

    @Override
    public Snapshot snapshot(long nowNanos) {
        Snapshot snapshot;
        synchronized (this) {
            halfOpenIfDue(nowNanos);
            window.total(nowNanos);
            long calls = window.calls;
            BreakerState current = state;
            Duration openFor = current == BreakerState.OPEN ? Duration.ofNanos(openUntil - nowNanos) : Duration.ZERO;
            snapshot = new Snapshot(current, saturatedInt(calls), saturatedInt(window.failures),
                    saturatedInt(window.slow), calls == 0 ? 0 : window.failures / (double) calls,
                    calls == 0 ? 0 : window.slow / (double) calls, openFor);
        }
        deliver();
        return snapshot;
    }

    private void halfOpenIfDue(long nowNanos) {
        if (state == BreakerState.OPEN && nowNanos - openUntil >= 0) {
            transition(BreakerState.HALF_OPEN, "open time over");
            permitsLeft = policy.halfOpenProbes();
        }
    }

    private void open(long nowNanos, long retryAfterNanos, String reason) {
        openUntil = nowNanos + Math.max(openForNanos, retryAfterNanos);
        transition(BreakerState.OPEN, reason);
    }

    private void transition(BreakerState to, String reason) {
        pending.add(new Transition(state, to, reason));
        state = to;
        permitsLeft = 0;
        probesOut = 0;
        probesSucceeded = 0;
    }

    private void deliver() {
        if (pending.isEmpty() || delivering.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            for (Transition transition = pending.poll(); transition != null; transition = pending.poll()) {
                try {
                    listener.onTransition(provider, transition.from, transition.to, transition.reason);
                } catch (RuntimeException e) {
                    log.warn("breaker listener {} failed on {} {} -> {}", listener, provider, transition.from,
                            transition.to, e);
                }
            }
            missed = delivering.addAndGet(-missed);
        } while (missed != 0);
    }

    private static long nanos(Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            return 0;
        }
        return duration.compareTo(MAX_OPEN) >= 0 ? MAX_OPEN_NANOS : duration.toNanos();
    }

    private static int saturatedInt(long value) {
        return (int) Math.min(Integer.MAX_VALUE, value);
    }

    static String percent(double rate) {
        double rounded = Math.round(rate * 1000) / 10.0;
        return (rounded == Math.rint(rounded) ? Long.toString((long) rounded) : Double.toString(rounded)) + "%";
    }

    @Override
    public String toString() {
        return "LocalCircuitBreaker[" + provider + ", " + state + "]";
    }

    private static final class Transition {

        final BreakerState from;
        final BreakerState to;
        final String reason;

        Transition(BreakerState from, BreakerState to, String reason) {
            this.from = from;
            this.to = to;
            this.reason = reason;
        }
    }

    /** The counts of recent results; used only under the breaker's monitor. */
    private abstract static class Window {

        long calls;
        long failures;
        long slow;

        abstract void record(boolean failed, boolean slow, long nowNanos);

        /** Brings {@link #calls}, {@link #failures} and {@link #slow} up to {@code nowNanos}. */
        abstract void total(long nowNanos);

        abstract void clear();
    }

    /** The last {@code n} results in a ring, with running totals. */
    private static final class CountWindow extends Window {

        private static final byte FAILED = 1;
        private static final byte SLOW = 2;

        private final byte[] results;
        private int next;

        CountWindow(int size) {
            this.results = new byte[size];
        }

        @Override
        void record(boolean failed, boolean slow, long nowNanos) {
            if (calls == results.length) {
                byte old = results[next];
                failures -= old & FAILED;
                this.slow -= (old & SLOW) >> 1;
            } else {
                calls++;
            }
            results[next] = (byte) ((failed ? FAILED : 0) | (slow ? SLOW : 0));
            failures += failed ? 1 : 0;
            this.slow += slow ? 1 : 0;
            next = next + 1 == results.length ? 0 : next + 1;
        }

        @Override
        void total(long nowNanos) {
        }

        @Override
        void clear() {
            calls = 0;
            failures = 0;
            slow = 0;
            next = 0;
        }
    }

    /** The results of the last window, in {@link TimeBuckets}; results older than it are dropped. */
    private static final class TimeWindow extends Window {

        private static final int CALLS = 0;
        private static final int FAILURES = 1;
        private static final int SLOW = 2;

        private final TimeBuckets buckets;
        private final long[] totals = new long[3];

        TimeWindow(Duration window) {
            this.buckets = new TimeBuckets(window, 3);
        }

        @Override
        void record(boolean failed, boolean slow, long nowNanos) {
            int bucket = buckets.bucket(nowNanos);
            if (bucket < 0) {
                return;
            }
            buckets.increment(bucket, CALLS);
            if (failed) {
                buckets.increment(bucket, FAILURES);
            }
            if (slow) {
                buckets.increment(bucket, SLOW);
            }
        }

        @Override
        void total(long nowNanos) {
            buckets.totals(nowNanos, totals);
            calls = totals[CALLS];
            failures = totals[FAILURES];
            slow = totals[SLOW];
        }

        @Override
        void clear() {
            buckets.clear();
            calls = 0;
            failures = 0;
            slow = 0;
        }
    }
}
