package dev.detour.core;

import dev.detour.core.policy.FailureKind;
import java.time.Duration;
import java.util.List;

/**
 * One call to one provider within a request, as the trail records it.
 *
 * @param provider the provider's name
 * @param tier     the tier's index, from 0
 * @param number   this provider's attempt number within the request, from 1
 * @param start    when the attempt started, from the start of the request
 * @param duration how long it took
 * @param result   how it ended
 * @param failure  why it failed, or null when it succeeded or was cancelled
 * @param decision what the route did next when that is worth telling (e.g. {@code retry-after 30s >
 *                 deadline}, {@code retry budget exhausted}), or null
 */
public record Attempt(String provider, int tier, int number, Duration start, Duration duration,
                      Result result, Failure failure, String decision) {

    /** How an attempt ended. */
    public enum Result {
        /** It produced the answer the route served, or could have served. */
        SUCCESS,
        /** It failed; see {@link Attempt#failure()}. */
        FAILURE,
        /** It was cancelled before it ended: the caller left or another attempt won. */
        CANCELLED
    }

    /** Calls made to providers among {@code attempts}: all less those the router refused without a call (breaker open, disabled). */
    public static int calls(List<Attempt> attempts) {
        int calls = 0;
        for (Attempt attempt : attempts) {
            Failure failure = attempt.failure();
            if (failure == null || failure.kind() != FailureKind.UNAVAILABLE || failure.cause() != null) {
                calls++;
            }
        }
        return calls;
    }

    /** {@code openai#2 503}, {@code groq#1 429 retry-after 30s > deadline}, {@code local#1 ok}. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(48).append(provider).append('#').append(number).append(' ');
        switch (result) {
            case SUCCESS:
                text.append("ok");
                break;
            case CANCELLED:
                text.append("cancelled");
                break;
            default:
                text.append(failure);
        }
        if (decision != null) {
            text.append(' ').append(decision);
        }
        return text.toString();
    }
}
