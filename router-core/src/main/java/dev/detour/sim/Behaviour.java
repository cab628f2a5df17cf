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
 */
public final class Behaviour {

    private static final Pattern WORD_START = Pattern.compile("(?<=\\S)(?=\\s)");
    private static final Behaviour DEFAULTS = new Behaviour(null, null, Latency.none(), Duration.ZERO, List.of(), List.of());

    private final String text;
    private final List<String> tokens;
    private final Latency latency;
    private final Duration pacing;
    private final List<Fault> faults;
    private final List<Behaviour> steps;

    private Behaviour(String text, List<String> tokens, Latency latency, Duration pacing, List<Fault> faults, List<Behaviour> steps) {
        this.text = text;
        this.tokens = tokens;
        this.latency = latency;
        this.pacing = pacing;
        this.faults = faults;
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
        return new Behaviour(null, null, Latency.none(), Duration.ZERO, List.of(), List.copyOf(steps));
    }

    /** A copy that answers {@code text} (may be empty); streams send it word by word, each word with the spaces before it. */
    public Behaviour text(String text) {
        Objects.requireNonNull(text, "text");
        return map(b -> new Behaviour(text, tokenize(text), b.latency, b.pacing, b.faults, List.of()));
    }

    /**
     * A copy that waits {@code latency} before the answer, the error or the first token. A stream's
     * headers (and, on Anthropic, its {@code message_start}, {@code content_block_start} and
     * {@code ping}) go out at once; the wait is before the first token.
     */
    public Behaviour latency(Latency latency) {
        Objects.requireNonNull(latency, "latency");
        return map(b -> new Behaviour(b.text, b.tokens, latency, b.pacing, b.faults, List.of()));
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
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, pacing, b.faults, List.of()));
    }

    /** A copy with {@code fault} added after the faults it has. */
    public Behaviour fault(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        return map(b -> {
            List<Fault> more = new ArrayList<>(b.faults);
            more.add(fault);
            return new Behaviour(b.text, b.tokens, b.latency, b.pacing, List.copyOf(more), List.of());
        });
    }

    /** A copy without faults. */
    public Behaviour withoutFaults() {
        return map(b -> new Behaviour(b.text, b.tokens, b.latency, b.pacing, List.of(), List.of()));
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

    private Behaviour map(UnaryOperator<Behaviour> change) {
        if (steps.isEmpty()) {
            return change.apply(this);
        }
        return new Behaviour(null, null, Latency.none(), Duration.ZERO, List.of(), steps.stream().map(change).toList());
    }

    @Override
    public String toString() {
        if (isScript()) {
            return "Behaviour.script" + steps;
        }
        return "Behaviour[" + (text == null ? "default answer" : '"' + text + '"') + ", " + latency
                + (pacing.isZero() ? "" : ", pacing " + pacing) + (faults.isEmpty() ? "" : ", " + faults) + "]";
    }
}
