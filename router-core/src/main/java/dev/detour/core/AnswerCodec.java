package dev.detour.core;

/**
 * Turns a route's answers into bytes and back, so that a shared
 * {@linkplain dev.detour.core.spi.StateStore state store} can keep its last-known-good answers for a fleet
 * (see {@link Route.Builder#lastKnownGood(java.util.function.Function, java.time.Duration, int, AnswerCodec)}).
 * Both directions must be thread-safe; an exception in either only keeps that answer out of the shared store.
 *
 * @param <O> the answer type
 */
public interface AnswerCodec<O> {

    /** The bytes of {@code answer}. */
    byte[] encode(O answer);

    /** The answer {@code bytes} encode. */
    O decode(byte[] bytes);
}
