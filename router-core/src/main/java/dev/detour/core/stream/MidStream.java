package dev.detour.core.stream;

/** What a streaming route does when its stream fails after the first element reached the caller. */
public enum MidStream {
    /** End the stream with an error (an HTTP server turns it into an SSE error event). */
    ERROR,
    /**
     * Ask the next provider to continue the answer from where it stopped, splice its elements on after
     * a marker saying the provider changed; when the stream cannot be continued (e.g. inside a tool
     * call), end with an error as {@link #ERROR} does.
     */
    CONTINUE
}
