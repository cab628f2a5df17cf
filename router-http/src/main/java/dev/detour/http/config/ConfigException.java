package dev.detour.http.config;

import java.util.List;
import java.util.Objects;

/**
 * A configuration that cannot be used. The message lists every problem found, one per line, each
 * naming the source, the path of the field and what is wrong:
 *
 * <pre>{@code
 * detour.yaml: routes[0].tiers[1].timeout: '5x' is not a duration (use e.g. 250ms, 5s, 2m, 1h)
 * detour.yaml: providers.openai.tpye: unknown field (did you mean 'type'?)
 * }</pre>
 */
public final class ConfigException extends IllegalArgumentException {

    private final List<String> problems;

    /**
     * An exception for {@code problems}, each a complete line ({@code source: path: what is wrong}).
     *
     * @throws IllegalArgumentException if {@code problems} is empty
     */
    public ConfigException(List<String> problems) {
        super(String.join("\n", requireSome(problems)));
        this.problems = List.copyOf(problems);
    }

    /** An exception for one problem, a complete line. */
    public ConfigException(String problem) {
        this(List.of(Objects.requireNonNull(problem, "problem")));
    }

    /** The problems, one line each, in document order. */
    public List<String> problems() {
        return problems;
    }

    private static List<String> requireSome(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        return problems;
    }
}
