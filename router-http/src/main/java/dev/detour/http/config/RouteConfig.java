package dev.detour.http.config;

import dev.detour.core.Route;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.validate.ChatValidators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An OpenAI-compatible route: a model alias that {@code POST /v1/chat/completions} names, served by
 * tiers of {@code openai} and {@code anthropic} providers. Its constructor builds the core's routes
 * over its tiers, so what {@link Route.Builder#build} refuses (a deadline shorter than every tier
 * timeout) is refused here.
 *
 * @param alias           the model name clients ask for
 * @param deadline        the one deadline over every attempt ({@link Route#DEFAULT_DEADLINE} unless set)
 * @param tiers           the tiers, tried in order; at least one
 * @param midStream       what a stream that fails after its first token does: {@code error} (the
 *                        default) or {@code continue}
 * @param idleTimeout     the longest gap between streamed chunks ({@link ChatStreams#DEFAULT_IDLE_TIMEOUT} unless set)
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
 * @param fallbackSpendPerDay the most the tiers after the first (and {@code on-context-window}) may spend a
 *                        day, in the unit of the providers' {@code cost-per-*} prices; past it they are skipped
 *                        until midnight UTC; {@code null} for no cap
 */
public record RouteConfig(String alias, Duration deadline, List<TierConfig> tiers, String midStream,
                          Duration idleTimeout, List<String> validators, Double confidenceFloor,
                          boolean bestEffort, Integer maxAttempts, Double maxCost, Duration lastKnownGood,
                          String defaultAnswer, List<String> fallbackOn, List<String> onContextWindow,
                          String emptyAnswers, Duration streamDeadline, String failoverMarker, String malformedEvents,
                          Double fallbackSpendPerDay) {

    /** The deadline unless set: the core route's. */
    public static final Duration DEFAULT_DEADLINE = Route.DEFAULT_DEADLINE;
    /** The deadline of a streamed answer when neither it nor {@code deadline} is set. */
    public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofMinutes(5);
    /** The failover marker as a chunk with {@code x_detour}. */
    public static final String MARKER_CHUNK = Words.word(Marker.CHUNK);
    /** An empty whole answer falls back like a failure. */
    public static final String EMPTY_FALL_BACK = Words.word(EmptyAnswers.FALL_BACK);

    /** What a stream failing after its first token does. */
    public enum MidStream {
        /** It ends with an error event. */
        ERROR,
        /** The next provider that can continues the answer. */
        CONTINUE
    }

    /** What a whole answer with no content and no tool calls does. */
    public enum EmptyAnswers {
        /** It falls back like a failure. */
        FALL_BACK,
        /** It is served. */
        ALLOW
    }

    /** How a stream marks where a continuation starts. */
    public enum Marker {
        /** An SSE comment line. */
        COMMENT,
        /** A chunk with {@code x_detour}. */
        CHUNK
    }

    /** What an unreadable event in a provider's stream does. */
    public enum Malformed {
        /** It is skipped and counted. */
        SKIP,
        /** The stream has failed. */
        FAIL
    }

    /** The checks a whole answer can be given, written in camel case ({@code nonEmpty}). */
    public enum Validator {
        /** Some content or a tool call; the one a stream applies as it goes. */
        NON_EMPTY(route -> route.validate(ChatValidators.nonEmpty())),
        /** Finished normally, not cut by a length limit or a content filter. */
        FINISHED_NORMALLY(route -> route.validate(ChatValidators.finishedNormally())),
        /** Valid JSON content. */
        VALID_JSON(route -> route.validate(ChatValidators.validJson())),
        /** Content in the format the request asked for. */
        REQUESTED_FORMAT(route -> route.validate(ChatValidators.matchesRequestedFormat())),
        /** Not a refusal. */
        NO_REFUSAL(route -> route.validate(ChatValidators.noRefusal(ChatValidators.commonRefusals())));

        private final Consumer<Route.Builder<ChatRequest, ChatResponse>> check;

        Validator(Consumer<Route.Builder<ChatRequest, ChatResponse>> check) {
            this.check = check;
        }

        /** Adds the check to {@code route}. */
        public void addTo(Route.Builder<ChatRequest, ChatResponse> route) {
            check.accept(route);
        }
    }

    /**
     * Takes the default of what is null, copies the lists, and builds the core's routes over the tiers
     * (with stand-in providers) under the deadline and the stream deadline.
     *
     * @throws ConfigException naming the deadline the core refuses
     */
    public RouteConfig {
        String streamKey = streamDeadline != null ? "stream-deadline" : "deadline";
        streamDeadline = streamDeadline != null ? streamDeadline : deadline != null ? deadline : DEFAULT_STREAM_DEADLINE;
        deadline = deadline != null ? deadline : DEFAULT_DEADLINE;
        tiers = List.copyOf(tiers);
        midStream = midStream == null ? Words.word(MidStream.ERROR) : Words.canonical(MidStream.class, midStream);
        idleTimeout = idleTimeout != null ? idleTimeout : ChatStreams.DEFAULT_IDLE_TIMEOUT;
        validators = validators == null ? List.of() : validators.stream().map(v -> Words.canonical(Validator.class, v)).toList();
        fallbackOn = fallbackOn == null ? null : fallbackOn.stream().map(k -> Words.canonical(FailureKind.class, k)).toList();
        onContextWindow = onContextWindow == null ? List.of() : List.copyOf(onContextWindow);
        emptyAnswers = emptyAnswers == null ? EMPTY_FALL_BACK : Words.canonical(EmptyAnswers.class, emptyAnswers);
        failoverMarker = failoverMarker == null ? Words.word(Marker.COMMENT) : Words.canonical(Marker.class, failoverMarker);
        malformedEvents = malformedEvents == null ? Words.word(Malformed.SKIP) : Words.canonical(Malformed.class, malformedEvents);
        List<String> problems = new ArrayList<>(ConfigReader.routeProblems(alias, deadline, tiers, TierConfig::timeout, "deadline"));
        if (problems.isEmpty() || !streamKey.equals("deadline") || tiers.stream().anyMatch(t -> t.firstTokenTimeout() != null)) {
            ConfigReader.routeProblems(alias, streamDeadline, tiers, TierConfig::streamTimeout, streamKey)
                    .forEach(problem -> problems.add(problem.replace("timeout", "first-token timeout")));
        }
        if (fallbackSpendPerDay != null && tiers.size() < 2 && onContextWindow.isEmpty()) {
            problems.add("fallback-spend-per-day: caps the tiers after the first, and this route has only one; "
                    + "add a fallback tier or leave it out");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Objects.requireNonNull(alias, "alias");
    }

    /** Whether a stream failing after its first token is continued by the next provider that can. */
    public boolean continuesMidStream() {
        return Words.value(MidStream.class, midStream) == MidStream.CONTINUE;
    }

    /** Whether an empty whole answer falls back (the default) rather than being served. */
    public boolean emptyAnswersFallBack() {
        return Words.value(EmptyAnswers.class, emptyAnswers) == EmptyAnswers.FALL_BACK;
    }

    /** Whether an unreadable stream event fails the stream rather than being skipped. */
    public boolean malformedEventsFail() {
        return Words.value(Malformed.class, malformedEvents) == Malformed.FAIL;
    }

    /** The validators, in order. */
    public List<Validator> checks() {
        return validators.stream().map(v -> Words.value(Validator.class, v)).toList();
    }

    /** The fallback kinds, or null for the engine's defaults (also when the list is empty). */
    public FailureKind[] fallbackKinds() {
        return Words.kinds(fallbackOn);
    }

    /**
     * The settings that need the whole answer before a byte of it is sent (validators other than
     * {@code nonEmpty}, a confidence floor, best effort, last-known-good, a default answer), by their
     * config names; a stream request to a route with any is served from the whole, checked answer.
     */
    public List<String> wholeAnswerSettings() {
        List<String> settings = new ArrayList<>();
        checks().stream().filter(v -> v != Validator.NON_EMPTY).forEach(v -> settings.add("validators: " + Words.word(v)));
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
}
