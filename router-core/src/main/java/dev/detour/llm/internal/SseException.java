package dev.detour.llm.internal;

/** A server-sent-event stream that cannot be read: an event over the size bound, or a stream cut inside an event. */
public class SseException extends RuntimeException {

    /** An exception with this message. */
    public SseException(String message) {
        super(message);
    }
}
