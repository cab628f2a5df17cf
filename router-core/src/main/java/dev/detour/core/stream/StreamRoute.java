package dev.detour.core.stream;

import dev.detour.core.Failure;
import dev.detour.core.Outcome;
import dev.detour.core.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A route whose answers are streams (tokens of an LLM answer). Until a stream's first element arrives,
 * it is an ordinary attempt of the underlying {@link Route}: the tier's timeout is the time-to-first-token
 * timeout, and retries, hedges (on first token), breakers and fallbacks all apply, invisibly to the
 * caller. After the first element, the stream is relayed with an idle timeout between elements; a
 * failure then follows the route's {@link MidStream} mode, and always ends in an explicit error, never
 * in a silent clean end. A stream that ends without its final element is a failure too.
 *
 * <pre>{@code
 * StreamRoute<ChatRequest, ChatChunk> chat = StreamRoute.of(route)
 *         .idleTimeout(Duration.ofSeconds(10))
 *         .finalWhen(chunk -> chunk.finishReason() != null)
 *         .midStream(MidStream.CONTINUE, continuation, marker)
 *         .build();
 * Flux<ChatChunk> tokens = chat.stream(request);
 * }</pre>
 *
 * @param <I> the request type
 * @param <T> the element type
 */
public final class StreamRoute<I, T> {

    @SuppressWarnings("unchecked")
    private static final Class<Started<?>> STARTED = (Class<Started<?>>) (Class<?>) Started.class;

    private final Route<I, Started<T>> route;
    private final Duration idleTimeout;
    private final Predicate<? super T> isFinal;
    private final MidStream mode;
    private final BiFunction<? super I, List<T>, ? extends I> continuation;
    private final BiFunction<String, String, ? extends T> marker;

    private StreamRoute(Builder<I, T> builder) {
        this.route = builder.route;
        this.idleTimeout = builder.idleTimeout;
        this.isFinal = builder.isFinal;
        this.mode = builder.mode;
        this.continuation = builder.continuation;
        this.marker = builder.marker;
    }

    /** A builder of a streaming route over {@code route}, whose providers answer with {@link Started} streams. */
    public static <I, T> Builder<I, T> of(Route<I, Started<T>> route) {
        return new Builder<>(route);
    }

    /** The underlying route. */
    public Route<I, Started<T>> route() {
        return route;
    }

    /** Streams the answer to {@code request}. Cancelling it cancels the provider's stream. */
    public Flux<T> stream(I request) {
        return Flux.defer(() -> relay(request, request, Set.of(), new Progress(), null));
    }

    /**
     * Opens the stream: completes when the first element is in hand (so an HTTP server can send its
     * headers, naming the provider, only then), or fails as the route does before it. The
     * {@link Opened#elements()} must be subscribed, or {@link Opened#cancel()} called.
     */
    public Mono<Opened<T>> open(I request) {
        return Mono.defer(() -> route.execute(request, Set.of())
                .doOnDiscard(STARTED, Started::cancel)
                .map(outcome -> new Opened<>(outcome, elements(outcome, request, Set.of(), new Progress(), null))));
    }

    /**
     * An opened stream: the outcome that started it (provider, tier, attempts before the first element)
     * and every element, the first ones included.
     */
    public record Opened<T>(Outcome<Started<T>> outcome, Flux<T> elements) {

        /** Cancels a stream nobody will read. */
        public void cancel() {
            outcome.value().cancel();
        }
    }

    private Flux<T> relay(I original, I request, Set<String> skip, Progress progress, String previous) {
        return route.execute(request, skip)
                .doOnDiscard(STARTED, Started::cancel)
                .flatMapMany(outcome -> elements(outcome, original, skip, progress, previous));
    }

