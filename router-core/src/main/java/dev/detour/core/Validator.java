package dev.detour.core;

import dev.detour.core.policy.FailureKind;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Checks an answer before the route accepts it. A rejected answer is a failure like any other: the
 * route falls back on it, and the trail records the reason.
 *
 * @param <O> the answer type
 */
@FunctionalInterface
public interface Validator<O> {

    /** Empty when {@code answer} is acceptable, otherwise why not. */
    Optional<Failure> check(O answer);

    /** Rejects, as {@link FailureKind#INVALID} with {@code reason}, an answer that fails {@code valid}. */
    static <O> Validator<O> require(String reason, Predicate<? super O> valid) {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(valid, "valid");
        Optional<Failure> rejection = Optional.of(Failure.invalid(reason));
        return answer -> valid.test(answer) ? Optional.empty() : rejection;
    }

    /** Rejects, as {@link FailureKind#EMPTY}, an answer that {@code isEmpty} holds empty. */
    static <O> Validator<O> notEmpty(Predicate<? super O> isEmpty) {
        Objects.requireNonNull(isEmpty, "isEmpty");
        Optional<Failure> rejection = Optional.of(Failure.empty("empty answer"));
        return answer -> isEmpty.test(answer) ? rejection : Optional.empty();
    }
}
