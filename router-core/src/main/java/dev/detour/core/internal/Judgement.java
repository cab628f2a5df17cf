package dev.detour.core.internal;

import dev.detour.core.Failure;

/**
 * An answer, or why it was not accepted (with the rejected answer, if there was one). Internal.
 *
 * @param value    the answer, or null when there was none
 * @param failure  why it was not accepted, or null
 * @param score    its confidence score, NaN when unscored
 * @param timedOut whether Detour's own attempt timeout ended the attempt
 * @param <O>      the answer type
 */
public record Judgement<O>(O value, Failure failure, double score, boolean timedOut) {

    private static final Judgement<?> EMPTY = new Judgement<>(null, Failure.empty("no answer"), Double.NaN, false);

    /** An accepted answer. */
    public static <O> Judgement<O> accepted(O value) {
        return new Judgement<>(value, null, Double.NaN, false);
    }

    /** An answer rejected for {@code failure}, with its {@code score} (NaN when unscored). */
    public static <O> Judgement<O> rejected(O value, Failure failure, double score) {
        return new Judgement<>(value, failure, score, false);
    }

    /** No answer: the call completed empty. */
    @SuppressWarnings("unchecked")
    public static <O> Judgement<O> empty() {
        return (Judgement<O>) EMPTY;
    }

    /** No answer: the call failed. */
    public static <O> Judgement<O> failed(Failure failure) {
        return new Judgement<>(null, failure, Double.NaN, false);
    }

    static <O> Judgement<O> timedOut(Failure failure) {
        return new Judgement<>(null, failure, Double.NaN, true);
    }
}
