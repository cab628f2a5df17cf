package dev.detour.state.redis;

import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * A provider's breaker shared by a fleet: its state and window live in Redis ({@code breaker.lua}), changed
 * atomically by every router's results; each router decides from its {@link View} of that state, kept current by
 * the scripts' replies and the pub/sub channel, so a call never waits on Redis. Half-open probe permits are leased
 * from Redis, so the fleet probes as many times as the policy says, not that many times per router. Results are
 * sent in batches, one command in flight at a time (a probe's at once, alone). Every result
 * also goes to a local breaker, heard by the listener only while Redis is unavailable, which then decides (an open
 * fleet breaker still holds until its open time ends).
 */
final class SharedBreaker implements CircuitBreaker {

    private static final BreakerState[] STATES = {BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN,
            BreakerState.FORCED_OPEN};

    private final String provider;
    private final BreakerPolicy policy;
    private final BreakerListener listener;
    private final CircuitBreaker local;
    private final RedisLink link;
    private final LongSupplier clock;
    private final String[] keys;
    private final String[] policyArgs;
    private final AtomicReference<View> view = new AtomicReference<>(View.UNKNOWN);
    private final AtomicInteger leases = new AtomicInteger();
    private final AtomicInteger probes = new AtomicInteger();
    private final AtomicBoolean asking = new AtomicBoolean();
    private final AtomicReference<String> whileAway = new AtomicReference<>();
    private final StringBuilder pending = new StringBuilder();
    private final AtomicBoolean sending = new AtomicBoolean();
    private long pendingRetryAfter;

    SharedBreaker(String provider, BreakerPolicy policy, BreakerListener listener, CircuitBreaker local,
                  RedisLink link, LongSupplier clock) {
        this.provider = provider;
        this.policy = policy;
        this.listener = listener;
        this.local = local;
        this.link = link;
        this.clock = clock;
        String key = link.prefix + "breaker:{" + provider + "}";
        this.keys = new String[] {key, key + ":w"};
        this.policyArgs = new String[] {link.channel, provider,
                Integer.toString(policy.timeBased() ? 0 : policy.countWindow()),
                Long.toString(policy.timeBased() ? policy.timeWindow().toMillis() : 0),
                Integer.toString(policy.minimumCalls()), Double.toString(policy.failureRate()),
                Double.toString(policy.tripsOnSlowCalls() ? policy.slowCallRate() : 2.0),
                Long.toString(policy.openFor().toMillis()), Integer.toString(policy.halfOpenProbes())};
        refresh();
    }

    /** The listener the local breaker gets: it speaks only while the local breaker decides. */
    static BreakerListener whenAway(RedisLink link, BreakerListener listener) {
        return (provider, from, to, reason) -> {
            if (!link.available()) {
                listener.onTransition(provider, from, to, reason);
            }
        };
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
        View v = view.get();
        if (!link.available()) {
            return v.openAt(nowNanos) ? BreakerState.OPEN : local.state(nowNanos);
        }
        return v.state == BreakerState.OPEN && !v.openAt(nowNanos) ? BreakerState.HALF_OPEN : v.state;
    }

    @Override
    public boolean tryAcquire(long nowNanos) {
        View v = view.get();
        if (!link.available()) {
            return !v.openAt(nowNanos) && local.tryAcquire(nowNanos);
        }
        switch (v.state) {
            case CLOSED:
                return true;
            case FORCED_OPEN:
                return false;
            case OPEN:
                if (v.openAt(nowNanos)) {
                    return false;
                }
                break;
            default:
                break;
        }
        if (take(leases)) {
            probes.incrementAndGet();
            return true;
        }
        if (asking.compareAndSet(false, true)) {
            run("acquire").doFinally(signal -> asking.set(false)).subscribe();
        }
        return false;
    }

    @Override
    public void onResult(FailureKind failure, long durationNanos, Duration retryAfter, long nowNanos) {
        local.onResult(failure, durationNanos, retryAfter, nowNanos);
        boolean failed = failure != null && policy.records(failure);
        boolean slow = policy.tripsOnSlowCalls() && durationNanos >= policy.slowerThan().toNanos();
        long retryAfterMillis = failed && retryAfter != null ? Math.max(0, retryAfter.toMillis()) : 0;
        char result = (char) ('0' + (failed ? 1 : 0) + (slow ? 2 : 0));
        if (take(probes)) {
            run("record", String.valueOf(result), Long.toString(retryAfterMillis), "1", String.valueOf(failure),
                    Long.toString(durationNanos / 1_000_000)).subscribe();
        } else if (link.available()) {
            synchronized (pending) {
                pending.append(result);
                pendingRetryAfter = Math.max(pendingRetryAfter, retryAfterMillis);
            }
            send();
        }
    }

    /** Sends the results not sent yet in one command, one command in flight at a time. */
    private void send() {
        if (!sending.compareAndSet(false, true)) {
            return;
        }
        String results;
        long retryAfterMillis;
        synchronized (pending) {
            results = pending.toString();
            retryAfterMillis = pendingRetryAfter;
            pending.setLength(0);
            pendingRetryAfter = 0;
        }
        if (results.isEmpty()) {
            sending.set(false);
            return;
        }
        run("record", results, Long.toString(retryAfterMillis), "0", "", "0")
                .doFinally(signal -> {
                    sending.set(false);
                    boolean more;
                    synchronized (pending) {
                        more = pending.length() > 0;
                    }
                    if (more) {
                        send();
                    }
                })
                .subscribe();
    }

    @Override
    public void onCancel(long nowNanos) {
        local.onCancel(nowNanos);
        if (take(probes)) {
            run("cancel").subscribe();
        }
    }

    @Override
    public void forceOpen(long nowNanos) {
        local.forceOpen(nowNanos);
        operate("force");
    }

    @Override
    public void reset(long nowNanos) {
        local.reset(nowNanos);
        operate("reset");
    }

    private void operate(String op) {
        if (link.available()) {
            run(op).subscribe();
        } else {
            whileAway.set(op);
        }
    }

    @Override
    public Snapshot snapshot(long nowNanos) {
        if (!link.available()) {
            return local.snapshot(nowNanos);
        }
        View v = view.get();
        BreakerState state = state(nowNanos);
        Duration openFor = state == BreakerState.OPEN ? Duration.ofNanos(v.untilNanos - nowNanos) : Duration.ZERO;
        return new Snapshot(state, v.calls, v.failures, v.slow, v.calls == 0 ? 0 : v.failures / (double) v.calls,
                v.calls == 0 ? 0 : v.slow / (double) v.calls, openFor);
    }

    /** Reads the fleet's state again (Redis answers again): first sends what an operator did while it was away. */
    void refresh() {
        String op = whileAway.getAndSet(null);
        run(op != null ? op : "read").subscribe();
    }

    /** A transition another router announced on the channel: {@code state|open ms left|generation|reason}. */
    void announced(String[] fields) {
        apply(new View(STATES[Integer.parseInt(fields[2])], clock.getAsLong() + Long.parseLong(fields[3]) * 1_000_000,
                Long.parseLong(fields[4]), 0, 0, 0, fields[5]), false);
    }

    private reactor.core.publisher.Mono<List<Object>> run(String op, String... more) {
        String[] args = new String[1 + policyArgs.length + more.length];
        args[0] = op;
        System.arraycopy(policyArgs, 0, args, 1, policyArgs.length);
        System.arraycopy(more, 0, args, 1 + policyArgs.length, more.length);
        return link.eval(RedisLink.BREAKER, keys, args).doOnNext(this::replied);
    }

    private void replied(List<Object> reply) {
        if (reply.size() < 8) {
            return;
        }
        apply(new View(STATES[((Long) reply.get(0)).intValue()],
                clock.getAsLong() + (Long) reply.get(1) * 1_000_000, (Long) reply.get(2),
                ((Long) reply.get(3)).intValue(), ((Long) reply.get(4)).intValue(), ((Long) reply.get(5)).intValue(),
                (String) reply.get(6)), true);
        if ((Long) reply.get(7) == 1) {
            leases.incrementAndGet();
        }
    }

    private void apply(View next, boolean counts) {
        View previous;
        View merged;
        do {
            previous = view.get();
            if (next.generation < previous.generation) {
                return;
            }
            merged = counts || next.generation > previous.generation ? next
                    : new View(next.state, next.untilNanos, next.generation, previous.calls, previous.failures,
                    previous.slow, next.reason);
        } while (!view.compareAndSet(previous, merged));
        if (previous.state == next.state || previous == View.UNKNOWN && next.state == BreakerState.CLOSED) {
            return;
        }
        long now = clock.getAsLong();
        if (next.state == BreakerState.FORCED_OPEN) {
            local.forceOpen(now);
        } else if (previous.state == BreakerState.FORCED_OPEN) {
            local.reset(now);
        }
        if (next.state != BreakerState.HALF_OPEN) {
            leases.set(0);
        }
        listener.onTransition(provider, previous == View.UNKNOWN ? BreakerState.CLOSED : previous.state, next.state,
                next.reason);
    }

    private static boolean take(AtomicInteger count) {
        for (int n = count.get(); n > 0; n = count.get()) {
            if (count.compareAndSet(n, n - 1)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "SharedBreaker[" + provider + ", " + view.get().state + "]";
    }

    /** What this router knows of the fleet's breaker. */
    private record View(BreakerState state, long untilNanos, long generation, int calls, int failures, int slow,
                        String reason) {

        static final View UNKNOWN = new View(BreakerState.CLOSED, 0, -1, 0, 0, 0, "");

        boolean openAt(long nowNanos) {
            return state == BreakerState.OPEN && nowNanos - untilNanos < 0;
        }
    }
}
