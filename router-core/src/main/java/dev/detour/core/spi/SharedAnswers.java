package dev.detour.core.spi;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Last-known-good answers shared by the routers of a fleet, as bytes (a route's
 * {@link dev.detour.core.AnswerCodec} encodes them), each bounded in time (its staleness) and each route's in
 * number (its capacity, newest kept). Never fails and never waits past its own short timeout.
 */
public interface SharedAnswers {

    /** Keeps {@code answer} as the last good one of {@code route} for {@code key}; returns at once. */
    void put(String route, String key, byte[] answer, Duration maxStaleness, int capacity);

    /** The last good answer of {@code route} for {@code key} with its age, or empty (none, or no answer in time). */
    Mono<Stored> get(String route, String key);

    /**
     * An answer kept, and how old it is.
     *
     * @param answer the encoded answer
     * @param age    the time since it was kept
     */
    record Stored(byte[] answer, Duration age) {
    }
}
