package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.policy.FailureKind;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class FailureTest {

    @Test
    void statusesMapToTheirKinds() {
        assertThat(FailureKind.ofStatus(500)).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(FailureKind.ofStatus(503)).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(FailureKind.ofStatus(429)).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(FailureKind.ofStatus(408)).isEqualTo(FailureKind.REQUEST_TIMEOUT);
        assertThat(FailureKind.ofStatus(400)).isEqualTo(FailureKind.CLIENT_ERROR);
        assertThat(FailureKind.ofStatus(404)).isEqualTo(FailureKind.CLIENT_ERROR);
        assertThatThrownBy(() -> FailureKind.ofStatus(200)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorsAreClassified() {
        ProviderException rateLimited = ProviderException.rateLimited(Duration.ofSeconds(7), "slow down");
        Failure fromProvider = Failure.of(rateLimited);
        assertThat(fromProvider.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(fromProvider.retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(fromProvider.cause()).isSameAs(rateLimited);
        assertThat(Failure.of(new TimeoutException()).kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(Failure.of(new ConnectException("Connection refused")).kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(Failure.of(new IOException("Connection reset by peer")).kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(Failure.of(new IllegalStateException("boom")).kind()).isEqualTo(FailureKind.ERROR);
        assertThat(Failure.of(ProviderException.unavailable("disabled")).kind()).isEqualTo(FailureKind.UNAVAILABLE);
    }

    @Test
    void failuresDescribeThemselvesShortly() {
        assertThat(Failure.status(503, null, "overloaded")).hasToString("503");
        assertThat(Failure.status(429, Duration.ofSeconds(30), null)).hasToString("429 retry-after 30s");
        assertThat(Failure.status(429, Duration.ofMillis(1500), null)).hasToString("429 retry-after 1500ms");
        assertThat(Failure.timeout(Duration.ofSeconds(2))).hasToString("timeout 2000ms");
        assertThat(Failure.invalid("no JSON")).hasToString("invalid: no JSON");
        assertThat(Failure.unavailable("disabled by operator")).hasToString("unavailable: disabled by operator");
        assertThat(ProviderException.status(503, "overloaded")).hasMessage("503 overloaded");
    }

    @Test
    void failuresTheDefaultsFallBackOnAndRetry() {
        assertThat(FailureKind.DEFAULT_FALLBACK)
                .doesNotContain(FailureKind.CLIENT_ERROR, FailureKind.CONTEXT_WINDOW, FailureKind.CONTENT_POLICY)
                .contains(FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED, FailureKind.REQUEST_TIMEOUT,
                        FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.EMPTY, FailureKind.INVALID,
                        FailureKind.LOW_CONFIDENCE, FailureKind.UNAVAILABLE);
        assertThat(FailureKind.DEFAULT_RETRY).containsExactlyInAnyOrder(FailureKind.CONNECTION,
                FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED, FailureKind.REQUEST_TIMEOUT);
    }

    @Test
    void llmFailuresKeepTheirStatusTheProvidersErrorObjectAndABareMessage() {
        UpstreamError upstream = new UpstreamError("invalid_request_error", "context_length_exceeded", "messages");
        Failure tooLong = Failure.contextWindow(400, "maximum context length is 8192 tokens").withUpstream(upstream);

        assertThat(tooLong.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.detail()).isEqualTo("maximum context length is 8192 tokens");
        assertThat(tooLong.upstream()).isEqualTo(upstream);
        assertThat(tooLong).hasToString("context-window 400");
        assertThat(Failure.contentPolicy(400, "flagged")).hasToString("content-policy 400");
        assertThat(new ProviderException(tooLong)).hasMessage("context-window 400 maximum context length is 8192 tokens");
        ProviderException thrown = new ProviderException(tooLong);
        Failure classified = Failure.of(new RuntimeException("wrapped", thrown));
        assertThat(classified.upstream()).isEqualTo(upstream);
        assertThat(classified.withDetail("redacted").upstream()).isEqualTo(upstream);
        assertThat(classified.withDetail("redacted").kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(Failure.status(503, null, "down").upstream()).isNull();
        assertThat(UpstreamError.of(null, null, null)).isNull();
    }
}
