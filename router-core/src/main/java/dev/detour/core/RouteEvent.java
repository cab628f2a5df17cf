package dev.detour.core;

import java.time.Duration;
import java.util.List;

/**
 * What a route reports while it runs: each attempt, each retry, each fallback, and how the request
 * ended. Listeners receive them on the thread that produced them and must not block.
 */
public sealed interface RouteEvent {

    /** The route's name. */
    String route();

    /** An attempt ended (succeeded, failed or was cancelled). */
    record AttemptEnded(String route, Attempt attempt) implements RouteEvent {
    }

    /** A failed attempt will be tried again on the same provider after {@code delay}. */
    record Retrying(String route, Attempt failed, Duration delay) implements RouteEvent {
    }

    /** The route moved on from {@code from}'s provider, because of {@code trigger}, to {@code toProvider}. */
    record FellBack(String route, Failure trigger, Attempt from, String toProvider, int toTier)
            implements RouteEvent {
    }

    /** The request ended: {@code servedBy} is null unless it was served. */
    record Ended(String route, Ending ending, String servedBy, List<Attempt> attempts, Duration elapsed)
            implements RouteEvent {
    }

    /** How a request ended. */
    enum Ending {
        /** A provider's answer was served. */
        SERVED,
        /** Every path failed. */
        FAILED,
        /** The deadline ran out. */
        DEADLINE_EXCEEDED,
        /** A failure the route does not fall back on went to the caller as it was. */
        PASSED_THROUGH,
        /** The caller cancelled. */
        CANCELLED
    }
}
