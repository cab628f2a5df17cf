package dev.detour.core.stream;

import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;

/**
 * Holds a continuation's first elements until it is known how much of them restates the text the caller
 * already has, then releases them without it, after the marker; a continuation that starts over and
 * diverges fails as {@link dev.detour.core.policy.FailureKind#INVALID}. One per continuation, not thread-safe.
 */
final class Reconciler<T> {

    private static final int MAX_HELD = 256;

    private final Restatement restatement;
    private final Continuation<?, T> continuation;
    private final Predicate<? super T> isFinal;
    private final IntFunction<T> decided;
    private final List<T> held = new ArrayList<>();
    private int discarded;
    private boolean released;

    /** {@code decided} is told the characters restated and returns the marker to send first, or null. */
    Reconciler(String sent, Continuation<?, T> continuation, Predicate<? super T> isFinal, IntFunction<T> decided) {
        this.restatement = new Restatement(sent);
        this.continuation = continuation;
        this.isFinal = isFinal;
        this.decided = decided;
    }

    List<T> next(T element) {
        if (released) {
            return List.of(element);
        }
        held.add(element);
        CharSequence text = continuation.text(element);
        int verdict = restatement.feed(text == null ? "" : text);
        if (verdict == Restatement.PENDING && (isFinal.test(element) || held.size() >= MAX_HELD)) {
            verdict = restatement.finish();
        }
        if (verdict == Restatement.DIVERGED) {
            throw new ProviderException(Failure.invalid("the continuation restated the answer, then diverged from it"));
        }
        if (verdict == Restatement.PENDING) {
            if (restatement.following()) {
                held.forEach(restated -> discarded += length(continuation.text(restated)));
                held.clear();
            }
            return List.of();
        }
        return release(verdict);
    }

    Flux<T> end() {
        return released ? Flux.empty() : Flux.fromIterable(release(restatement.finish()));
    }

    private List<T> release(int restated) {
        released = true;
        List<T> out = new ArrayList<>(held.size() + 1);
        T marker = decided.apply(restated);
        if (marker != null) {
            out.add(marker);
        }
        int drop = restated - discarded;
        for (T element : held) {
            int length = length(continuation.text(element));
            if (drop > 0 && length > 0) {
                int cut = Math.min(drop, length);
                drop -= cut;
                if (cut == length && !isFinal.test(element)) {
                    continue;
                }
                element = continuation.withoutText(element, cut);
            }
            out.add(element);
        }
        held.clear();
        return out;
    }

    private static int length(CharSequence text) {
        return text == null ? 0 : text.length();
    }
}
