package dev.detour.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * What a simulated model does with a request: the answer it gives (split into word tokens for
 * streams), the latency before the answer or first token, the pacing between tokens, and the faults
 * that may replace or spoil the answer. An immutable value; each setter returns a copy.
 *
 * <pre>{@code
 * Behaviour.answer("hi").latency(Latency.fixed(Duration.ofMillis(5))).pacing(Duration.ofMillis(2))
 * Behaviour.defaults().fault(Fault.status(503).probability(0.2))
 * Behaviour.script(Behaviour.status(503), Behaviour.answer("ok"))
 * }</pre>
 *
 * <p>Faults are tried in the order added; the first that {@linkplain Fault#fires fires} applies, so a
 * later fault's real share is its probability of the requests the earlier ones spared.
 *
 * <p>A <em>script</em> is a list of behaviours taken in order, per model: the n-th request to the
 * model gets the n-th step, and the last step repeats. The setters of a script change every step.
 *
 * <p>A model can continue an answer that was cut. A <em>prefill</em> request ends with an
 * {@code assistant} message, whose text is the <em>prefix</em>; an <em>instruction</em> continuation
 * ends with a {@code user} message right after an {@code assistant} message with text, the prefix. A
 * prefill request gets the rest of the answer after the prefix ({@link #prefillAnswerFor}); an
 * instruction continuation gets what {@link #onInstruction(Resume)} or {@link #restatingTail(int)}
 * says ({@link #instructionAnswerFor}). Requests the model refuses ({@link #rejectsPrefill()},
 * {@link #contextWindow(int)}) get their 400 at once, before any fault is drawn or latency waited.
 */
public final class Behaviour {

    /** What a model does with an instruction to continue its cut answer. */
    public enum Resume {
        /** Goes on from where the prefix stops, as a prefill request does. */
        CONTINUE,
        /** Answers again from the start, as models told to "continue" often do. */
        RESTART
    }

    /** A call of the tool {@code name} with {@code arguments}, a JSON object as text. */
    public record ToolCall(String name, String arguments) {

        public ToolCall {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(arguments, "arguments");
        }
    }

    private static final Pattern WORD_START = Pattern.compile("(?<=\\S)(?=\\s)");
    private static final Behaviour DEFAULTS = new Behaviour(null, null, Latency.none(), Duration.ZERO, List.of(),
            Resume.CONTINUE, 0, false, 0, null, List.of());

    private final String text;
    private final List<String> tokens;
    private final Latency latency;
    private final Duration pacing;
    private final List<Fault> faults;
    private final Resume resume;
    private final int restatedWords;
    private final boolean rejectsPrefill;
    private final int contextWindow;
    private final ToolCall toolCall;
    private final List<Behaviour> steps;

    private Behaviour(String text, List<String> tokens, Latency latency, Duration pacing, List<Fault> faults,
            Resume resume, int restatedWords, boolean rejectsPrefill, int contextWindow, ToolCall toolCall,
            List<Behaviour> steps) {
        this.text = text;
        this.tokens = tokens;
        this.latency = latency;
        this.pacing = pacing;
        this.faults = faults;
        this.resume = resume;
        this.restatedWords = restatedWords;
        this.rejectsPrefill = rejectsPrefill;
        this.contextWindow = contextWindow;
        this.toolCall = toolCall;
        this.steps = steps;
    }

    /** Answers {@code "Hello from <model>."} at once. */
    public static Behaviour defaults() {
        return DEFAULTS;
    }

    /** Answers {@code text} at once. */
    public static Behaviour answer(String text) {
        return DEFAULTS.text(text);
    }

    /** Always answers the HTTP error {@code status} (400–599); see {@link Fault#status(int)}. */
    public static Behaviour status(int status) {
        return DEFAULTS.fault(Fault.status(status));
    }

    /** Always answers 429 with {@code retry-after}; see {@link Fault#rateLimited(Duration)}. */
    public static Behaviour rateLimited(Duration retryAfter) {
        return DEFAULTS.fault(Fault.rateLimited(retryAfter));
    }

    /** Never answers; see {@link Fault#stall()}. */
    public static Behaviour stall() {
        return DEFAULTS.fault(Fault.stall());
    }

    /** The default answer, spoilt by {@code fault} as often as its probability says. */
    public static Behaviour failing(Fault fault) {
        return DEFAULTS.fault(fault);
    }

    /** A script: the n-th request to a model gets {@code steps[n]}, and the last step repeats. */
    public static Behaviour script(Behaviour... steps) {
        return script(Arrays.asList(steps));
    }

    /** A script: the n-th request to a model gets {@code steps.get(n)}, and the last step repeats. */
    public static Behaviour script(List<Behaviour> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a script needs at least one step");
        }
        for (int i = 0; i < steps.size(); i++) {
            Behaviour step = Objects.requireNonNull(steps.get(i), "script step " + i);
            if (step.isScript()) {
                throw new IllegalArgumentException("script step " + i + " is itself a script; list its steps instead");
            }
        }
        return new Behaviour(null, null, Latency.none(), Duration.ZERO, List.of(), Resume.CONTINUE, 0, false, 0,
                null, List.copyOf(steps));
    }

    /** A copy that answers {@code text} (may be empty); streams send it word by word, each word with the spaces before it. */
    public Behaviour text(String text) {
        Objects.requireNonNull(text, "text");
        return map(b -> new Behaviour(text, tokenize(text), b.latency, b.pacing, b.faults, b.resume, b.restatedWords,
                b.rejectsPrefill, b.contextWindow, b.toolCall, List.of()));
    }

    /**
     * A copy that waits {@code latency} before the answer, the error or the first token. A stream's
     * headers (and, on Anthropic, its {@code message_start}, {@code content_block_start} and
     * {@code ping}) go out at once; the wait is before the first token.
     */
    public Behaviour latency(Latency latency) {
        Objects.requireNonNull(latency, "latency");
        return map(b -> new Behaviour(b.text, b.tokens, latency, b.pacing, b.faults, b.resume, b.restatedWords,
                b.rejectsPrefill, b.contextWindow, b.toolCall, List.of()));
    }

    /** A copy that waits a fixed {@code latency} before the answer, the error or the first token. */
    public Behaviour latency(Duration latency) {
        return latency(Latency.fixed(latency));
    }

    /** A copy that waits {@code pacing} between streamed tokens. */
    public Behaviour pacing(Duration pacing) {
        Objects.requireNonNull(pacing, "pacing");
        if (pacing.isNegative()) {
            throw new IllegalArgumentException("pacing must not be negative, was " + pacing);
        }
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, pacing, b.faults, b.resume, b.restatedWords,
                b.rejectsPrefill, b.contextWindow, b.toolCall, List.of()));
    }

    /** A copy with {@code fault} added after the faults it has. */
    public Behaviour fault(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        return map(b -> {
            List<Fault> more = new ArrayList<>(b.faults);
            more.add(fault);
            return new Behaviour(b.text, b.tokens, b.latency, b.pacing, List.copyOf(more), b.resume, b.restatedWords,
                    b.rejectsPrefill, b.contextWindow, b.toolCall, List.of());
        });
    }

    /** A copy without faults. */
    public Behaviour withoutFaults() {
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, List.of(), b.resume, b.restatedWords,
                b.rejectsPrefill, b.contextWindow, b.toolCall, List.of()));
    }

    /**
     * A copy that answers an instruction continuation as {@code resume} says: the rest after the
     * prefix ({@link Resume#CONTINUE}, the default) or the whole answer again ({@link Resume#RESTART}).
     * It replaces a {@link #restatingTail(int)}.
     */
    public Behaviour onInstruction(Resume resume) {
        Objects.requireNonNull(resume, "resume");
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, b.faults, resume, 0, b.rejectsPrefill,
                b.contextWindow, b.toolCall, List.of()));
    }

    /**
     * A copy that answers an instruction continuation with the last {@code words} (at least 1) words of
     * the prefix, each with the whitespace before it, then the rest after the prefix. It replaces an
     * {@link #onInstruction(Resume)}.
     */
    public Behaviour restatingTail(int words) {
        if (words < 1) {
            throw new IllegalArgumentException("restated words must be at least 1, was " + words);
        }
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, b.faults, Resume.CONTINUE, words,
                b.rejectsPrefill, b.contextWindow, b.toolCall, List.of()));
    }

    /**
     * A copy that answers a prefill request with a 400 in the protocol's error shape ({@code
     * invalid_request_error}, "prefill is not supported: the last message must have role 'user'").
     * Instruction continuations are still answered.
     */
    public Behaviour rejectsPrefill() {
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, b.faults, b.resume, b.restatedWords, true,
                b.contextWindow, b.toolCall, List.of()));
    }

    /**
     * A copy that answers a request of more than {@code tokens} (at least 1) prompt tokens (the words
     * of all messages and, on Anthropic, the system prompt) with the protocol's 400 for a prompt too
     * long for the context window.
     */
    public Behaviour contextWindow(int tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException("context window must be at least 1 token, was " + tokens);
        }
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, b.faults, b.resume, b.restatedWords,
                b.rejectsPrefill, tokens, b.toolCall, List.of()));
    }

    /**
     * A copy that, when a request offers a tool named {@code name}, answers with a call of it with
     * {@code arguments} (a JSON object as text, streamed in fragments of a few characters) instead of text:
     * OpenAI's {@code tool_calls} with finish reason {@code tool_calls}, Anthropic's {@code tool_use} block
     * with stop reason {@code tool_use}. A request that does not offer it gets the text answer.
     */
    public Behaviour callsTool(String name, String arguments) {
        ToolCall call = new ToolCall(name, arguments);
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, b.faults, b.resume, b.restatedWords,
                b.rejectsPrefill, b.contextWindow, call, List.of()));
    }

    /** The tool this behaviour calls when a request offers it, or null. */
    public ToolCall toolCall() {
        return toolCall;
    }

    /** The answer text, or null for the default {@code "Hello from <model>."}. */
    public String text() {
        return text;
    }

    /** The answer given to {@code model}. */
    public String answerFor(String model) {
        return text != null ? text : "Hello from " + model + ".";
    }

    /** The answer given to {@code model}, as streamed tokens. */
    public List<String> tokensFor(String model) {
        return tokens != null ? tokens : tokenize(answerFor(model));
    }

    /**
     * What {@code model} answers to a prefill request whose prefix is {@code prefix}: the rest of its
     * answer after the prefix when the answer starts with it, or else with it stripped of trailing
     * whitespace (as Anthropic requires of a prefill); otherwise its whole answer.
     */
    public String prefillAnswerFor(String model, String prefix) {
        String answer = answerFor(model);
        String matched = matched(answer, Objects.requireNonNull(prefix, "prefix"));
        return matched == null ? answer : answer.substring(matched.length());
    }

    /**
     * What {@code model} answers to an instruction continuation whose prefix is {@code prefix}: as a
     * prefill request ({@link Resume#CONTINUE}), its whole answer ({@link Resume#RESTART}), or the
     * prefix's last words then that rest ({@link #restatingTail(int)}; the words are taken from the
     * prefix without trailing whitespace when only that is how the answer starts).
     */
    public String instructionAnswerFor(String model, String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String answer = answerFor(model);
        if (resume == Resume.RESTART) {
            return answer;
        }
        String matched = matched(answer, prefix);
        String rest = matched == null ? answer : answer.substring(matched.length());
        return restatedWords == 0 ? rest : tail(matched == null ? prefix : matched, restatedWords) + rest;
    }

    /** The latency before the answer, the error or the first token. */
    public Latency latency() {
        return latency;
    }

    /** The delay between streamed tokens. */
    public Duration pacing() {
        return pacing;
    }

    /** The faults, in the order they are tried. */
    public List<Fault> faults() {
        return faults;
    }

    /** What an instruction continuation gets ({@link Resume#CONTINUE} also when restating a tail). */
    public Resume onInstruction() {
        return resume;
    }

    /** How many words of the prefix an instruction continuation restates; 0 when none. */
    public int restatingTail() {
        return restatedWords;
    }

    /** Whether prefill requests are answered (not refused with a 400). */
    public boolean acceptsPrefill() {
        return !rejectsPrefill;
    }

    /** The most prompt tokens a request may have; 0 when there is no limit. */
    public int contextWindow() {
        return contextWindow;
    }

    /** Whether this is a script of steps. */
    public boolean isScript() {
        return !steps.isEmpty();
    }

    /** A script's steps; empty when this is not a script. */
    public List<Behaviour> steps() {
        return steps;
    }

    /** What the request with 0-based number {@code index} gets: a script's step (the last repeats), or this. */
    public Behaviour step(long index) {
        if (steps.isEmpty()) {
            return this;
        }
        return steps.get((int) Math.min(Math.max(index, 0), steps.size() - 1));
    }

    /** The first fault that fires for this request, or null when the request gets the answer. */
    public Fault pickFault(RandomGenerator random) {
        for (Fault fault : faults) {
            if (fault.fires(random)) {
                return fault;
            }
        }
        return null;
    }

    /** Splits {@code text} into word tokens, each with the whitespace before it; together they are {@code text}. */
    public static List<String> tokenize(String text) {
        return text.isEmpty() ? List.of() : List.of(WORD_START.split(text));
    }

    /** The prefix, or else the prefix without trailing whitespace, that {@code answer} starts with; null when neither. */
    private static String matched(String answer, String prefix) {
        if (answer.startsWith(prefix)) {
            return prefix;
        }
        String stripped = prefix.stripTrailing();
        return answer.startsWith(stripped) ? stripped : null;
    }

    /** The end of {@code prefix} from the whitespace before its {@code words}-th last word (all of it if it has fewer). */
    private static String tail(String prefix, int words) {
        List<String> parts = tokenize(prefix);
        int from = parts.size();
        int seen = 0;
        while (from > 0 && seen < words) {
            from--;
            if (!parts.get(from).isBlank()) {
                seen++;
            }
        }
        return String.join("", parts.subList(from, parts.size()));
    }

    private Behaviour map(UnaryOperator<Behaviour> change) {
        if (steps.isEmpty()) {
            return change.apply(this);
        }
        return new Behaviour(null, null, Latency.none(), Duration.ZERO, List.of(), Resume.CONTINUE, 0, false, 0,
                null, steps.stream().map(change).toList());
    }

    @Override
    public String toString() {
        if (isScript()) {
            return "Behaviour.script" + steps;
        }
        return "Behaviour[" + (text == null ? "default answer" : '"' + text + '"') + ", " + latency
                + (pacing.isZero() ? "" : ", pacing " + pacing) + (faults.isEmpty() ? "" : ", " + faults)
                + (resume == Resume.RESTART ? ", restarts on instruction" : "")
                + (restatedWords == 0 ? "" : ", restates " + restatedWords + " words on instruction")
                + (rejectsPrefill ? ", rejects prefill" : "")
                + (contextWindow == 0 ? "" : ", context window " + contextWindow)
                + (toolCall == null ? "" : ", calls " + toolCall.name()) + "]";
    }
}
