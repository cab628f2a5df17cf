package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.DeadlineExceededException;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.RouteFailedException;
import dev.detour.core.UpstreamError;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.stream.MidStreamException;
import dev.detour.http.limits.KeyLimits;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.util.List;

/**
 * An error as an OpenAI-style JSON body with its HTTP status. Every failure the router can meet maps
 * to one, with a precise message and never a stack trace.
 *
 * @param status  the HTTP status
 * @param type    the OpenAI error type ({@code invalid_request_error}, {@code authentication_error} …)
 * @param code    a short code, or null
 * @param message what went wrong
 * @param param   the request field the error is about, or null
 */
public record ApiError(int status, String type, String code, String message, String param) {

    /** An error about no particular field. */
    public ApiError(int status, String type, String code, String message) {
        this(status, type, code, message, null);
    }

    /** 400: the request is malformed or invalid. */
    public static ApiError badRequest(String message) {
        return new ApiError(400, "invalid_request_error", null, message);
    }

    /** 401: no key, or a wrong one. */
    public static ApiError unauthorized(String message) {
        return new ApiError(401, "authentication_error", "invalid_api_key", message);
    }

    /** 404: no such model alias, route or path. */
    public static ApiError notFound(String code, String message) {
        return new ApiError(404, "invalid_request_error", code, message);
    }

    /**
     * 404: no route for the model alias {@code model}. With at most {@link DidYouMean#MAX} aliases, all of
     * them ({@code The model 'x' does not exist; known: [a, b]}); with more, the close ones and where to
     * find the rest ({@code The model 'gpt4o' does not exist; did you mean 'gpt-4o'? GET /v1/models lists
     * all 51 models}).
     */
    public static ApiError unknownModel(String model, List<String> aliases) {
        String message;
        if (aliases.size() <= DidYouMean.MAX) {
            message = "The model '" + model + "' does not exist; known: " + aliases;
        } else {
            List<String> close = DidYouMean.closest(model, aliases, DidYouMean.MAX);
            message = "The model '" + model + "' does not exist; "
                    + (close.isEmpty() ? "" : "did you mean " + DidYouMean.alternatives(close) + "? ")
                    + "GET /v1/models lists all " + aliases.size() + " models";
        }
        return new ApiError(404, "invalid_request_error", "model_not_found", message, "model");
    }

    /** 404: no JSON route named {@code name}, with the close names among {@code names}. */
    public static ApiError unknownRoute(String name, List<String> names) {
        List<String> close = DidYouMean.closest(name, names, DidYouMean.MAX);
        return notFound("route_not_found", "no route '" + name + "'"
                + (close.isEmpty() ? "" : "; did you mean " + DidYouMean.alternatives(close) + "?"));
    }

    /** 404: nothing is served at {@code path} (the path as requested, its leading {@code /} included, without the query). */
    public static ApiError unknownPath(String method, String path) {
        String shown = path.startsWith("/") ? path : "/" + path;
        return notFound("unknown_path", "no route for " + method + " " + shown);
    }

    /** 400: the body is not JSON; {@code problem} says why and where. */
    public static ApiError invalidJson(String problem) {
        return new ApiError(400, "invalid_request_error", "invalid_json", "request body is not valid JSON: " + problem);
    }

    /**
     * 429: a client key is over one of its limits; the message names the limit, never the key
     * ({@code requests-per-minute limit of 60 reached for this key; retry after 12s}), and the answer carries
     * {@code retry-after}.
     */
    public static ApiError keyLimited(KeyLimits.Refusal refusal) {
        return new ApiError(429, "rate_limit_error", "rate_limit_exceeded", refusal.message());
    }

    /** 413: the body is larger than the router accepts. */
    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", "request body is larger than " + limit + " bytes");
    }

    /** 429: the router is serving as many requests as it is allowed to. */
    public static ApiError busy(int limit) {
        return new ApiError(429, "rate_limit_error", "rate_limit_exceeded",
                "the router is serving its limit of " + limit + " requests at once; retry shortly");
    }

    /**
     * The error a failed route or request ends in. A provider's 4xx that reached the caller keeps the
     * provider's status, its error's type, code and param, and its bare message; a context-window
     * failure is a 400 with code {@code context_length_exceeded} unless the provider gave another, a
     * content-policy failure a 400 with {@code content_policy_violation} likewise.
     */
    public static ApiError of(Throwable error) {
        if (error instanceof ApiException api) {
            return api.error();
        }
        if (error instanceof InvalidChatException invalid) {
            return badRequest(invalid.getMessage());
        }
        if (error instanceof DeadlineExceededException deadline) {
            return new ApiError(504, "timeout_error", "deadline_exceeded", deadline.getMessage());
        }
        if (error instanceof RouteFailedException failed) {
            return new ApiError(502, "upstream_error", "all_providers_failed", failed.getMessage());
        }
        if (error instanceof MidStreamException midStream) {
            return midStream.deadlineExceeded()
                    ? new ApiError(504, "timeout_error", "deadline_exceeded", midStream.getMessage())
                    : new ApiError(502, "upstream_error", "stream_failed", midStream.getMessage());
        }
        if (error instanceof ProviderException provider) {
            Failure failure = provider.failure();
            int status = failure.status();
            if (status == 401 || status == 403) {
                return new ApiError(502, "upstream_error", "provider_rejected_credentials",
                        "the provider rejected the router's credentials: " + provider.getMessage());
            }
            boolean clientError = status >= 400 && status < 500;
            if (failure.kind() == FailureKind.CONTEXT_WINDOW) {
                return upstream(400, failure, provider, "context_length_exceeded");
            }
            if (failure.kind() == FailureKind.CONTENT_POLICY) {
                return upstream(clientError ? status : 400, failure, provider, "content_policy_violation");
            }
            if (clientError) {
                return upstream(status, failure, provider, null);
            }
            return new ApiError(502, "upstream_error", null, provider.getMessage());
        }
        return new ApiError(500, "server_error", null, "internal error: " + error.getClass().getSimpleName());
    }

    private static ApiError upstream(int status, Failure failure, ProviderException provider, String defaultCode) {
        UpstreamError upstream = failure.upstream();
        String type = upstream == null || upstream.type() == null ? "invalid_request_error" : upstream.type();
        String code = upstream == null || upstream.code() == null ? defaultCode : upstream.code();
        String message = failure.detail() == null ? provider.getMessage() : failure.detail();
        return new ApiError(status, type, code, message, upstream == null ? null : upstream.param());
    }

    /** The error body. */
    public ObjectNode json() {
        ObjectNode body = Json.newObject();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return body;
    }

    /** An {@link ApiError} as an exception, for reactive pipelines. */
    public static final class ApiException extends RuntimeException {

        private final transient ApiError error;

        public ApiException(ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        /** The error. */
        public ApiError error() {
            return error;
        }
    }
}
