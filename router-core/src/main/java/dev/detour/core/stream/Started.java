package dev.detour.core.stream;

import java.util.Objects;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * A stream whose first element is in hand, with the rest still to come. As the answer of a route's
 * attempt it makes the first element what timeouts, retries, hedges and fallbacks are about: until
 * it arrives the stream can still be replaced invisibly.
 *
 * @param <T> the element type
 */
public final class Started<T> {

    private final T first;
    private final Flux<T> rest;
    private final Splitter<T> upstream;

    private Started(T first, Flux<T> rest, Splitter<T> upstream) {
        this.first = first;
        this.rest = rest;
        this.upstream = upstream;
    }

    /**
     * Subscribes to {@code stream} and completes with its first element and the rest, which is buffered
     * until subscribed; completes empty, or fails, as the stream does before its first element.
     * Cancelling before the first element cancels the stream.
     */
    public static <T> Mono<Started<T>> of(Flux<T> stream) {
        Objects.requireNonNull(stream, "stream");
        return Mono.create(sink -> {
            Splitter<T> splitter = new Splitter<>(sink);
            sink.onCancel(splitter::cancelBeforeFirst);
            stream.contextWrite(sink.contextView()).subscribe(splitter);
        });
    }

    /** The first element. */
    public T first() {
        return first;
    }

    /** The elements after the first; subscribe once. Cancelling it cancels the stream. */
    public Flux<T> rest() {
        return rest;
    }

    /** Cancels the stream (for a started stream nobody will read, e.g. a hedge that came second). */
    public void cancel() {
        upstream.dispose();
    }

    private static final class Splitter<T> extends BaseSubscriber<T> {

        private final MonoSink<Started<T>> sink;
        private final Sinks.Many<T> rest = Sinks.many().unicast().onBackpressureBuffer();
        private boolean started;

        Splitter(MonoSink<Started<T>> sink) {
            this.sink = sink;
        }

        void cancelBeforeFirst() {
            if (!started) {
                dispose();
            }
        }

        @Override
        protected void hookOnNext(T value) {
            if (started) {
                rest.tryEmitNext(value);
                return;
            }
            started = true;
            sink.success(new Started<>(value, rest.asFlux().doOnCancel(this::dispose), this));
        }

        @Override
        protected void hookOnComplete() {
            if (started) {
                rest.tryEmitComplete();
            } else {
                sink.success();
            }
        }

        @Override
        protected void hookOnError(Throwable error) {
            if (started) {
                rest.tryEmitError(error);
            } else {
                sink.error(error);
            }
        }
    }
}
