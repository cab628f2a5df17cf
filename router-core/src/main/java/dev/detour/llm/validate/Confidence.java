package dev.detour.llm.validate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.llm.ChatResponse;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Confidence scores of chat answers for a route's {@code confidenceFloor(floor, score)}: an answer
 * whose score is not at least the floor is rejected as {@code LOW_CONFIDENCE} and, in a quality
 * cascade, escalates to the next, stronger model.
 */
public final class Confidence {

    private Confidence() {
    }

    /**
     * The geometric-mean probability of the first choice's tokens, {@code exp(mean(logprob))} over
     * {@code logprobs.content[*].logprob} (entries without a numeric {@code logprob} are skipped).
     * An answer without token log-probabilities (the request did not ask for {@code logprobs}, or the
     * provider does not return them) scores 1.0: there is nothing to judge it by, so it is accepted
     * rather than rejected whatever its quality. Use {@link #fromLogprobs(double)} to score it
     * otherwise.
     */
    public static ToDoubleFunction<ChatResponse> fromLogprobs() {
        return fromLogprobs(1.0);
    }

    /**
     * As {@link #fromLogprobs()}, but an answer without token log-probabilities scores
     * {@code whenAbsent} (0.0 rejects it under any positive floor).
     *
     * @throws IllegalArgumentException when {@code whenAbsent} is NaN, which no floor would accept
     */
    public static ToDoubleFunction<ChatResponse> fromLogprobs(double whenAbsent) {
        if (Double.isNaN(whenAbsent)) {
            throw new IllegalArgumentException("whenAbsent must be a number, was NaN");
        }
        return answer -> {
            JsonNode tokens = answer.logprobs();
            if (!tokens.isArray()) {
                return whenAbsent;
            }
            double sum = 0;
            int count = 0;
            for (JsonNode token : tokens) {
                JsonNode logprob = token.get("logprob");
                if (logprob != null && logprob.isNumber()) {
                    sum += logprob.doubleValue();
                    count++;
                }
            }
            return count == 0 ? whenAbsent : Math.exp(sum / count);
        };
    }

    /**
     * {@code scorer} applied to the first choice's content; an answer without content (e.g. one that
     * only calls tools) scores 0.
     */
    public static ToDoubleFunction<ChatResponse> scoredBy(ToDoubleFunction<String> scorer) {
        Objects.requireNonNull(scorer, "scorer");
        return answer -> {
            String content = answer.content();
            return content == null ? 0 : scorer.applyAsDouble(content);
        };
    }
}
