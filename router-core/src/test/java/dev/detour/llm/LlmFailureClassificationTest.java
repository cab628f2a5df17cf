package dev.detour.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.openai.OpenAiProvider;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** How provider errors become context-window, content-policy and other failures, keeping the provider's error object. */
class LlmFailureClassificationTest {

    private static final AttemptContext CONTEXT = new AttemptContext("test", 0, 1, Duration.ofSeconds(5));

    private static Failure status(int status, String body) {
        return HttpFailures.status(status, null, body.getBytes(StandardCharsets.UTF_8)).failure();
    }

    private static JsonNode json(String text) {
        return Json.object(text, "test");
    }

    @Test
    void openAisContextLengthExceededIsAContextWindowFailureThatKeepsTypeCodeParamAndTheBareMessage() {
        Failure failure = status(400, """
                {"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
                "type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}""");

        assertThat(failure.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(failure.status()).isEqualTo(400);
        assertThat(failure.upstream()).isEqualTo(new UpstreamError("invalid_request_error", "context_length_exceeded", "messages"));
        assertThat(failure.detail()).isEqualTo(
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.");
    }

    @Test
    void aMessageSayingTheMaximumContextLengthIsExceededIsEnoughWithoutACode() {
        Failure vllm = status(400, """
                {"object":"error","error":{"message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError"}}""");
        assertThat(vllm.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(vllm.upstream()).isEqualTo(new UpstreamError("BadRequestError", null, null));
        assertThat(status(400, "{\"error\":{\"message\":\"x\",\"type\":\"context_length_exceeded\"}}").kind())
                .isEqualTo(FailureKind.CONTEXT_WINDOW);
    }

    @Test
    void anthropicsPromptIsTooLongIsAContextWindowFailure() {
        Failure failure = status(400, """
                {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}""");

        assertThat(failure.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(failure.status()).isEqualTo(400);
        assertThat(failure.upstream()).isEqualTo(new UpstreamError("invalid_request_error", null, null));
        assertThat(failure.detail()).isEqualTo("prompt is too long: 208310 tokens > 200000 maximum");
    }

    @Test
    void any413IsAContextWindowFailureThatKeepsItsStatus() {
        Failure anthropic = status(413, """
                {"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}""");
        assertThat(anthropic.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(anthropic.status()).isEqualTo(413);
        assertThat(anthropic.upstream().type()).isEqualTo("request_too_large");
        Failure proxy = status(413, "<html>Request Entity Too Large</html>");
        assertThat(proxy.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(proxy.upstream()).isNull();
        assertThat(proxy.detail()).isEqualTo("<html>Request Entity Too Large</html>");
    }

    @Test
    void contentPolicyCodesAndAnthropicsFilteringPolicyAreContentPolicyFailures() {
        Failure openai = status(400, """
                {"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}""");
        assertThat(openai.kind()).isEqualTo(FailureKind.CONTENT_POLICY);
        assertThat(openai.upstream()).isEqualTo(new UpstreamError("invalid_request_error", "content_policy_violation", null));
        assertThat(openai.detail()).isEqualTo("Your request was rejected as a result of our safety system.");
        Failure azure = status(400, """
                {"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400}}""");
        assertThat(azure.kind()).isEqualTo(FailureKind.CONTENT_POLICY);
        assertThat(azure.upstream()).isEqualTo(new UpstreamError(null, "content_filter", "prompt"));
        Failure anthropic = status(400, """
                {"type":"error","error":{"type":"invalid_request_error","message":"Output blocked by content filtering policy"}}""");
        assertThat(anthropic.kind()).isEqualTo(FailureKind.CONTENT_POLICY);
        assertThat(anthropic.detail()).isEqualTo("Output blocked by content filtering policy");
    }

    @Test
    void otherErrorsKeepTheKindOfTheirStatusAndTheirErrorObject() {
        Failure bad = status(400, """
                {"error":{"message":"'messages' is a required property","type":"invalid_request_error","param":"messages","code":null}}""");
        assertThat(bad.kind()).isEqualTo(FailureKind.CLIENT_ERROR);
        assertThat(bad.upstream()).isEqualTo(new UpstreamError("invalid_request_error", null, "messages"));
        assertThat(bad.detail()).isEqualTo("'messages' is a required property");
        Failure limited = status(429, """
                {"error":{"message":"Rate limit reached: the maximum context length of requests per minute","type":"tokens","code":"rate_limit_exceeded"}}""");
        assertThat(limited.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(limited.upstream().code()).isEqualTo("rate_limit_exceeded");
        assertThat(status(500, "{\"error\":{\"message\":\"prompt is too long\",\"code\":\"context_length_exceeded\"}}").kind())
                .isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(status(400, "{\"error\":{\"message\":\"x\",\"code\":400}}").upstream().code()).isEqualTo("400");
    }

    @Test
    void aRedactedFailureKeepsItsKindAndErrorObject() {
        String key = "sk-live-abcdef123456";
        ProviderException error = HttpFailures.status(400, null, ("{\"error\":{\"message\":\"key " + key
                + ": prompt exceeds the maximum context length\",\"code\":\"context_length_exceeded\"}}").getBytes(StandardCharsets.UTF_8));

        Failure redacted = ((ProviderException) HttpFailures.redact(error, ApiKey.of(key))).failure();

        assertThat(redacted.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(redacted.upstream().code()).isEqualTo("context_length_exceeded");
        assertThat(redacted.detail()).isEqualTo("key ***: prompt exceeds the maximum context length");
    }

    @Test
    void openAiErrorObjectsInA200AnswerOrStreamChunkAreClassifiedByTheirCode() {
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.post("/v1/chat/completions", (request, response) -> request.receive().aggregate().asString()
                        .flatMap(body -> body.contains("\"stream\":true")
                                ? response.header("content-type", "text/event-stream").sendString(Mono.just(
                                        "data: {\"error\":{\"message\":\"flagged\",\"type\":null,\"code\":\"content_filter\"}}\n\n")).then()
                                : response.header("content-type", "application/json").sendString(Mono.just(
                                        "{\"error\":{\"message\":\"maximum context length is 8192 tokens\",\"type\":\"server_error\","
                                                + "\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}")).then())))
                .bindNow();
        try {
            OpenAiProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1")).build();

            Throwable whole = openai.call(ChatRequest.user("m", "hi"), CONTEXT).then(Mono.<Throwable>empty())
                    .onErrorResume(Mono::just).block(Duration.ofSeconds(5));
            Failure tooLong = Failure.of(whole);
            assertThat(tooLong.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(tooLong.upstream()).isEqualTo(new UpstreamError("server_error", "context_length_exceeded", "messages"));
            assertThat(tooLong.detail()).isEqualTo("maximum context length is 8192 tokens");

            Throwable streamed = openai.stream(ChatRequest.user("m", "hi"), CONTEXT).then(Mono.<Throwable>empty())
                    .onErrorResume(Mono::just).block(Duration.ofSeconds(5));
            assertThat(Failure.of(streamed).kind()).isEqualTo(FailureKind.CONTENT_POLICY);
            assertThat(Failure.of(streamed).status()).isEqualTo(400);
            assertThat(Failure.of(streamed).upstream()).isEqualTo(new UpstreamError(null, "content_filter", null));
        } finally {
            server.disposeNow();
        }
    }
}
