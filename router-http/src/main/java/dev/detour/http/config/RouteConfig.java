package dev.detour.http.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * An OpenAI-compatible route: a model alias that {@code POST /v1/chat/completions} names, served by
 * tiers of {@code openai} and {@code anthropic} providers.
 *
 * @param alias           the model name clients ask for
 * @param deadline        the one deadline over every attempt (60 s unless set)
 * @param tiers           the tiers, tried in order; at least one
 * @param midStream       what a stream that fails after its first token does: {@code error} (the
 *                        default) or {@code continue}
 * @param idleTimeout     the longest gap between streamed chunks; {@code null} for none
 * @param validators      the checks an answer must pass, by name: {@code nonEmpty},
 *                        {@code finishedNormally}, {@code validJson}, {@code requestedFormat},
 *                        {@code noRefusal}
 * @param confidenceFloor the lowest confidence (from token logprobs) accepted, 0 to 1; {@code null}
 *                        for none
 * @param bestEffort      whether, when a ceiling stops the cascade, the best rejected answer is served
 * @param maxAttempts     the most calls per request; {@code null} for no ceiling
 * @param maxCost         the most cost per request; {@code null} for no ceiling
 * @param lastKnownGood   the staleness up to which the last good answer to the same request is served
 *                        when every tier failed; {@code null} turns it off
 * @param defaultAnswer   the text answered when every tier failed; {@code null} for none
 * @param fallbackOn      the failure kinds that move on to the next provider, as lower-case
 *                        {@code FailureKind} names (e.g. {@code client_error}); {@code null} keeps the
 *                        engine's defaults
 * @param onContextWindow the providers a request moves to at once when one fails with a context-window
 *                        error (larger-context models), tried in order; empty for none
 * @param emptyAnswers    what a whole answer with no content and no tool calls does:
 *                        {@code fall-back} (the default) or {@code allow}
 */
public record RouteConfig(String alias, Duration deadline, List<TierConfig> tiers, String midStream,
                          Duration idleTimeout, List<String> validators, Double confidenceFloor,
                          boolean bestEffort, Integer maxAttempts, Double maxCost, Duration lastKnownGood,
                          String defaultAnswer, List<String> fallbackOn,
                          List<String> onContextWindow, String emptyAnswers) {

    /** The deadline unless set. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
    /** The mid-stream mode that ends a broken stream with an error event. */
    public static final String MID_STREAM_ERROR = "error";
    /** The mid-stream mode that asks the next provider to continue the answer. */
    public static final String MID_STREAM_CONTINUE = "continue";
    /** The validator names, as they are written. */
    public static final List<String> VALIDATORS =
            List.of("nonEmpty", "finishedNormally", "validJson", "requestedFormat", "noRefusal");

    /** An empty whole answer falls back like a failure. */
    public static final String EMPTY_FALL_BACK = "fall-back";
    /** An empty whole answer is served. */
    public static final String EMPTY_ALLOW = "allow";

    /** Checks that the alias, deadline, tiers, mode and validators are set, and copies the lists. */
    public RouteConfig {
        Objects.requireNonNull(alias, "alias");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(midStream, "midStream");
        tiers = List.copyOf(tiers);
        validators = List.copyOf(validators);
        fallbackOn = fallbackOn == null ? null : List.copyOf(fallbackOn);
        onContextWindow = onContextWindow == null ? List.of() : List.copyOf(onContextWindow);
        emptyAnswers = emptyAnswers == null ? EMPTY_FALL_BACK : emptyAnswers;
    }

    /** A route with no context-window providers whose empty answers fall back. */
    public RouteConfig(String alias, Duration deadline, List<TierConfig> tiers, String midStream,
                       Duration idleTimeout, List<String> validators, Double confidenceFloor,
                       boolean bestEffort, Integer maxAttempts, Double maxCost, Duration lastKnownGood,
                       String defaultAnswer, List<String> fallbackOn) {
        this(alias, deadline, tiers, midStream, idleTimeout, validators, confidenceFloor, bestEffort, maxAttempts,
                maxCost, lastKnownGood, defaultAnswer, fallbackOn, List.of(), EMPTY_FALL_BACK);
    }
}
