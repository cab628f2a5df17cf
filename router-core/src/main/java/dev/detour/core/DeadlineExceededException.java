package dev.detour.core;

import java.time.Duration;
import java.util.List;

/**
 * The route's deadline ran out before any path answered. The message names the deadline and each
 * attempt made.
 */
public class DeadlineExceededException extends RouteFailedException {

    private final Duration deadline;

    public DeadlineExceededException(String route, Duration deadline, List<Attempt> attempts, Throwable cause) {
        super(route, "deadline " + Durations.format(deadline) + " exceeded", attempts, cause);
        this.deadline = deadline;
    }

    /** The route's deadline. */
    public Duration deadline() {
        return deadline;
    }
}
