package dev.detour.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.stream.Collectors;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;

/** The bare proxy relays answers, streams and errors as the upstream sent them, to the official OpenAI SDK. */
class BareProxyTest {

    private static SimulatedProvider upstream;
    private static DisposableServer proxy;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        upstream = Upstream.simulator(42).start();
        proxy = BareProxy.start(upstream.baseUrl(), 0);
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1").apiKey("sk-bench")
                .maxRetries(0).timeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        proxy.disposeNow();
        upstream.close();
    }

    private static ChatCompletionCreateParams params(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("How far is the next town?").build();
    }

    @Test
    void aWholeAnswerComesBackAsTheUpstreamSentIt() {
        ChatCompletion answer = client.chat().completions().create(params("bench"));

        assertThat(answer.choices().get(0).message().content()).hasValue(Upstream.BENCH_ANSWER);
        assertThat(upstream.lastRequest("bench").path("messages").get(0).path("content").asText())
                .isEqualTo("How far is the next town?");
    }

    @Test
    void aStreamComesBackTokenByToken() {
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params("bench"))) {
            String text = stream.stream().flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
            assertThat(text).isEqualTo(Upstream.BENCH_ANSWER);
        }
    }

    @Test
    void anUpstreamErrorComesBackWithItsStatus() {
        Assertions.assertThatThrownBy(() -> client.models().retrieve("no-such-model"))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("no route for GET /v1/models/no-such-model");
    }
}
