package dev.detour.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.AttemptContext;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** What a continuation request looks like on the wire, in each dialect and form. */
class ContinuationWireTest {

    private static final AttemptContext CONTEXT = new AttemptContext("test", 0, 1, Duration.ofSeconds(5));
    private static final ChatRequest CUT = ChatRequest.user("m", "Count to five.").continuing("one two three ");

    private final List<ObjectNode> bodies = new CopyOnWriteArrayList<>();
    private DisposableServer server;

    @BeforeEach
    void start() {
        server = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> request.receive().aggregate().asByteArray()
                        .doOnNext(body -> bodies.add(Json.object(body, "request")))
                        .then(response.status(400).header("content-type", "application/json")
                                .sendString(Mono.just("{\"error\":{\"message\":\"no\",\"type\":\"invalid_request_error\"}}"))
                                .then()))
                .bindNow();
    }

    @AfterEach
    void stop() {
        server.disposeNow();
    }

    private ObjectNode sent(ChatProvider provider, ChatRequest request) {
        provider.stream(request, CONTEXT).onErrorResume(error -> Mono.empty()).blockLast(Duration.ofSeconds(5));
        return bodies.get(bodies.size() - 1);
    }

    private HttpSettings settings() {
        return HttpSettings.of("http://127.0.0.1:" + server.port() + "/v1");
    }

    @Test
    void anOpenAiPrefillEndsWithTheAssistantPrefixAndSaysSoInThePrefixFields() {
        ObjectNode body = sent(OpenAiProvider.builder("vllm", settings()).continuation(ContinuationMode.PREFILL).build(),
                CUT.continuedAs(ContinuationMode.PREFILL));

        JsonNode messages = body.path("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(messages.get(1).path("content").asText()).isEqualTo("one two three");
        assertThat(messages.get(1).path("prefix").asBoolean()).isTrue();
        assertThat(body.path("continue_final_message").asBoolean()).isTrue();
        assertThat(body.path("add_generation_prompt").asBoolean(true)).isFalse();
    }

    @Test
    void anInstructionAsksAfterTheAssistantPrefixAndAddsNoPrefixFields() {
        ObjectNode body = sent(OpenAiProvider.builder("openai", settings()).build(), CUT.continuedAs(ContinuationMode.INSTRUCTION));

        JsonNode messages = body.path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(1).path("content").asText()).isEqualTo("one two three");
        assertThat(messages.get(1).has("prefix")).isFalse();
        assertThat(messages.get(2).path("role").asText()).isEqualTo("user");
        assertThat(messages.get(2).path("content").asText()).contains("Continue it from exactly where it stopped");
        assertThat(body.has("continue_final_message")).isFalse();
    }

    @Test
    void anAnthropicPrefillIsTheLastAssistantMessageWithoutTrailingWhitespace() {
        ObjectNode body = sent(AnthropicProvider.builder("claude", settings()).model("claude").build(),
                CUT.continuedAs(ContinuationMode.PREFILL));

        JsonNode messages = body.path("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(messages.get(1).path("content").toString()).contains("one two three").doesNotContain("three ");
    }

    @Test
    void eachDialectHasItsDefaultForm() {
        assertThat(OpenAiProvider.builder("openai", settings()).build().continuation()).isEqualTo(ContinuationMode.INSTRUCTION);
        assertThat(AnthropicProvider.builder("claude", settings()).build().continuation()).isEqualTo(ContinuationMode.PREFILL);
        assertThat(AnthropicProvider.builder("claude", settings()).continuation(ContinuationMode.NONE).build().continuation())
                .isEqualTo(ContinuationMode.NONE);
    }
}
