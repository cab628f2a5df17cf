package dev.detour.llm.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.Json;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/** Turns what an HTTP provider answered into the engine's failures. Never includes request headers (keys). */
public final class HttpFailures {

    private static final int MAX_DETAIL = 300;
    private static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);
    private static final List<String> CONTENT_POLICY_CODES = List.of("content_policy_violation", "content_filter");

    private HttpFailures() {
    }

    /**
     * A provider's error status, with its Retry-After (seconds or an HTTP date), the error message from
     * its body (OpenAI's {@code error.message} or Anthropic's {@code error.message}), shortened, and the
     * error object's {@code type}, {@code code} and {@code param}; classified by {@link #failure}.
     */
    public static ProviderException status(int status, String retryAfter, byte[] body) {
        JsonNode error = errorObject(body);
        UpstreamError upstream = error == null ? null : upstream(error);
        return new ProviderException(failure(status, retryAfter(retryAfter), message(error, body), upstream));
    }

    /**
     * The failure an upstream error stands for. {@link FailureKind#CONTEXT_WINDOW} for any 413, and for
     * another 4xx (not 408 or 429) whose error {@link #namedKind names} it; likewise
     * {@link FailureKind#CONTENT_POLICY}; otherwise the kind of the status. The failure keeps the
     * status, the bare {@code message} and {@code upstream} (null for none).
     */
    public static Failure failure(int status, Duration retryAfter, String message, UpstreamError upstream) {
        boolean clientError = status >= 400 && status <= 499 && status != 408 && status != 429;
        FailureKind named = clientError ? namedKind(upstream, message) : null;
        Failure failure;
        if (status == 413 || named == FailureKind.CONTEXT_WINDOW) {
            failure = Failure.contextWindow(status, message);
        } else if (named == FailureKind.CONTENT_POLICY) {
            failure = Failure.contentPolicy(status, message);
        } else {
            failure = Failure.status(status, retryAfter, message);
        }
        return failure.withUpstream(upstream);
    }

    /**
     * The LLM-specific kind an error names, or null: {@link FailureKind#CONTEXT_WINDOW} when its code or
     * type is {@code context_length_exceeded}, or its message says the maximum context length is
     * exceeded (OpenAI, vLLM: {@code maximum context length}; Anthropic: starts {@code prompt is too
     * long}, or {@code exceed context limit}); {@link FailureKind#CONTENT_POLICY} when its code or type
     * is {@code content_policy_violation} or {@code content_filter}, or its message mentions a
     * {@code content filtering policy} (Anthropic).
     */
    public static FailureKind namedKind(UpstreamError upstream, String message) {
        String code = upstream == null ? null : upstream.code();
        String type = upstream == null ? null : upstream.type();
        if ("context_length_exceeded".equals(code) || "context_length_exceeded".equals(type)) {
            return FailureKind.CONTEXT_WINDOW;
        }
        if (CONTENT_POLICY_CODES.contains(String.valueOf(code)) || CONTENT_POLICY_CODES.contains(String.valueOf(type))) {
            return FailureKind.CONTENT_POLICY;
        }
        if (message == null) {
            return null;
        }
        String text = message.toLowerCase(Locale.ROOT);
        if (text.contains("maximum context length") || text.contains("context_length_exceeded")
                || text.startsWith("prompt is too long") || text.contains("exceed context limit")) {
            return FailureKind.CONTEXT_WINDOW;
        }
        return text.contains("content filtering policy") ? FailureKind.CONTENT_POLICY : null;
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
        return new ProviderException(failure.withDetail(detail.replace(secret, "***")));
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
        return message(errorObject(body), body);
    }

    private static String message(JsonNode error, byte[] body) {
        if (error != null && error.path("message").isTextual()) {
            return shorten(error.get("message").asText());
        }
        if (body == null || body.length == 0) {
            return null;
        }
        return shorten(new String(body, 0, Math.min(body.length, MAX_DETAIL), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A JSON body's {@code error} object, or null. */
    private static JsonNode errorObject(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode json = Json.parse(body);
            JsonNode error = json == null ? null : json.get("error");
            return error != null && error.isObject() ? error : null;
        } catch (java.io.IOException notJson) {
            return null;
        }
    }

    /** An error object's {@code type}, {@code code} (a number too) and {@code param}, or null when it has none. */
    public static UpstreamError upstream(JsonNode error) {
        return UpstreamError.of(text(error, "type"), text(error, "code"), text(error, "param"));
    }

    private static String text(JsonNode error, String field) {
        JsonNode value = error.get(field);
        return value == null || value.isNull() || !value.isValueNode() ? null : shorten(value.asText());
    }

    private static String shorten(String text) {
        if (text == null) {
            return null;
        }
        String line = text.replace('\n', ' ').replace('\r', ' ');
        return line.length() <= MAX_DETAIL ? line : line.substring(0, MAX_DETAIL) + "…";
    }
}
