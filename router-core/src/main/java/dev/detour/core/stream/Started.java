package dev.detour.core.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A stream whose first element is in hand, with the rest still to come. As the answer of a route's
 * attempt it makes the first element what timeouts, retries, hedges and fallbacks are about: until
 * it arrives the stream can still be replaced invisibly.
 *
 * @param <T> the element type
 */
public final class Started<T> {

    private final List<T> head;
    private final Flux<T> rest;
    private final Splitter<T> upstream;
    private volatile Runnable whenCancelled;

    private Started(List<T> head, Flux<T> rest, Splitter<T> upstream) {
        this.head = head;
        this.rest = rest;
        this.upstream = upstream;
    }

    /**
     * Subscribes to {@code stream} and completes with its first element and the rest, which is buffered
     * until subscribed; completes empty, or fails, as the stream does before its first element.
     * Cancelling before the first element cancels the stream.
     */
    public static <T> Mono<Started<T>> of(Flux<T> stream) {
        return of(stream, element -> true);
    }

    /**
     * Like {@link #of(Flux)}, but the stream counts as started only at the first element that
     * {@code starts} (e.g. the first chunk with text, not an empty opening chunk); the elements before it
     * are kept and come first.
     */
    public static <T> Mono<Started<T>> of(Flux<T> stream, Predicate<? super T> starts) {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(starts, "starts");
        return Mono.create(sink -> {
            Splitter<T> splitter = new Splitter<>(sink, starts);
            sink.onCancel(splitter::cancelBeforeFirst);
            stream.contextWrite(sink.contextView()).subscribe(splitter);
        });
    }

    /** The elements up to and including the one that started the stream. */
    public List<T> head() {
        return head;
    }

    /** The elements after the first; subscribe once. Cancelling it cancels the stream. */
    public Flux<T> rest() {
        return rest;
    }

    /** Cancels the stream (for a started stream nobody will read, e.g. a hedge that came second). */
    public void cancel() {
        upstream.dispose();
        Runnable hook = whenCancelled;
        if (hook != null) {
            whenCancelled = null;
            hook.run();
        }
    }

    /** Runs {@code hook} when the stream is cancelled (a relay's: to end the observation of a stream nobody read). */
    void whenCancelled(Runnable hook) {
        this.whenCancelled = hook;
    }

    /**
     * Fails the rest with a {@link TimeoutException} when the provider sends nothing for {@code idle}
     * (measured at the provider's side, however fast the consumer reads), and cancels the stream; timed
     * on {@link Schedulers#parallel()} as it is now.
     */
    public void idleTimeout(Duration idle) {
        idleTimeout(idle, Schedulers.parallel());
    }

    /** Like {@link #idleTimeout(Duration)}, timed on {@code scheduler} (a route's: its router's). */
    public void idleTimeout(Duration idle, Scheduler scheduler) {
        upstream.idle(Objects.requireNonNull(idle, "idle"), Objects.requireNonNull(scheduler, "scheduler"));
    }

    private static final class Splitter<T> extends BaseSubscriber<T> {

        private final MonoSink<Started<T>> sink;
        private final Predicate<? super T> starts;
        private final Sinks.Many<T> rest = Sinks.many().unicast().onBackpressureBuffer();
        private List<T> head = new ArrayList<>(2);
        private boolean started;

        Splitter(MonoSink<Started<T>> sink, Predicate<? super T> starts) {
            this.sink = sink;
            this.starts = starts;
        }

        private Duration idle;
        private Scheduler scheduler;
        private Disposable timer;

        void cancelBeforeFirst() {
            dispose();
        }

        synchronized void idle(Duration idle, Scheduler scheduler) {
            this.idle = idle;
            this.scheduler = scheduler;
            restartTimer();
        }

        private synchronized void restartTimer() {
            if (timer != null) {
                timer.dispose();
            }
            if (idle != null && !isDisposed()) {
                Duration after = idle;
                timer = scheduler.schedule(() -> idled(after), after.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        private void idled(Duration after) {
            dispose();
            rest.tryEmitError(new TimeoutException("no chunk for " + after.toMillis() + "ms"));
        }

        private synchronized void stopTimer() {
            if (timer != null) {
                timer.dispose();
                timer = null;
            }
            idle = null;
        }

        @Override
        protected void hookOnNext(T value) {
            if (started) {
                restartTimer();
                rest.tryEmitNext(value);
                return;
            }
            head.add(value);
            if (starts.test(value)) {
                started = true;
                List<T> first = List.copyOf(head);
                head = null;
                sink.success(new Started<>(first, rest.asFlux().doOnCancel(this::dispose), this));
            }
        }

        @Override
        protected void hookOnComplete() {
            stopTimer();
            if (started) {
                rest.tryEmitComplete();
            } else {
                sink.success();
            }
        }

        @Override
        protected void hookOnError(Throwable error) {
            stopTimer();
            if (started) {
                rest.tryEmitError(error);
            } else {
                sink.error(error);
            }
        }
    }
}
