package dev.detour.core.internal;

import dev.detour.core.Failure;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One call to one provider, settled exactly once: by its answer or failure (judged, then
 * {@linkplain #settled settled}), or by a cancellation ({@linkplain #cancelled cancelled}), whichever
 * comes first. Detour's own timeout is told apart from a provider's; an answer that arrives when nobody
 * will take it (the call was cancelled, or settled) is {@linkplain #discard discarded}. Subclasses do
 * the bookkeeping; one instance serves one subscription. Internal.
 *
 * @param <O> the answer type
 */
public abstract class ProviderCall<O> {

    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<ProviderCall> SETTLED =
            AtomicIntegerFieldUpdater.newUpdater(ProviderCall.class, "settled");
    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<ProviderCall, Object> UNCLAIMED =
            AtomicReferenceFieldUpdater.newUpdater(ProviderCall.class, Object.class, "unclaimed");
    private static final Object CLOSED = new Object();

    private volatile int settled;
    private volatile Object unclaimed;

    /** Judges an answer; must not throw. */
    protected abstract Judgement<O> judge(O value);

    /** The call ended with {@code judgement} before any cancellation: the verdict to emit. */
    protected abstract Verdict<O> settled(Judgement<O> judgement);

    /** The call was cancelled before it ended. */
    protected abstract void cancelled();

    /** What an error of the call means. */
    protected abstract Failure classify(Throwable error);

    /** The failure of a call that Detour's own timeout ended {@code after} it started, with that {@code timeout}. */
    protected abstract Failure timedOut(Duration after, Throwable timeout);

    /** Hands an answer nobody will receive to the caller's discard hook. */
    protected abstract void discard(O value);

    /**
     * The call's verdict: {@code answer} bounded by {@code timeout} (none when null) on
     * {@code scheduler}. Completes empty when the call was cancelled first.
     */
    public final Mono<Verdict<O>> mono(Mono<O> answer, Duration timeout, Scheduler scheduler) {
        Mono<O> offered = answer.doOnNext(this::offer);
        if (timeout != null) {
            offered = offered.timeout(timeout, Mono.error(() -> new AttemptTimeout(timeout)), scheduler);
        }
        return offered.map(this::judge)
                .defaultIfEmpty(Judgement.empty())
                .onErrorResume(error -> Mono.just(error instanceof AttemptTimeout
                        ? Judgement.timedOut(timedOut(timeout, error))
                        : Judgement.failed(classify(error))))
                .<Verdict<O>>handle((judgement, sink) -> {
                    Verdict<O> verdict = settle(judgement);
                    if (verdict != null) {
                        sink.next(verdict);
                    }
                })
                .doFinally(signal -> close())
                .doOnCancel(this::cancel);
    }

    private void offer(O value) {
        if (!UNCLAIMED.compareAndSet(this, null, value)) {
            discard(value);
        }
    }

    private Verdict<O> settle(Judgement<O> judgement) {
        if (judgement.value() != null && !UNCLAIMED.compareAndSet(this, judgement.value(), null)) {
            return null;
        }
        if (SETTLED.compareAndSet(this, 0, 1)) {
            return settled(judgement);
        }
        if (judgement.value() != null) {
            discard(judgement.value());
        }
        return null;
    }

    private void cancel() {
        if (SETTLED.compareAndSet(this, 0, 1)) {
            cancelled();
        }
    }

    @SuppressWarnings("unchecked")
    private void close() {
        Object value = UNCLAIMED.getAndSet(this, CLOSED);
        if (value != null && value != CLOSED) {
            discard((O) value);
        }
    }

    /** Detour's own attempt timeout, told apart from a provider's. */
    static final class AttemptTimeout extends TimeoutException {

        AttemptTimeout(Duration after) {
            super("no answer within " + after.toMillis() + "ms");
        }

        @Override
        public Throwable fillInStackTrace() {
            return this;
        }
    }
}