    private Flux<T> elements(Outcome<Started<T>> outcome, I original, Set<String> skip, Progress progress, String previous) {
        Started<T> started = outcome.value();
        String provider = outcome.provider();
        progress.finished = false;
        if (idleTimeout != null) {
            started.idleTimeout(idleTimeout);
        }
        Flux<T> relayed = Flux.concat(Flux.fromIterable(started.head()), started.rest())
                .doOnNext(progress::add)
                .concatWith(Mono.defer(() -> progress.finished ? Mono.empty()
                        : Mono.error(new IllegalStateException("stream ended without its final chunk"))));
        if (previous != null) {
            relayed = Flux.concat(Mono.just(marker.apply(previous, provider)), relayed);
        }
        return relayed
                .doFinally(signal -> started.cancel())
                .onErrorResume(error -> progress.finished ? Mono.empty() : failed(original, skip, progress, provider, error));
    }

    private Flux<T> failed(I original, Set<String> skip, Progress progress, String provider, Throwable error) {
        Failure failure = Failure.of(error);
        String why = failure.toString();
        I next = mode == MidStream.CONTINUE ? continuation.apply(original, List.copyOf(progress.elements)) : null;
        route.router().midStreamFailure(route.name(), provider, progress.count(), failure, next != null);
        if (mode == MidStream.ERROR) {
            return Flux.error(new MidStreamException(route.name(), provider, progress.count(), why, error));
        }
        if (next == null) {
            return Flux.error(new MidStreamException(route.name(), provider, progress.count(), why + "; cannot continue", error));
        }
        Set<String> without = new HashSet<>(skip);
        without.add(provider);
        return relay(original, next, Set.copyOf(without), progress, provider)
                .onErrorMap(later -> !(later instanceof MidStreamException), later -> new MidStreamException(
                        route.name(), provider, progress.count(), why + "; continuation failed: " + later.getMessage(), later));
    }

    /** What the caller has received, across the providers of one request. */
    private final class Progress {

        final List<T> elements = new ArrayList<>();
        boolean finished;

        void add(T element) {
            elements.add(element);
            if (isFinal.test(element)) {
                finished = true;
            }
        }

        int count() {
            return elements.size();
        }
    }

    /** Builds a {@link StreamRoute}. */
    public static final class Builder<I, T> {

        private final Route<I, Started<T>> route;
        private Duration idleTimeout;
        private Predicate<? super T> isFinal = element -> true;
        private MidStream mode = MidStream.ERROR;
        private BiFunction<? super I, List<T>, ? extends I> continuation;
        private BiFunction<String, String, ? extends T> marker;

        private Builder(Route<I, Started<T>> route) {
            this.route = Objects.requireNonNull(route, "route");
        }

        /** Fails the stream when no element arrives for {@code idleTimeout} after the first; none unless set. */
        public Builder<I, T> idleTimeout(Duration idleTimeout) {
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be positive, was " + idleTimeout);
            }
            this.idleTimeout = idleTimeout;
            return this;
        }

        /**
         * Which element says the answer is complete (e.g. a chunk with a finish reason); a stream that
         * completes without one is a failure. Unset, any completion after the first element counts.
         */
        public Builder<I, T> finalWhen(Predicate<? super T> isFinal) {
            this.isFinal = Objects.requireNonNull(isFinal, "isFinal");
            return this;
        }

        /** Ends a stream that fails after its first element with a {@link MidStreamException} (the default). */
        public Builder<I, T> failMidStream() {
            this.mode = MidStream.ERROR;
            return this;
        }

        /**
         * Continues a stream that fails after its first element on another provider: {@code continuation}
         * makes, from the original request and the elements received so far, the request that asks for
         * the rest (or returns null when the answer cannot be continued, e.g. inside a tool call);
         * {@code marker} makes the element, sent before the continuation, that says the provider changed
         * (from, to).
         */
        public Builder<I, T> continueMidStream(BiFunction<? super I, List<T>, ? extends I> continuation,
                                               BiFunction<String, String, ? extends T> marker) {
            this.mode = MidStream.CONTINUE;
            this.continuation = Objects.requireNonNull(continuation, "continuation");
            this.marker = Objects.requireNonNull(marker, "marker");
            return this;
        }

        /** The streaming route. */
        public StreamRoute<I, T> build() {
            return new StreamRoute<>(this);
        }
    }
}
