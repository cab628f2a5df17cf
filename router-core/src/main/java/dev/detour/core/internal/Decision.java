package dev.detour.core.internal;

import dev.detour.core.RouteEvent;
import java.time.Duration;
import java.util.Objects;

/**
 * What a request does next, after a failed attempt or a skipped provider, and the note the failed
 * attempt carries in the trail (e.g. {@code retry budget exhausted}; null when there is nothing worth
 * telling). Made by {@link Decisions}. Internal.
 *
 * @param next     what comes next
 * @param delay    the backoff before a {@link Next#RETRY}; null otherwise
 * @param tier     the tier of a {@link Next#NEXT_PROVIDER}, {@link Next#NEXT_TIER} or
 *                 {@link Next#CONTEXT_WINDOW_TIER}; -1 otherwise
 * @param position the position in that tier's order to go on from; -1 otherwise
 * @param ending   how the request ends, for {@link Next#EXHAUSTED}; null otherwise
 * @param note     what the failed attempt's trail entry says about it, or null
 */
public record Decision(Next next, Duration delay, int tier, int position, RouteEvent.Ending ending, String note) {

    /** The kinds of decision. */
    public enum Next {
        /** The same provider again, after {@link #delay()}. */
        RETRY,
        /** The provider at {@link #position()} of the same tier's order. */
        NEXT_PROVIDER,
        /** The first provider of {@link #tier()}, in an order still to be drawn. */
        NEXT_TIER,
        /**
         * The first provider of the context-window tier, from {@link #position()} of its order (drawn anew
         * when the request was not in that tier yet), that has not already refused the request's context;
         * when there is none, the failure passes through.
         */
        CONTEXT_WINDOW_TIER,
        /** The failure goes to the caller as it is. */
        PASS_THROUGH,
        /** The live tiers are over, {@link #ending()} so. */
        EXHAUSTED
    }

    /** The same provider again after {@code delay}. */
    public static Decision retry(Duration delay) {
        return new Decision(Next.RETRY, Objects.requireNonNull(delay, "delay"), -1, -1, null, null);
    }

    /** The provider at {@code position} of tier {@code tier}'s current order. */
    public static Decision nextProvider(int tier, int position, String note) {
        return new Decision(Next.NEXT_PROVIDER, null, tier, position, null, note);
    }

    /** The first provider of tier {@code tier}. */
    public static Decision nextTier(int tier, String note) {
        return new Decision(Next.NEXT_TIER, null, tier, 0, null, note);
    }

    /** The context-window tier {@code tier}, from {@code position}. */
    public static Decision contextWindowTier(int tier, int position, String note) {
        return new Decision(Next.CONTEXT_WINDOW_TIER, null, tier, position, null, note);
    }

    /** The failure as it is, to the caller. */
    public static Decision passThrough(String note) {
        return new Decision(Next.PASS_THROUGH, null, -1, -1, null, note);
    }

    /** The end of the live tiers. */
    public static Decision exhausted(RouteEvent.Ending ending, String note) {
        return new Decision(Next.EXHAUSTED, null, -1, -1, Objects.requireNonNull(ending, "ending"), note);
    }
}
