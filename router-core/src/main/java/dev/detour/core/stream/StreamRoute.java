package dev.detour.core.stream;

import dev.detour.core.Attempt;
import dev.detour.core.DeadlineExceededException;
import dev.detour.core.Durations;
import dev.detour.core.Failure;
import dev.detour.core.Outcome;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.RouteEvent;
import dev.detour.core.RouteFailedException;
import dev.detour.core.internal.Engine;
import dev.detour.core.internal.RequestTrace;
import io.micrometer.observation.Observation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;

/**
 * A route whose answers are streams (tokens of an LLM answer). Until a stream's first element arrives,
 * it is an ordinary attempt of the underlying {@link Route}: the tier's timeout is the time-to-first-token
 * timeout, and retries, hedges (on first token), breakers and fallbacks all apply, invisibly to the
 * caller. After the first element, the stream is relayed with an idle timeout between elements; a
 * failure then follows the route's mid-stream mode, and always ends in an explicit error, never in a
 * silent clean end. A stream that ends without its final element is a failure too.
 *
 * <p>The route's deadline bounds the whole stream: a continuation gets only the time left, no provider
 * call starts after it, and a stream still running when it expires ends with a {@link MidStreamException}.
 *
 * <p>A continuation is seamless or it is not served: the continuing provider's text is matched against
 * what the caller already has, and whatever it restates is removed before any of it is released (only as
 * much is held back as the decision needs); a continuation that restates and then diverges is a failure
 * of that provider. When nothing can continue, the caller gets a {@link MidStreamException} carrying the
 * original failure.
 *
 * <pre>{@code
 * StreamRoute<ChatRequest, ChatChunk> chat = StreamRoute.of(route)
 *         .idleTimeout(Duration.ofSeconds(10))
 *         .finalWhen(chunk -> chunk.finishReason() != null)
 *         .continueMidStream(continuation)
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
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final Engine.Access ENGINE = Engine.access();

    private final Route<I, Started<T>> route;
    private final Duration idleTimeout;
    private final Predicate<? super T> isFinal;
    private final Predicate<? super T> malformed;
    private final boolean skipMalformed;
    private final Continuation<I, T> continuation;
    private final BiFunction<? super I, Flux<T>, Flux<T>> assembly;
    private final Set<String> neverContinuing;

    private StreamRoute(Builder<I, T> builder) {
        this.route = builder.route;
        this.idleTimeout = builder.idleTimeout;
        this.isFinal = builder.isFinal;
        this.malformed = builder.malformed;
        this.skipMalformed = builder.skipMalformed;
        this.continuation = builder.continuation;
        this.assembly = builder.assembly;
        Set<String> never = new HashSet<>();
        if (continuation != null) {
            route.tiers().forEach(tier -> tier.providers().forEach(provider -> {
                if (!continuation.continues(provider.name())) {
                    never.add(provider.name());
                }
            }));
        }
        this.neverContinuing = Set.copyOf(never);
    }

    /** A builder of a streaming route over {@code route}, whose providers answer with {@link Started} streams. */
    public static <I, T> Builder<I, T> of(Route<I, Started<T>> route) {
        return new Builder<>(route);
    }

    /** The underlying route. */
    public Route<I, Started<T>> route() {
        return route;
    }

    /** The idle timeout between elements, or null when there is none. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Streams the answer to {@code request}. Cancelling it cancels the provider's stream. */
    public Flux<T> stream(I request) {
        return open(request).flatMapMany(Opened::elements);
    }

    /**
     * Opens the stream: completes when the first element is in hand (so an HTTP server can send its
     * headers, naming the provider, only then), or fails as the route does before it. The
     * {@link Opened#elements()} must be subscribed, or {@link Opened#cancel()} called.
     */
    public Mono<Opened<T>> open(I request) {
        return Mono.defer(() -> new Relay(request).open());
    }

    /**
     * An opened stream: the outcome that started it (provider, tier, attempts before the first element),
     * every element, the first ones included, and the report of what happened after the first element.
     */
    public record Opened<T>(Outcome<Started<T>> outcome, Flux<T> elements, StreamReport report) {

        /** Cancels a stream nobody will read. */
        public void cancel() {
            outcome.value().cancel();
        }
    }

    /** One request's stream, across the providers that serve it. */
    private final class Relay {

        private final I original;
        private final Scheduler scheduler = ENGINE.router(route).scheduler();
        private final long deadlineAt;
        private final StreamReport report = new StreamReport();
        private final List<T> relayed = new ArrayList<>();
        private final Set<String> failed = new HashSet<>(neverContinuing);
        private int count;
        private volatile boolean finished;
        private volatile boolean delivered;
        private volatile boolean read;
        private String provider;
        private T marker;
        private Failure firstFailure;
        private String firstProvider;
        private StringBuilder afterwards;
        private RequestTrace trace;

        Relay(I original) {
            this.original = original;
            Duration deadline = route.deadline();
            this.deadlineAt = deadline == null ? NO_DEADLINE : now() + deadline.toNanos();
        }

        Mono<Opened<T>> open() {
            return Mono.deferContextual(context -> {
                trace = ENGINE.streamTrace(route, context);
                if (trace == null) {
                    return execute(original, Set.of())
                            .map(outcome -> new Opened<>(outcome, assembly.apply(original, guarded(segment(outcome, null))), report));
                }
                return execute(original, Set.of())
                        .map(outcome -> {
                            Started<T> started = outcome.value();
                            started.whenCancelled(() -> unread(started, outcome.provider()));
                            return new Opened<>(outcome, assembly.apply(original, traced(guarded(segment(outcome, null)))),
                                    report);
                        })
                        .doFinally(signal -> {
                            if (signal != SignalType.ON_COMPLETE) {
                                trace.stop();
                            }
                        });
            });
        }

        /** An opened stream cancelled before anyone read it: its attempt and request end as such. */
        private void unread(Started<T> started, String from) {
            if (!read) {
                trace.discarded(started);
                trace.ended("cancelled", from, -1, null, false);
            }
        }

        private Mono<Outcome<Started<T>>> execute(I request, Set<String> skip) {
            Mono<Outcome<Started<T>>> outcome = ENGINE.execute(route, request, skip,
                    deadlineAt == NO_DEADLINE ? null : Duration.ofNanos(deadlineAt - now()));
            if (trace != null) {
                RequestTrace shared = trace;
                outcome = outcome.contextWrite(context -> context.put(RequestTrace.KEY, shared));
            }
            return outcome.doOnDiscard(STARTED, Started::cancel);
        }

        /** The whole stream, ending the request's observation as it ends. */
        private Flux<T> traced(Flux<T> elements) {
            return elements
                    .doOnSubscribe(subscription -> read = true)
                    .doOnError(error -> trace.ended(error instanceof MidStreamException failed && failed.deadlineExceeded()
                            ? "deadline_exceeded" : "midstream_failed", provider, -1, error, true))
                    .doOnCancel(() -> trace.ended("cancelled", provider, -1, null, true))
                    .doFinally(signal -> trace.stop());
        }

        /** The whole stream under the deadline: past it, the stream is cancelled and ends in an error. */
        private Flux<T> guarded(Flux<T> elements) {
            if (deadlineAt == NO_DEADLINE) {
                return elements;
            }
            Mono<Long> expiry = Mono.defer(() -> Mono.delay(Duration.ofNanos(Math.max(0, deadlineAt - now())), scheduler));
            return elements
                    .takeUntilOther(expiry)
                    .doOnNext(element -> {
                        if (isFinal.test(element)) {
                            delivered = true;
                        }
                    })
                    .concatWith(Mono.defer(() -> delivered ? Mono.empty() : Mono.error(this::deadlineExceeded)));
        }

        /** One provider's part of the answer; {@code failover} is null for the first. */
        private Flux<T> segment(Outcome<Started<T>> outcome, Failover failover) {
            Started<T> started = outcome.value();
            String from = outcome.provider();
            long begin = now();
            provider = from;
            finished = false;
            if (idleTimeout != null) {
                started.idleTimeout(idleTimeout, ENGINE.router(route).scheduler());
            }
            Flux<T> elements = Flux.concat(Flux.fromIterable(started.head()), started.rest());
            if (malformed != null) {
                elements = elements.filter(element -> !skipped(element, from));
            }
            if (failover != null) {
                elements = reconciled(elements, failover);
            }
            Flux<T> relayedElements = elements
                    .doOnNext(this::relay)
                    .concatWith(Mono.defer(() -> finished ? Mono.empty()
                            : Mono.error(new IllegalStateException("stream ended without its final chunk"))))
                    .doFinally(signal -> started.cancel());
            if (trace != null) {
                Flux<T> untraced = relayedElements;
                relayedElements = Flux.defer(() -> {
                    Observation attempt = trace.relayed(started);
                    return attempt == null ? untraced
                            : untraced.doOnComplete(() -> RequestTrace.relayEnded(attempt, null, null))
                                    .doOnError(error -> RequestTrace.relayEnded(attempt, finished ? null : Failure.of(error), error))
                                    .doOnCancel(() -> RequestTrace.relayEnded(attempt, null, null));
                });
            }
            return relayedElements
                    .onErrorResume(error -> finished ? Mono.empty() : failed(from, begin, error));
        }

        private boolean skipped(T element, String from) {
            if (!malformed.test(element)) {
                return false;
            }
            if (!skipMalformed) {
                throw new ProviderException(Failure.invalid(String.valueOf(element)));
            }
            report.skip();
            ENGINE.publish(route, new RouteEvent.StreamElementSkipped(route.name(), from, String.valueOf(element)));
            return true;
        }

        /** Counts an element the caller received; keeps it only when a continuation may need it. */
        private void relay(T element) {
            if (element == marker) {
                return;
            }
            count++;
            if (continuation != null) {
                relayed.add(element);
            }
            if (isFinal.test(element)) {
                finished = true;
            }
        }

        private Flux<T> failed(String from, long begin, Throwable error) {
            Failure failure = Failure.of(error);
            if (firstFailure == null) {
                firstFailure = failure;
                firstProvider = from;
            } else {
                afterwards = (afterwards == null ? new StringBuilder() : afterwards)
                        .append("; then ").append(from).append(" failed: ").append(failure);
            }
            I next = continuation == null ? null : continuation.request(original, List.copyOf(relayed));
            boolean late = now() >= deadlineAt;
            ENGINE.midStreamFailure(route, from, count, failure, next != null && !late,
                    Duration.ofNanos(now() - begin));
            if (trace != null) {
                trace.midStreamFailed(from, failure, next != null && !late);
            }
            if (late) {
                return Flux.error(deadlineExceeded());
            }
            if (continuation == null) {
                return Flux.error(giveUp(""));
            }
            if (next == null) {
                return Flux.error(giveUp("; cannot continue"));
            }
            failed.add(from);
            int sent = count;
            int words = words();
            return execute(next, Set.copyOf(failed))
                    .doOnNext(outcome -> report.called(outcome.calls()))
                    .onErrorMap(later -> {
                        if (later instanceof RouteFailedException failedToo) {
                            report.called(Attempt.calls(failedToo.attempts()));
                        }
                        return later instanceof DeadlineExceededException || now() >= deadlineAt ? deadlineExceeded()
                                : giveUp("; continuation failed: " + later.getMessage());
                    })
                    .flatMapMany(outcome -> segment(outcome, new Failover(from, outcome.provider(), failure, sent, words, 0)));
        }

        /** The continuation, less what it restates, after the marker; held back only until that is decided. */
        private Flux<T> reconciled(Flux<T> elements, Failover failover) {
            return Flux.defer(() -> {
                int entry = report.failedOver(failover);
                Reconciler<T> reconciler = new Reconciler<>(sentText(), continuation, isFinal,
                        restated -> settled(entry, failover, restated));
                return elements.concatMapIterable(reconciler::next).concatWith(Flux.defer(reconciler::end));
            });
        }

        /** The continuation's restatement is decided: report it, and make the marker that goes before it. */
        private T settled(int entry, Failover failover, int restated) {
            Failover done = new Failover(failover.from(), failover.to(), failover.reason(), failover.relayed(),
                    failover.sentWords(), restated);
            report.settled(entry, done);
            ENGINE.publish(route, new RouteEvent.StreamContinued(route.name(), done.from(), done.to(),
                    done.reason(), done.relayed(), done.sentWords(), restated));
            marker = continuation.marker(done);
            return marker;
        }

        private MidStreamException giveUp(String why) {
            String more = afterwards == null ? "" : afterwards.toString();
            return new MidStreamException(route.name(), firstProvider, count, firstFailure,
                    firstFailure + more + why, false);
        }

        private MidStreamException deadlineExceeded() {
            String why = "deadline " + Durations.format(route.deadline()) + " exceeded"
                    + (firstFailure == null ? "" : " (it had failed: " + firstFailure + ")");
            Failure timeout = Failure.timeout(route.deadline());
            return new MidStreamException(route.name(), provider, count, timeout, why, true);
        }

        private String sentText() {
            StringBuilder text = new StringBuilder();
            for (T element : relayed) {
                CharSequence part = continuation.text(element);
                if (part != null) {
                    text.append(part);
                }
            }
            return text.toString();
        }

        private int words() {
            String text = sentText();
            int words = 0;
            for (int i = 0; i < text.length(); i++) {
                if (!Character.isWhitespace(text.charAt(i)) && (i == 0 || Character.isWhitespace(text.charAt(i - 1)))) {
                    words++;
                }
            }
            return words;
        }

        private long now() {
            return ENGINE.router(route).scheduler().now(TimeUnit.NANOSECONDS);
        }

    }

    /** Builds a {@link StreamRoute}. */
    public static final class Builder<I, T> {

        private final Route<I, Started<T>> route;
        private Duration idleTimeout;
        private Predicate<? super T> isFinal = element -> true;
        private Predicate<? super T> malformed;
        private boolean skipMalformed;
        private Continuation<I, T> continuation;
        private BiFunction<? super I, Flux<T>, Flux<T>> assembly = (request, elements) -> elements;

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

        /**
         * Drops the elements {@code malformed} matches (e.g. an event that was not valid JSON), counting each
         * in the {@link StreamReport} and as a {@link RouteEvent.StreamElementSkipped}, instead of relaying
         * them; unset, every element is relayed.
         */
        public Builder<I, T> skipWhen(Predicate<? super T> malformed) {
            this.malformed = Objects.requireNonNull(malformed, "malformed");
            this.skipMalformed = true;
            return this;
        }

        /**
         * Fails the stream, as {@link dev.detour.core.policy.FailureKind#INVALID} with the element's {@code toString()}
         * as the detail, at the first element {@code malformed} matches; unset, every element is relayed.
         */
        public Builder<I, T> failWhen(Predicate<? super T> malformed) {
            this.malformed = Objects.requireNonNull(malformed, "malformed");
            this.skipMalformed = false;
            return this;
        }

        /** Ends a stream that fails after its first element with a {@link MidStreamException} (the default). */
        public Builder<I, T> failMidStream() {
            this.continuation = null;
            return this;
        }

        /** Continues a stream that fails after its first element on another provider, as {@code continuation} says. */
        public Builder<I, T> continueMidStream(Continuation<I, T> continuation) {
            this.continuation = Objects.requireNonNull(continuation, "continuation");
            return this;
        }

        /**
         * Continues a stream that fails after its first element on another provider, relaying the continuation
         * as it comes: {@code request} makes, from the original request and the elements received so far, the
         * request that asks for the rest (or returns null when the answer cannot be continued);
         * {@code marker} makes the element, sent before the continuation, that says the provider changed
         * (from, to).
         */
        public Builder<I, T> continueMidStream(BiFunction<? super I, List<T>, ? extends I> request,
                                               BiFunction<String, String, ? extends T> marker) {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(marker, "marker");
            return continueMidStream(new Continuation<>() {
                @Override
                public I request(I original, List<T> relayed) {
                    return request.apply(original, relayed);
                }

                @Override
                public T marker(Failover failover) {
                    return marker.apply(failover.from(), failover.to());
                }
            });
        }

        /**
         * How the elements of every provider that served a request are shaped into the caller's one answer
         * (e.g. one identity, usage summed), given the request; applied to every stream this route opens.
         */
        public Builder<I, T> assembled(BiFunction<? super I, Flux<T>, Flux<T>> assembly) {
            this.assembly = Objects.requireNonNull(assembly, "assembly");
            return this;
        }

        /** The streaming route. */
        public StreamRoute<I, T> build() {
            return new StreamRoute<>(this);
        }
    }
}
