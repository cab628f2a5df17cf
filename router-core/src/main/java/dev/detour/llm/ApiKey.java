package dev.detour.llm;

import java.util.Objects;
import java.util.function.Function;

/**
 * A provider's API key. It is read from an environment variable named in configuration and never
 * shows itself: {@link #toString()} names only the variable, and no Detour log line, error or metric
 * carries the value.
 */
public final class ApiKey {

    private final String source;
    private final String value;

    private ApiKey(String source, String value) {
        this.source = source;
        this.value = value;
    }

    /**
     * The key in environment variable {@code variable}.
     *
     * @throws InvalidChatException naming the variable when it is unset or empty
     */
    public static ApiKey fromEnv(String variable) {
        return fromEnv(variable, System::getenv);
    }

    /** The key in {@code variable} of {@code environment} (a stand-in for the process environment in tests). */
    public static ApiKey fromEnv(String variable, Function<String, String> environment) {
        Objects.requireNonNull(variable, "variable");
        String value = environment.apply(variable);
        if (value == null || value.isBlank()) {
            throw new InvalidChatException("environment variable " + variable + " is not set; it should hold the API key");
        }
        return new ApiKey("$" + variable, value.strip());
    }

    /** A key given directly (tests, the simulator); shown as {@code <given>}. */
    public static ApiKey of(String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidChatException("an API key must not be empty");
        }
        return new ApiKey("<given>", value);
    }

    /** The secret itself, for the one header that sends it. */
    public String reveal() {
        return value;
    }

    /** Where the key came from, never the key. */
    @Override
    public String toString() {
        return "ApiKey[" + source + "]";
    }
}
