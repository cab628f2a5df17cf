package dev.detour.core;

import java.util.List;

/**
 * Every path of a route failed. The message names each attempt
 * ({@code route 'chat' failed after 3 attempts: openai#1 timeout 2000ms; openai#2 503; groq#1 429});
 * {@link #attempts()} holds the trail and {@link #getCause()} the last error, if any.
 */
public class RouteFailedException extends RuntimeException {

    private final String route;
    private final transient List<Attempt> attempts;

    public RouteFailedException(String route, List<Attempt> attempts, Throwable cause) {
        this(route, "failed", attempts, cause);
    }

    RouteFailedException(String route, String what, List<Attempt> attempts, Throwable cause) {
        super(message(route, what, attempts), cause);
        this.route = route;
        this.attempts = List.copyOf(attempts);
    }

    private static String message(String route, String what, List<Attempt> attempts) {
        StringBuilder text = new StringBuilder(64 + 32 * attempts.size())
                .append("route '").append(route).append("' ").append(what);
        if (attempts.isEmpty()) {
            return text.append(" before any attempt").toString();
        }
        text.append(" after ").append(attempts.size()).append(attempts.size() == 1 ? " attempt: " : " attempts: ");
        for (int i = 0; i < attempts.size(); i++) {
            if (i > 0) {
                text.append("; ");
            }
            text.append(attempts.get(i));
        }
        return text.toString();
    }

    /** The route's name. */
    public String route() {
        return route;
    }

    /** Every attempt made, in order. */
    public List<Attempt> attempts() {
        return attempts;
    }
}
