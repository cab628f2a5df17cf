package dev.detour.core;

import dev.detour.core.internal.Judgement;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/** A route's checks of an answer: its validators, then its confidence floor. */
final class AnswerChecks<I, O> {

    private final List<RequestValidator<? super I, ? super O>> validators;
    private final ToDoubleFunction<? super O> confidence;
    private final double floor;

    AnswerChecks(List<RequestValidator<? super I, ? super O>> validators, ToDoubleFunction<? super O> confidence,
                 double floor) {
        this.validators = List.copyOf(validators);
        this.confidence = confidence;
        this.floor = floor;
    }

    /** Judges {@code value}, the answer to {@code request}; a check that throws rejects the answer, not its provider. */
    Judgement<O> judge(I request, O value) {
        try {
            for (RequestValidator<? super I, ? super O> validator : validators) {
                Optional<Failure> rejection = validator.check(request, value);
                if (rejection.isPresent()) {
                    return Judgement.rejected(value, rejection.get(), Double.NaN);
                }
            }
            if (confidence != null) {
                double score = confidence.applyAsDouble(value);
                if (!(score >= floor)) {
                    return Judgement.rejected(value, Failure.lowConfidence(score, floor), score);
                }
            }
            return Judgement.accepted(value);
        } catch (RuntimeException e) {
            return Judgement.rejected(value, Failure.invalid("check threw " + Failure.describe(e)), Double.NaN);
        }
    }
}
