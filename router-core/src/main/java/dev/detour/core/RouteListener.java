package dev.detour.core;

/**
 * Receives every {@link RouteEvent} of the routes of a {@link Router}. Called on the thread that
 * produced the event, which may be an event loop: it must be quick and must not block.
 */
@FunctionalInterface
public interface RouteListener {

    /** One event. */
    void onEvent(RouteEvent event);
}
