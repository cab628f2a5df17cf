package dev.detour.core.stream;

import java.util.List;

/**
 * How a {@link StreamRoute} continues an answer whose stream failed after elements had reached the
 * caller: the request that asks another provider for the rest, the text of elements (so that a
 * continuation restating what the caller already has is trimmed before a character of it is released),
 * and the marker sent where the provider changed.
 *
 * @param <I> the request type
 * @param <T> the element type
 */
public interface Continuation<I, T> {

    /**
     * The request asking for the rest of the answer to {@code original}, whose first elements were
     * {@code relayed}; null when the answer cannot be continued (e.g. it was cut inside a tool call).
     */
    I request(I original, List<T> relayed);

    /** Whether {@code provider} may be asked to continue; every provider unless overridden. */
    default boolean continues(String provider) {
        return true;
    }

    /** The element sent to the caller where the provider changed, before the continuation's text; null for none. */
    T marker(Failover failover);

    /**
     * The text {@code element} adds to the answer, or null when it adds none (a continuation's elements
     * are held while they add none and it is undecided whether the continuation restates the answer).
     * Unless overridden, elements have no text, nothing sent can be restated, and continuations are
     * relayed as they come.
     */
    default CharSequence text(T element) {
        return null;
    }

    /** {@code element} without the first {@code chars} characters of its {@link #text}. */
    default T withoutText(T element, int chars) {
        throw new UnsupportedOperationException("withoutText must be implemented with text");
    }
}
