package dev.detour.core;

import dev.detour.core.spi.SharedAnswers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/** A last step of a route, taken when every live tier failed: a cached, fixed or handed-off answer. */
abstract class DegradedStep<I, O> {

    final String name;

    DegradedStep(String name) {
        this.name = name;
    }

    /**
     * Serves {@code request}, which the live tiers failed for {@code reason}, or completes empty to leave
     * it to the next step.
     */
    abstract Mono<Outcome<O>> serve(I request, String reason, Fallen<O> fallen);

    /** What a degraded step may use of the request that fell to it. */
    interface Fallen<O> {

        /** The router's clock, in nanoseconds. */
        long now();

        /** The time left before the request's deadline, in nanoseconds. */
        long nanosLeft();

        /** The attempts made. */
        List<Attempt> attempts();

        /** The caller's context. */
        ContextView context();

        /** The router's scheduler. */
        Scheduler scheduler();

        /** Ends the request with {@code answer}, served by step {@code step}. */
        Outcome<O> served(O answer, String step, Degraded degraded);
    }

    /**
     * The last good answer per request key, within a maximum staleness; keeps the newest entries, and shares them
     * through {@link SharedAnswers} when it has them.
     */
    static final class LastKnownGood<I, O> extends DegradedStep<I, O> {

        final Function<? super I, ?> key;
        final Duration maxStaleness;
        private final String route;
        private final int capacity;
        private final SharedAnswers shared;
        private final AnswerCodec<O> codec;
        private final Map<Object, Entry<O>> entries;

        LastKnownGood(String route, Function<? super I, ?> key, Duration maxStaleness, int capacity,
                      SharedAnswers shared, AnswerCodec<O> codec) {
            super("last-known-good");
            this.key = Objects.requireNonNull(key, "key");
            this.maxStaleness = maxStaleness;
            this.route = route;
            this.capacity = capacity;
            this.shared = codec != null ? shared : null;
            this.codec = codec;
            this.entries = new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Object, Entry<O>> eldest) {
                    return size() > capacity;
                }
            };
        }

        void remember(I request, O answer, long nowNanos) {
            Object k = key.apply(request);
            if (k != null) {
                synchronized (entries) {
                    entries.put(k, new Entry<>(answer, nowNanos));
                }
                if (shared != null) {
                    share(String.valueOf(k), answer);
                }
            }
        }

        private void share(String k, O answer) {
            byte[] bytes;
            try {
                bytes = codec.encode(answer);
            } catch (RuntimeException e) {
                return;
            }
            shared.put(route, k, bytes, maxStaleness, capacity);
        }

        Entry<O> recall(I request) {
            Object k = key.apply(request);
            if (k == null) {
                return null;
            }
            synchronized (entries) {
                return entries.get(k);
            }
        }

        @Override
        Mono<Outcome<O>> serve(I request, String reason, Fallen<O> fallen) {
            Entry<O> entry = recall(request);
            if (entry != null) {
                Duration age = Duration.ofNanos(fallen.now() - entry.storedAtNanos());
                if (age.compareTo(maxStaleness) <= 0) {
                    return Mono.just(fallen.served(entry.answer(), name,
                            new Degraded(Degraded.Kind.LAST_KNOWN_GOOD, reason, age)));
                }
            }
            Object k;
            long left = fallen.nanosLeft();
            if (shared == null || left <= 0 || (k = key.apply(request)) == null) {
                return Mono.empty();
            }
            return shared.get(route, String.valueOf(k))
                    .timeout(Duration.ofNanos(left), fallen.scheduler())
                    .filter(stored -> stored.age().compareTo(maxStaleness) <= 0)
                    .map(stored -> fallen.served(codec.decode(stored.answer()), name,
                            new Degraded(Degraded.Kind.LAST_KNOWN_GOOD, reason, stored.age())))
                    .onErrorResume(error -> Mono.empty());
        }

        record Entry<O>(O answer, long storedAtNanos) {
        }
    }

    /** A fixed answer. */
    static final class StaticDefault<I, O> extends DegradedStep<I, O> {

        final O answer;

        StaticDefault(O answer) {
            super("default");
            this.answer = Objects.requireNonNull(answer, "answer");
        }

        @Override
        Mono<Outcome<O>> serve(I request, String reason, Fallen<O> fallen) {
            return Mono.just(fallen.served(answer, name, new Degraded(Degraded.Kind.STATIC_DEFAULT, reason, Duration.ZERO)));
        }
    }

    /** A hand-off to a person or a call-back queue, within its timeout and what the deadline leaves. */
    static final class HandingOff<I, O> extends DegradedStep<I, O> {

        final HandOff<I, O> handOff;
        final Duration timeout;

        HandingOff(HandOff<I, O> handOff, Duration timeout) {
            super("hand-off");
            this.handOff = Objects.requireNonNull(handOff, "handOff");
            this.timeout = timeout;
        }

        @Override
        Mono<Outcome<O>> serve(I request, String reason, Fallen<O> fallen) {
            long left = fallen.nanosLeft();
            if (left <= 0) {
                return Mono.empty();
            }
            Duration limit = left < timeout.toNanos() ? Duration.ofNanos(left) : timeout;
            List<Attempt> attempts = fallen.attempts();
            return Mono.defer(() -> handOff.handOff(request, attempts, fallen.context()))
                    .timeout(limit, fallen.scheduler())
                    .onErrorResume(error -> Mono.empty())
                    .map(answer -> fallen.served(answer, name, new Degraded(Degraded.Kind.HAND_OFF, reason, Duration.ZERO)));
        }
    }
}
