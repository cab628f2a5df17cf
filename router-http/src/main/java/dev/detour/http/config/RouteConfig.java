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
 * @param idleTimeout     the longest gap between streamed chunks (30 s unless set)
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
 * @param streamDeadline  the one deadline over a streamed answer, from the request to its last chunk
 *                        ({@code deadline} when that is set, else 5 minutes)
 * @param failoverMarker  how a stream tells the client where a continuation starts: {@code comment}
 *                        (an SSE comment line, the default) or {@code chunk} (a chunk with {@code x_detour})
 * @param malformedEvents what an unreadable event in a provider's stream does: {@code skip} (the default:
 *                        dropped and counted) or {@code fail} (the stream has failed)
 */
public record RouteConfig(String alias, Duration deadline, List<TierConfig> tiers, String midStream,
                          Duration idleTimeout, List<String> validators, Double confidenceFloor,
                          boolean bestEffort, Integer maxAttempts, Double maxCost, Duration lastKnownGood,
                          String defaultAnswer, List<String> fallbackOn, List<String> onContextWindow,
                          String emptyAnswers, Duration streamDeadline, String failoverMarker, String malformedEvents) {

    /** The deadline unless set. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
    /** The deadline of a streamed answer when neither it nor {@code deadline} is set. */
    public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofMinutes(5);
    /** The longest gap between streamed chunks unless set. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** The failover marker as an SSE comment line. */
    public static final String MARKER_COMMENT = "comment";
    /** The failover marker as a chunk with {@code x_detour}. */
    public static final String MARKER_CHUNK = "chunk";
    /** Unreadable stream events are skipped and counted. */
    public static final String MALFORMED_SKIP = "skip";
    /** An unreadable stream event fails the stream. */
    public static final String MALFORMED_FAIL = "fail";
    /** The validators a stream applies as it goes; any other needs the whole answer. */
    public static final List<String> STREAM_VALIDATORS = List.of("nonEmpty");
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

    /**
     * The settings that need the whole answer before a byte of it is sent (validators other than
     * {@code nonEmpty}, a confidence floor, best effort, last-known-good, a default answer), by their
     * config names; a stream request to a route with any is served from the whole, checked answer.
     */
    public List<String> wholeAnswerSettings() {
        List<String> settings = new java.util.ArrayList<>();
        validators.stream().filter(v -> !STREAM_VALIDATORS.contains(v)).forEach(v -> settings.add("validators: " + v));
        if (confidenceFloor != null) {
            settings.add("confidence-floor");
        }
        if (bestEffort) {
            settings.add("best-effort");
        }
        if (lastKnownGood != null) {
            settings.add("last-known-good");
        }
        if (defaultAnswer != null) {
            settings.add("default-answer");
        }
        return settings;
    }

    /** Checks that the alias, deadline, tiers, mode and validators are set, and copies the lists. */
    public RouteConfig {
        Objects.requireNonNull(alias, "alias");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(midStream, "midStream");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(streamDeadline, "streamDeadline");
        Objects.requireNonNull(failoverMarker, "failoverMarker");
        Objects.requireNonNull(malformedEvents, "malformedEvents");
        tiers = List.copyOf(tiers);
        validators = List.copyOf(validators);
        fallbackOn = fallbackOn == null ? null : List.copyOf(fallbackOn);
        onContextWindow = onContextWindow == null ? List.of() : List.copyOf(onContextWindow);
        emptyAnswers = emptyAnswers == null ? EMPTY_FALL_BACK : emptyAnswers;
    }
}
