package dev.detour.core;

import dev.detour.core.policy.BreakerState;
import java.time.Duration;
import java.util.List;

/**
 * What a router reports: each attempt, retry, hedge and fallback of a route, how each request ended,
 * breaker transitions and operator overrides. Listeners receive them on the thread that produced them
 * and must not block.
 */
public sealed interface RouteEvent {

    /** An attempt ended (succeeded, failed or was cancelled). */
    record AttemptEnded(String route, Attempt attempt) implements RouteEvent {
    }

    /** A failed attempt will be tried again on the same provider after {@code delay}. */
    record Retrying(String route, Attempt failed, Duration delay) implements RouteEvent {
    }

    /** {@code provider} had not answered after {@code delay}, so the request was also sent to {@code hedge}. */
    record Hedged(String route, String provider, String hedge, Duration delay) implements RouteEvent {
    }

    /** The route moved on from {@code from}'s provider, because of {@code trigger}, to {@code toProvider}. */
    record FellBack(String route, Failure trigger, Attempt from, String toProvider, int toTier) implements RouteEvent {
    }

    /**
     * The request ended: {@code servedBy} is null unless an answer was served; {@code degraded} is null
     * unless the answer was degraded.
     */
    record Ended(String route, Ending ending, String servedBy, Degraded degraded, List<Attempt> attempts,
                 Duration elapsed) implements RouteEvent {
    }

    /**
     * A stream failed after {@code relayed} elements had reached the caller; {@code continued} when the
     * route asked another provider to continue it, false when the stream ended in an error.
     */
    record MidStreamFailed(String route, String provider, int relayed, Failure failure, boolean continued)
            implements RouteEvent {
    }

    /**
     * A stream that failed mid-answer on {@code from} was continued by {@code to}: the caller had
     * {@code relayed} elements ({@code sentWords} words), and the first {@code restated} characters of
     * the continuation, which repeated them, were removed.
     */
    record StreamContinued(String route, String from, String to, Failure reason, int relayed, int sentWords,
                           int restated) implements RouteEvent {
    }

    /** A malformed element of {@code provider}'s stream was skipped, and the stream went on. */
    record StreamElementSkipped(String route, String provider, String detail) implements RouteEvent {
    }

    /** A provider's circuit breaker moved from one state to another. */
    record BreakerChanged(String provider, BreakerState from, BreakerState to, String reason) implements RouteEvent {
    }

    /** An operator disabled, enabled, forced open or reset a provider. */
    record ProviderOverridden(String provider, String action) implements RouteEvent {
    }

    /** How a request ended. */
    enum Ending {
        /** A provider's answer was served. */
        SERVED,
        /** A degraded answer was served: below the floor, cached, default or hand-off. */
        DEGRADED,
        /** Every path failed. */
        FAILED,
        /** The deadline ran out. */
        DEADLINE_EXCEEDED,
        /** The route's ceiling on attempts or cost stopped it. */
        CEILING_REACHED,
        /** A failure the route does not fall back on went to the caller as it was. */
        PASSED_THROUGH,
        /** The caller cancelled. */
        CANCELLED
    }
}
