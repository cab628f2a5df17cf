package dev.detour.core.internal;

import dev.detour.core.Failure;

/**
 * A judged attempt: who, when, and its judgement. Internal.
 *
 * @param provider      the provider's name
 * @param tier          the tier, from 0
 * @param number        the provider's attempt number within the request, from 1
 * @param begin         when it started, on the router's clock in nanoseconds
 * @param end           when it ended, likewise
 * @param cutByDeadline whether the deadline, not the tier's timeout, ended it
 * @param value         the answer, accepted or rejected, or null
 * @param failure       why it failed, or null for an accepted answer
 * @param score         the answer's confidence score, NaN when unscored
 * @param span          how many positions of its tier's order it used (more than one for a hedged race)
 * @param <O>           the answer type
 */
public record Verdict<O>(String provider, int tier, int number, long begin, long end, boolean cutByDeadline,
                         O value, Failure failure, double score, int span) {

    /** The verdict on one call that ended with {@code judgement}. */
    public static <O> Verdict<O> of(String provider, int tier, int number, long begin, long end, boolean cutByDeadline,
                                    Judgement<O> judgement) {
        return new Verdict<>(provider, tier, number, begin, end, cutByDeadline, judgement.value(), judgement.failure(),
                judgement.score(), 1);
    }

    /** The verdict on a call refused without a network call, or cancelled ({@code failure} null). */
    public static <O> Verdict<O> unjudged(String provider, int tier, int number, long begin, long end, Failure failure) {
        return new Verdict<>(provider, tier, number, begin, end, false, null, failure, Double.NaN, 1);
    }

    /** Whether it is an accepted answer. */
    public boolean answered() {
        return failure == null;
    }

    /** Whether it was scored. */
    public boolean scored() {
        return !Double.isNaN(score);
    }

    /** This verdict spanning {@code span} positions. */
    public Verdict<O> spanning(int span) {
        return span == this.span ? this
                : new Verdict<>(provider, tier, number, begin, end, cutByDeadline, value, failure, score, span);
    }
}
