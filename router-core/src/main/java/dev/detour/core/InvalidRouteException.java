package dev.detour.core;

/** A route or tier was configured wrongly; the message says which route, which field and why. */
public class InvalidRouteException extends IllegalArgumentException {

    public InvalidRouteException(String message) {
        super(message);
    }
}
