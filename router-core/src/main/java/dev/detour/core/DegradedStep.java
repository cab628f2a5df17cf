package dev.detour.core;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/** A last step of a route, taken when every live tier failed: a cached, fixed or handed-off answer. */
abstract class DegradedStep<I, O> {

    final String name;

    DegradedStep(String name) {
        this.name = name;
    }

    /** The last good answer per request key, within a maximum staleness; keeps the newest entries. */
    static final class LastKnownGood<I, O> extends DegradedStep<I, O> {

        final Function<? super I, ?> key;
        final Duration maxStaleness;
        private final Map<Object, Entry<O>> entries;

        LastKnownGood(Function<? super I, ?> key, Duration maxStaleness, int capacity) {
            super("last-known-good");
            this.key = Objects.requireNonNull(key, "key");
            this.maxStaleness = maxStaleness;
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
            }
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
    }

    /** A hand-off to a person or a call-back queue. */
    static final class HandingOff<I, O> extends DegradedStep<I, O> {

        final HandOff<I, O> handOff;
        final Duration timeout;

        HandingOff(HandOff<I, O> handOff, Duration timeout) {
            super("hand-off");
            this.handOff = Objects.requireNonNull(handOff, "handOff");
            this.timeout = timeout;
        }
    }
}
