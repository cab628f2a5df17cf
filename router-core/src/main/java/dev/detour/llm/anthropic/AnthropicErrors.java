package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.llm.internal.HttpFailures;

/** Decodes Anthropic error objects and error types into the engine's failures. */
final class AnthropicErrors {

    private AnthropicErrors() {
    }

    /** See {@link AnthropicTranslation#status}. */
    static int status(String errorType) {
        if (errorType == null) {
            return 502;
        }
        switch (errorType) {
            case "invalid_request_error":
                return 400;
            case "authentication_error":
                return 401;
            case "billing_error":
                return 402;
            case "permission_error":
                return 403;
            case "not_found_error":
                return 404;
            case "request_too_large":
                return 413;
            case "rate_limit_error":
                return 429;
            case "api_error":
                return 500;
            case "timeout_error":
                return 504;
            case "overloaded_error":
                return 529;
            default:
                return 502;
        }
    }

    /** See {@link AnthropicTranslation#error}. */
    static ProviderException error(JsonNode body) {
        JsonNode error = body.path("error");
        String type = error.path("type").isTextual() ? error.get("type").asText() : null;
        String message = error.path("message").isTextual() ? error.get("message").asText()
                : "error " + (type == null ? "without a type" : type) + " from Anthropic";
        UpstreamError upstream = UpstreamError.of(type, null, null);
        int status = status(type);
        if (HttpFailures.namedKind(upstream, message) != null && (status < 400 || status > 499)) {
            status = 400;
        }
        return new ProviderException(HttpFailures.failure(status, null, message, upstream));
    }
}
