package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Turns what an HTTP provider answered into the engine's failures. Never includes request headers (keys). */
public final class HttpFailures {

    private static final int MAX_DETAIL = 300;
    private static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

    private HttpFailures() {
    }

    /**
     * A provider's error status, with its Retry-After (seconds or an HTTP date) and the error message
     * from its body (OpenAI's {@code error.message} or Anthropic's {@code error.message}), shortened.
     */
    public static ProviderException status(int status, String retryAfter, byte[] body) {
        return new ProviderException(Failure.status(status, retryAfter(retryAfter), message(body)));
    }

    /**
     * {@code error} with every occurrence of {@code key} in its detail replaced by {@code ***}: some
     * providers echo a rejected key in their error text.
     */
    public static Throwable redact(Throwable error, ApiKey key) {
        if (key == null || !(error instanceof ProviderException provider)) {
            return error;
        }
        Failure failure = provider.failure();
        String detail = failure.detail();
        String secret = key.reveal();
        if (detail == null || !detail.contains(secret) || failure.status() == 0) {
            return error;
        }
        return new ProviderException(Failure.status(failure.status(), failure.retryAfter(), detail.replace(secret, "***")));
    }

    /** A 2xx answer that could not be used (not JSON, wrong shape, an error object in it). */
    public static ProviderException malformed(String what) {
        return new ProviderException(Failure.status(502, null, "malformed answer: " + shorten(what)));
    }

    /**
     * A stream that ended before the protocol's end: a malformed answer when its last unreadable event is
     * {@code malformed} (the stream may have been nothing else), else a broken connection saying {@code why}.
     */
    public static ProviderException cut(String why, ChatChunk malformed) {
        if (malformed != null) {
            return malformed(malformed.malformation());
        }
        return new ProviderException(Failure.connection(why));
    }

    /** The Retry-After header as a duration from now (at most a day), or null when absent or unreadable. */
    public static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, MAX_RETRY_AFTER.toSeconds()));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration wait = Duration.ofMillis(at.toInstant().toEpochMilli() - System.currentTimeMillis());
                return wait.isNegative() ? Duration.ZERO : wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** The error message in an error body, or a short excerpt of the body. */
    public static String message(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode json = Json.MAPPER.readTree(body);
            JsonNode message = json == null ? null : json.path("error").path("message");
            if (message != null && message.isTextual()) {
                return shorten(message.asText());
            }
        } catch (java.io.IOException notJson) {
            // fall through to an excerpt
        }
        return shorten(new String(body, 0, Math.min(body.length, MAX_DETAIL), java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String shorten(String text) {
        if (text == null) {
            return null;
        }
        String line = text.replace('\n', ' ').replace('\r', ' ');
        return line.length() <= MAX_DETAIL ? line : line.substring(0, MAX_DETAIL) + "…";
    }
}
