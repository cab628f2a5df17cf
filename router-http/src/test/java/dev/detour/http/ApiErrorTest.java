package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.llm.internal.HttpFailures;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A provider's error as the client sees it: its type, code, param and bare message kept. */
class ApiErrorTest {

    private static ApiError of(int status, String body) {
        return ApiError.of(HttpFailures.status(status, null, body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aContextLengthErrorKeepsTypeCodeParamAndTheBareMessage() {
        ApiError error = of(400, """
                {"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error",
                "param":"messages","code":"context_length_exceeded"}}""");

        assertThat(error).isEqualTo(new ApiError(400, "invalid_request_error", "context_length_exceeded",
                "This model's maximum context length is 8192 tokens.", "messages"));
        ObjectNode json = error.json();
        assertThat(json.toString()).isEqualTo("{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens.\","
                + "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}");
    }

    @Test
    void aContextWindowErrorWithoutACodeIsA400WithCodeContextLengthExceeded() {
        assertThat(of(400, """
                {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 9000 tokens > 8000 maximum"}}"""))
                .isEqualTo(new ApiError(400, "invalid_request_error", "context_length_exceeded",
                        "prompt is too long: 9000 tokens > 8000 maximum", null));
        assertThat(of(413, "Request Entity Too Large"))
                .isEqualTo(new ApiError(400, "invalid_request_error", "context_length_exceeded", "Request Entity Too Large", null));
    }

    @Test
    void aContentPolicyRefusalPassesWithTheProvidersReason() {
        assertThat(of(400, """
                {"type":"error","error":{"type":"invalid_request_error","message":"Output blocked by content filtering policy"}}"""))
                .isEqualTo(new ApiError(400, "invalid_request_error", "content_policy_violation",
                        "Output blocked by content filtering policy", null));
        assertThat(of(400, """
                {"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter"}}"""))
                .isEqualTo(new ApiError(400, "invalid_request_error", "content_filter", "The response was filtered", "prompt"));
    }

    @Test
    void anyOtherClientErrorKeepsItsStatusTypeCodeAndParam() {
        assertThat(of(404, """
                {"error":{"message":"The model 'gpt-9' does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}"""))
                .isEqualTo(new ApiError(404, "invalid_request_error", "model_not_found", "The model 'gpt-9' does not exist", "model"));
        assertThat(of(422, "{\"error\":{\"message\":\"bad\"}}")).isEqualTo(new ApiError(422, "invalid_request_error", null, "bad", null));
        assertThat(ApiError.of(ProviderException.status(400, "messages: required")))
                .isEqualTo(new ApiError(400, "invalid_request_error", null, "messages: required", null));
    }

    @Test
    void credentialRejectionsAndServerErrorsKeepTheirOwnHandling() {
        ApiError rejected = of(401, "{\"error\":{\"message\":\"Incorrect API key\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
        assertThat(rejected).isEqualTo(new ApiError(502, "upstream_error", "provider_rejected_credentials",
                "the provider rejected the router's credentials: 401 Incorrect API key", null));
        assertThat(ApiError.of(new ProviderException(Failure.status(503, null, "overloaded").withUpstream(
                new UpstreamError("server_error", "overloaded", null)))))
                .isEqualTo(new ApiError(502, "upstream_error", null, "503 overloaded", null));
        assertThat(ApiError.badRequest("x").json().path("error").path("param").isNull()).isTrue();
    }
}
