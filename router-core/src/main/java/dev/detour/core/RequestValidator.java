package dev.detour.core;

import java.util.Optional;

/**
 * Checks an answer against the request it answers (e.g. against the JSON schema the request asked
 * for). A rejected answer is a failure like any other: the route falls back on it.
 *
 * @param <I> the request type
 * @param <O> the answer type
 */
@FunctionalInterface
public interface RequestValidator<I, O> {

    /** Empty when {@code answer} is acceptable for {@code request}, otherwise why not. */
    Optional<Failure> check(I request, O answer);
}
