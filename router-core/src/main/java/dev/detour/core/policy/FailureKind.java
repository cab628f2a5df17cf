package dev.detour.core.policy;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The classes of failure an attempt can end in: the triggers a route retries or falls back on.
 */
public enum FailureKind {
    /** The attempt did not answer within its timeout (its own, or the time the deadline left). */
    TIMEOUT,
    /** The connection could not be made, or broke: refused, reset, closed early, unknown host. */
    CONNECTION,
    /** The provider answered 5xx. */
    SERVER_ERROR,
    /** The provider answered 429, perhaps with a Retry-After. */
    RATE_LIMITED,
    /** The provider answered 408. */
    REQUEST_TIMEOUT,
    /** The provider answered another 4xx: the request itself is bad. */
    CLIENT_ERROR,
    /**
     * The request does not fit the provider's context window (OpenAI's {@code context_length_exceeded},
     * Anthropic's {@code prompt is too long}, a 413): never retried on the same provider; a route may
     * move it to larger-context providers ({@link Route.Builder#onContextWindow}).
     */
    CONTEXT_WINDOW,
    /** The provider refused the request or its answer under its content policy. */
    CONTENT_POLICY,
    /** The provider answered nothing, or an answer a validator calls empty. */
    EMPTY,
    /** A validator rejected the answer. */
    INVALID,
    /** The answer's confidence score is under the route's floor. */
    LOW_CONFIDENCE,
    /** The provider is unavailable before any call: disabled by an operator, breaker open. */
    UNAVAILABLE,
    /** Any other error the provider raised. */
    ERROR;

    /**
     * What falls back unless a route says otherwise: everything but {@link #CLIENT_ERROR},
     * {@link #CONTEXT_WINDOW} and {@link #CONTENT_POLICY}, which go straight to the caller with the
     * provider's reason because another provider would most likely refuse the same request.
     */
    public static final Set<FailureKind> DEFAULT_FALLBACK = Collections.unmodifiableSet(
            EnumSet.complementOf(EnumSet.of(CLIENT_ERROR, CONTEXT_WINDOW, CONTENT_POLICY)));

    /**
     * What a retry policy retries unless told otherwise: the transient failures a provider reported
     * (connection, 5xx, 429, 408). Not {@link #TIMEOUT}: a provider that did not answer in time moves on
     * at once unless a policy lists it.
     */
    public static final Set<FailureKind> DEFAULT_RETRY = Collections.unmodifiableSet(
            EnumSet.of(CONNECTION, SERVER_ERROR, RATE_LIMITED, REQUEST_TIMEOUT));

    /** The kind an HTTP error status belongs to. */
    public static FailureKind ofStatus(int status) {
        if (status == 408) {
            return REQUEST_TIMEOUT;
        }
        if (status == 429) {
            return RATE_LIMITED;
        }
        if (status >= 500 && status <= 599) {
            return SERVER_ERROR;
        }
        if (status >= 400 && status <= 499) {
            return CLIENT_ERROR;
        }
        throw new IllegalArgumentException("not an HTTP error status: " + status);
    }
}
