package dev.detour.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Signal;
import reactor.netty.ByteBufMono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;

/** The simulator over real sockets, read with Reactor Netty's HTTP client. */
class SimulatedProviderTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String OPENAI = "/v1/chat/completions";
    private static final String ANTHROPIC = "/v1/messages";

    private final HttpClient client = HttpClient.newConnection();
    private SimulatedProvider sim;

    @AfterEach
    void close() {
        if (sim != null) {
            sim.close();
        }
    }

    private static String openAi(String model, boolean stream, boolean includeUsage) {
        ObjectNode body = Json.newObject().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", "Say hello to me");
        if (stream) {
            body.put("stream", true);
            if (includeUsage) {
                body.putObject("stream_options").put("include_usage", true);
            }
        }
        return body.toString();
    }

    private static String anthropic(String model, boolean stream) {
        ObjectNode body = Json.newObject().put("model", model).put("max_tokens", 100);
        body.put("system", "Be brief");
        body.putArray("messages").addObject().put("role", "user").put("content", "Say hello to me");
        if (stream) {
            body.put("stream", true);
        }
        return body.toString();
    }

    private HttpClient.ResponseReceiver<?> request(String path, String body, Consumer<HttpHeaders> headers) {
        return client.headers(headers).post().uri(sim.baseUrl() + path)
                .send(ByteBufMono.fromString(Mono.just(body)));
    }

    private Reply post(String path, String body, Consumer<HttpHeaders> headers) {
        return request(path, body, headers)
                .responseSingle((response, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(text -> new Reply(response.status().code(), response.responseHeaders(), text)))
                .block(WAIT);
    }

    private Reply post(String path, String body) {
        return post(path, body, headers -> { });
    }

    /** The body as it arrived, then how it ended: completion or the error. */
    private List<Signal<String>> streamed(String path, String body) {
        return request(path, body, headers -> { }).responseContent().asString(StandardCharsets.UTF_8)
                .materialize().collectList().block(WAIT);
    }

    private static String text(List<Signal<String>> signals) {
        StringBuilder text = new StringBuilder();
        signals.stream().filter(Signal::isOnNext).forEach(signal -> text.append(signal.get()));
        return text.toString();
    }

    private static Signal<String> ending(List<Signal<String>> signals) {
        return signals.get(signals.size() - 1);
    }

    private static SimulatedProvider.Builder builder() {
        return SimulatedProvider.builder();
    }

    @Test
    void anOpenAiAnswerHasTheChatCompletionShape() {
        sim = builder().model("fast", Behaviour.answer("Hello world").latency(Duration.ofMillis(5))).start();

        Reply reply = post(OPENAI, openAi("fast", false, false));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("content-type")).isEqualTo("application/json");
        ObjectNode json = reply.json();
        assertThat(json.get("id").asText()).startsWith("chatcmpl-");
        assertThat(json.get("object").asText()).isEqualTo("chat.completion");
        assertThat(json.get("created").asLong()).isPositive();
        assertThat(json.get("model").asText()).isEqualTo("fast");
        JsonNode choice = json.get("choices").get(0);
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").asText()).isEqualTo("Hello world");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(json.get("usage").toString())
                .isEqualTo("{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}");
        ChatResponse response = ChatResponse.of(json);
        assertThat(response.content()).isEqualTo("Hello world");
    }

    @Test
    void aModelWithoutItsOwnBehaviourGetsTheDefault() {
        sim = builder().start();

        assertThat(ChatResponse.of(post(OPENAI, openAi("gpt-x", false, false)).json()).content()).isEqualTo("Hello from gpt-x.");
    }

    @Test
    void anOpenAiStreamSendsOneChunkPerTokenThenTheFinishTheUsageAndDone() {
        sim = builder().model("fast", Behaviour.defaults().pacing(Duration.ofMillis(1))).start();

        Reply reply = post(OPENAI, openAi("fast", true, true));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("content-type")).startsWith("text/event-stream");
        List<Reply.Event> events = reply.events();
        assertThat(events).hasSize(6).allMatch(event -> event.name() == null);
        List<ChatChunk> tokens = events.subList(0, 3).stream().map(event -> ChatChunk.of(event.json())).toList();
        assertThat(tokens).extracting(ChatChunk::content).containsExactly("Hello", " from", " fast.");
        assertThat(tokens).extracting(ChatChunk::finishReason).containsOnlyNulls();
        assertThat(tokens.get(0).json().get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        assertThat(tokens.get(1).json().get("choices").get(0).get("delta").has("role")).isFalse();
        assertThat(tokens).extracting(chunk -> chunk.json().get("object").asText()).containsOnly("chat.completion.chunk");
        assertThat(tokens).extracting(chunk -> chunk.json().get("id").asText()).containsOnly(tokens.get(0).json().get("id").asText());
        ChatChunk finish = ChatChunk.of(events.get(3).json());
        assertThat(finish.finishReason()).isEqualTo("stop");
        assertThat(finish.content()).isNull();
        ObjectNode usage = events.get(4).json();
        assertThat(usage.get("choices")).isEmpty();
        assertThat(ChatChunk.of(usage).usage()).isEqualTo(new dev.detour.llm.Usage(4, 3));
        assertThat(events.get(5).data()).isEqualTo("[DONE]");
    }

    @Test
    void anOpenAiStreamWithoutIncludeUsageHasNoUsageChunk() {
        sim = builder().start();

        List<Reply.Event> events = post(OPENAI, openAi("m", true, false)).events();

        assertThat(events).hasSize(5);
        assertThat(events.get(3).json().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        assertThat(events.get(3).json().has("usage")).isFalse();
        assertThat(events.get(4).data()).isEqualTo("[DONE]");
    }

    @Test
    void maxTokensCutsTheAnswerWithFinishReasonLength() {
        sim = builder().model("m", Behaviour.answer("one two three four")).start();
        ObjectNode body = Json.object(openAi("m", false, false), "body").put("max_tokens", 2);

        JsonNode choice = post(OPENAI, body.toString()).json().get("choices").get(0);

        assertThat(choice.get("message").get("content").asText()).isEqualTo("one two");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void anAnthropicAnswerHasTheMessageShape() {
        sim = builder().model("claude", Behaviour.answer("Hi there")).start();

        Reply reply = post(ANTHROPIC, anthropic("claude", false));

        assertThat(reply.status()).isEqualTo(200);
        ObjectNode json = reply.json();
        assertThat(json.get("id").asText()).startsWith("msg_");
        assertThat(json.get("type").asText()).isEqualTo("message");
        assertThat(json.get("role").asText()).isEqualTo("assistant");
        assertThat(json.get("model").asText()).isEqualTo("claude");
        assertThat(json.get("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"Hi there\"}]");
        assertThat(json.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(json.get("usage").toString()).isEqualTo("{\"input_tokens\":6,\"output_tokens\":2}");
    }

    @Test
    void anAnthropicStreamSendsTheEventsInAnthropicsOrder() {
        sim = builder().model("claude", Behaviour.answer("Hi there you").pacing(Duration.ofMillis(1))).start();

        Reply reply = post(ANTHROPIC, anthropic("claude", true));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("content-type")).startsWith("text/event-stream");
        List<Reply.Event> events = reply.events();
        assertThat(events).extracting(Reply.Event::name).containsExactly("message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta",
                "message_stop");
        assertThat(events).allSatisfy(event -> assertThat(event.json().get("type").asText()).isEqualTo(event.name()));
        JsonNode message = events.get(0).json().get("message");
        assertThat(message.get("type").asText()).isEqualTo("message");
        assertThat(message.get("role").asText()).isEqualTo("assistant");
        assertThat(message.get("content")).isEmpty();
        assertThat(message.get("usage").get("input_tokens").asLong()).isEqualTo(6);
        assertThat(events.get(3).data())
                .isEqualTo("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}");
        assertThat(events.subList(3, 6)).extracting(event -> event.json().get("delta").get("text").asText())
                .containsExactly("Hi", " there", " you");
        JsonNode delta = events.get(7).json();
        assertThat(delta.get("delta").get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(delta.get("usage").toString()).isEqualTo("{\"output_tokens\":3}");
    }

    @Test
    void aRateLimitIs429WithRetryAfterInBothProtocols() {
        sim = builder().defaultBehaviour(Behaviour.rateLimited(Duration.ofMillis(1500))).start();

        Reply openAi = post(OPENAI, openAi("busy", false, false));
        Reply anthropic = post(ANTHROPIC, anthropic("busy", true));

        assertThat(openAi.status()).isEqualTo(429);
        assertThat(openAi.headers().get("retry-after")).isEqualTo("2");
        JsonNode error = openAi.json().get("error");
        assertThat(error.get("message").asText()).isEqualTo("simulated rate limit for model 'busy': retry after 2 s");
        assertThat(error.get("type").asText()).isEqualTo("requests");
        assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(anthropic.status()).isEqualTo(429);
        assertThat(anthropic.headers().get("retry-after")).isEqualTo("2");
        assertThat(anthropic.json().toString()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                + "\"message\":\"simulated rate limit for model 'busy': retry after 2 s\"}}");
    }

    @Test
    void errorStatusesCarryEachProtocolsErrorType() {
        sim = builder()
                .model("overloaded", Behaviour.status(529))
                .model("broken", Behaviour.status(500))
                .model("unavailable", Behaviour.status(503))
                .model("bad", Behaviour.status(400))
                .start();

        assertThat(post(ANTHROPIC, anthropic("overloaded", false)))
                .satisfies(reply -> assertThat(reply.status()).isEqualTo(529))
                .satisfies(reply -> assertThat(reply.json().get("error").get("type").asText()).isEqualTo("overloaded_error"));
        assertThat(post(ANTHROPIC, anthropic("broken", true)).json().get("error").get("type").asText()).isEqualTo("api_error");
        assertThat(post(ANTHROPIC, anthropic("bad", false)).json().get("error").get("type").asText())
                .isEqualTo("invalid_request_error");
        Reply unavailable = post(OPENAI, openAi("unavailable", true, true));
        assertThat(unavailable.status()).isEqualTo(503);
        assertThat(unavailable.headers().get("content-type")).isEqualTo("application/json");
        assertThat(unavailable.json().get("error").get("type").asText()).isEqualTo("server_error");
        assertThat(unavailable.json().get("error").get("message").asText()).isEqualTo("simulated 503 for model 'unavailable'");
    }

    @Test
    void aWrongOrMissingKeyIs401InTheProtocolsShape() {
        sim = builder().apiKey("sk-test").start();

        Reply missing = post(OPENAI, openAi("m", false, false));
        Reply wrong = post(OPENAI, openAi("m", false, false), headers -> headers.set("authorization", "Bearer sk-nope"));
        Reply right = post(OPENAI, openAi("m", false, false), headers -> headers.set("authorization", "Bearer sk-test"));
        Reply anthropicWrong = post(ANTHROPIC, anthropic("m", false),
                headers -> headers.set("x-api-key", "sk-nope").set("anthropic-version", "2023-06-01"));
        Reply anthropicNoVersion = post(ANTHROPIC, anthropic("m", false), headers -> headers.set("x-api-key", "sk-test"));
        Reply anthropicRight = post(ANTHROPIC, anthropic("m", false),
                headers -> headers.set("x-api-key", "sk-test").set("anthropic-version", "2023-06-01"));

        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.json().get("error").get("message").asText())
                .isEqualTo("missing API key: send it as 'Authorization: Bearer <key>'");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json().get("error").get("code").asText()).isEqualTo("invalid_api_key");
        assertThat(right.status()).isEqualTo(200);
        assertThat(anthropicWrong.status()).isEqualTo(401);
        assertThat(anthropicWrong.json().toString())
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
        assertThat(anthropicNoVersion.status()).isEqualTo(400);
        assertThat(anthropicNoVersion.json().get("error").get("message").asText()).isEqualTo("anthropic-version: header is required");
        assertThat(anthropicRight.status()).isEqualTo(200);
        assertThat(sim.stats("m").requests()).isEqualTo(6);
    }

    @Test
    void aBadRequestIs400NamingTheField() {
        sim = builder().start();

        Reply noMessages = post(OPENAI, "{\"model\":\"m\"}");
        Reply notJson = post(OPENAI, "{nope");
        Reply noMaxTokens = post(ANTHROPIC, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(noMessages.status()).isEqualTo(400);
        assertThat(noMessages.json().get("error").get("message").asText())
                .isEqualTo("'messages' is required and must be a non-empty array");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().get("error").get("message").asText()).startsWith("request body is not valid JSON");
        assertThat(noMaxTokens.status()).isEqualTo(400);
        assertThat(noMaxTokens.json().get("error").get("message").asText())
                .isEqualTo("'max_tokens' is required and must be a positive integer");
    }

    @Test
    void healthIs200AndOtherPathsAre404Or405() {
        sim = builder().start();

        int health = client.get().uri(sim.baseUrl() + "/health").responseSingle((response, body) -> Mono.just(response.status().code()))
                .block(WAIT);
        Reply unknown = post("/v1/embeddings", "{}");
        Reply getChat = client.get().uri(sim.baseUrl() + OPENAI)
                .responseSingle((response, body) -> body.asString().map(text -> new Reply(response.status().code(),
                        response.responseHeaders(), text)))
                .block(WAIT);

        assertThat(health).isEqualTo(200);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").get("message").asText()).isEqualTo("no route for POST /v1/embeddings");
        assertThat(getChat.status()).isEqualTo(405);
        assertThat(getChat.headers().get("allow")).isEqualTo("POST");
    }

    @Test
    void aScriptAnswersInOrderAndRestartsOnReset() {
        sim = builder()
                .model("flaky", Behaviour.script(Behaviour.status(503), Behaviour.rateLimited(Duration.ofSeconds(1)),
                        Behaviour.answer("ok")))
                .start();

        List<Integer> statuses = IntStream.range(0, 4).mapToObj(i -> post(OPENAI, openAi("flaky", false, false)).status()).toList();
        sim.reset();
        int afterReset = post(OPENAI, openAi("flaky", false, false)).status();

        assertThat(statuses).containsExactly(503, 429, 200, 200);
        assertThat(afterReset).isEqualTo(503);
        assertThat(post(OPENAI, openAi("other", false, false)).status()).as("scripts are per model").isEqualTo(200);
    }

    @Test
    void aNewBehaviourAtRuntimeAppliesFromTheNextRequest() {
        sim = builder().model("primary", Behaviour.answer("up")).start();

        int before = post(OPENAI, openAi("primary", false, false)).status();
        sim.behaviour("primary", Behaviour.status(503));
        int after = post(OPENAI, openAi("primary", false, false)).status();

        assertThat(before).isEqualTo(200);
        assertThat(after).isEqualTo(503);
        assertThat(sim.behaviour("primary").faults()).hasSize(1);
    }

    @Test
    void aClientThatGivesUpOnAStallIsSeenAsADisconnect() {
        sim = builder().model("stuck", Behaviour.stall()).start();

        Disposable call = request(OPENAI, openAi("stuck", false, false), headers -> { }).response().subscribe();
        ModelStats waiting = sim.awaitStats("stuck", stats -> stats.inFlight() == 1).block(WAIT);
        call.dispose();
        ModelStats gone = sim.awaitStats("stuck", stats -> stats.disconnects() == 1).block(WAIT);

        assertThat(waiting).isEqualTo(new ModelStats("stuck", 1, 0, 0, 1));
        assertThat(gone).isEqualTo(new ModelStats("stuck", 1, 0, 1, 0));
    }

    @Test
    void aClientThatGivesUpOnAStreamStalledAfterTokensIsSeenAsADisconnect() {
        sim = builder().model("stuck", Behaviour.answer("one two three").fault(Fault.stallAfter(2))).start();

        String received = request(ANTHROPIC, anthropic("stuck", true), headers -> { })
                .responseContent().asString(StandardCharsets.UTF_8)
                .scan("", String::concat)
                .filter(text -> text.contains("\" two\""))
                .next()
                .block(WAIT);
        ModelStats gone = sim.awaitStats("stuck", stats -> stats.disconnects() == 1).block(WAIT);

        assertThat(Reply.Event.parse(received)).extracting(Reply.Event::name)
                .containsExactly("message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta");
        assertThat(gone).isEqualTo(new ModelStats("stuck", 1, 0, 1, 0));
    }

    @Test
    void closingTheSimulatorClosesAConnectionLeftStalled() {
        sim = builder().model("stuck", Behaviour.stall()).start();

        CompletableFuture<Void> call = request(OPENAI, openAi("stuck", true, true), headers -> { }).responseContent().then().toFuture();
        sim.awaitStats("stuck", stats -> stats.inFlight() == 1).block(WAIT);
        sim.close();

        assertThatThrownBy(() -> call.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .hasCauseInstanceOf(PrematureCloseException.class);
        assertThat(sim.awaitStats("stuck", stats -> stats.inFlight() == 0).block(WAIT))
                .isEqualTo(new ModelStats("stuck", 1, 0, 1, 0));
    }

    @Test
    void aStreamCutAfterTokensClosesTheConnectionWithoutDone() {
        sim = builder().model("dies", Behaviour.answer("one two three four").fault(Fault.cutAfter(2))).start();

        List<Signal<String>> signals = streamed(OPENAI, openAi("dies", true, true));

        List<Reply.Event> events = Reply.Event.parse(text(signals));
        assertThat(events).extracting(event -> ChatChunk.of(event.json()).content()).containsExactly("one", " two");
        assertThat(text(signals)).doesNotContain("[DONE]");
        assertThat(ending(signals).getThrowable()).isInstanceOf(PrematureCloseException.class);
        assertThat(sim.awaitStats("dies", stats -> stats.inFlight() == 0).block(WAIT))
                .as("a cut the simulator made is not a client disconnect")
                .isEqualTo(new ModelStats("dies", 1, 1, 0, 0));
    }

    @Test
    void aStreamEndedAfterTokensEndsCleanlyWithoutMessageStop() {
        sim = builder().model("short", Behaviour.answer("one two three").fault(Fault.endAfter(1))).start();

        List<Signal<String>> signals = streamed(ANTHROPIC, anthropic("short", true));

        assertThat(ending(signals).isOnComplete()).isTrue();
        assertThat(Reply.Event.parse(text(signals))).extracting(Reply.Event::name)
                .containsExactly("message_start", "content_block_start", "ping", "content_block_delta");
    }

    @Test
    void aMidStreamErrorIsAnErrorEventAfterTheTokens() {
        sim = builder().defaultBehaviour(Behaviour.answer("one two three").fault(Fault.errorMidStream(1))).start();

        List<Reply.Event> anthropic = post(ANTHROPIC, anthropic("m", true)).events();
        List<Reply.Event> openAi = post(OPENAI, openAi("m", true, true)).events();

        assertThat(anthropic).extracting(Reply.Event::name)
                .containsExactly("message_start", "content_block_start", "ping", "content_block_delta", "error");
        assertThat(anthropic.get(4).data()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"simulated 529 after 1 tokens for model 'm'\"}}");
        assertThat(openAi).hasSize(2);
        assertThat(ChatChunk.of(openAi.get(0).json()).content()).isEqualTo("one");
        assertThat(openAi.get(1).json().get("error").get("type").asText()).isEqualTo("server_error");
    }

    @Test
    void aGarbageBodyIsNotJsonUnderA200() {
        sim = builder().defaultBehaviour(Behaviour.failing(Fault.garbage())).start();

        Reply single = post(OPENAI, openAi("m", false, false));
        Reply stream = post(OPENAI, openAi("m", true, true));

        assertThat(single.status()).isEqualTo(200);
        assertThat(single.headers().get("content-type")).isEqualTo("application/json");
        assertThatThrownBy(single::json).isInstanceOf(InvalidChatException.class).hasMessageStartingWith("reply is not valid JSON");
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.events()).hasSize(1);
        assertThatThrownBy(() -> stream.events().get(0).json()).isInstanceOf(InvalidChatException.class);
    }

    @Test
    void anErrorInsideA200IsTheProtocolsErrorObject() {
        sim = builder().defaultBehaviour(Behaviour.failing(Fault.errorIn200())).start();

        Reply openAi = post(OPENAI, openAi("m", false, false));
        Reply anthropic = post(ANTHROPIC, anthropic("m", true));

        assertThat(openAi.status()).isEqualTo(200);
        assertThat(openAi.json().get("error").get("message").asText()).isEqualTo("simulated error inside a 200 answer for model 'm'");
        assertThat(openAi.json().has("choices")).isFalse();
        assertThat(anthropic.status()).isEqualTo(200);
        assertThat(anthropic.json().get("type").asText()).isEqualTo("error");
        assertThat(anthropic.json().get("error").get("type").asText()).isEqualTo("api_error");
    }

    @Test
    void anEmptyAnswerIsA200WithEmptyContent() {
        sim = builder().defaultBehaviour(Behaviour.failing(Fault.emptyAnswer())).start();

        Reply single = post(OPENAI, openAi("m", false, false));
        List<Reply.Event> stream = post(OPENAI, openAi("m", true, true)).events();
        Reply anthropic = post(ANTHROPIC, anthropic("m", false));

        assertThat(ChatResponse.of(single.json()).content()).isEmpty();
        assertThat(ChatResponse.of(single.json()).usage().completionTokens()).isZero();
        assertThat(stream).hasSize(4);
        assertThat(ChatChunk.of(stream.get(0).json()).content()).isEmpty();
        assertThat(ChatChunk.of(stream.get(1).json()).finishReason()).isEqualTo("stop");
        assertThat(stream.get(3).data()).isEqualTo("[DONE]");
        assertThat(anthropic.json().get("content").get(0).get("text").asText()).isEmpty();
    }

    @Test
    void aSeededSimulatorRepeatsItsFaultsAfterAReset() {
        sim = builder().seed(7).model("coin", Behaviour.failing(Fault.status(503).probability(0.5))).start();

        List<Integer> first = IntStream.range(0, 16).mapToObj(i -> post(OPENAI, openAi("coin", false, false)).status()).toList();
        sim.reset();
        List<Integer> second = IntStream.range(0, 16).mapToObj(i -> post(OPENAI, openAi("coin", false, false)).status()).toList();

        assertThat(first).isEqualTo(second).contains(200, 503);
    }

    @Test
    void countersCountRequestsPerModelAndResetClearsThem() {
        sim = builder().model("fast", Behaviour.answer("hi")).model("down", Behaviour.status(500)).start();

        for (int i = 0; i < 3; i++) {
            post(OPENAI, openAi("fast", i % 2 == 0, true));
        }
        post(ANTHROPIC, anthropic("down", false));

        ModelStats fast = sim.awaitStats("fast", stats -> stats.completed() == 3).block(WAIT);
        assertThat(fast).isEqualTo(new ModelStats("fast", 3, 3, 0, 0));
        assertThat(sim.awaitStats("down", stats -> stats.completed() == 1).block(WAIT)).isEqualTo(new ModelStats("down", 1, 1, 0, 0));
        assertThat(sim.stats().keySet()).containsExactly("down", "fast");
        assertThat(sim.stats("never")).isEqualTo(ModelStats.empty("never"));
        sim.reset();
        assertThat(sim.stats("fast")).isEqualTo(ModelStats.empty("fast"));
        assertThat(sim.stats()).containsEntry("down", ModelStats.empty("down")).hasSize(2);
        assertThat(Map.copyOf(sim.stats())).doesNotContainKey("never");
    }

    @Test
    void theDemoModelsBehaveAsDescribed() {
        sim = SimulatorMain.demo().start();

        Reply limited = post(OPENAI, openAi("rate-limited", false, false));
        List<Signal<String>> dies = streamed(OPENAI, openAi("dies-mid-stream", true, true));

        assertThat(sim.baseUrl()).startsWith("http://127.0.0.1:");
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers().get("retry-after")).isEqualTo("2");
        assertThat(Reply.Event.parse(text(dies))).hasSize(5);
        assertThat(ending(dies).getThrowable()).isInstanceOf(PrematureCloseException.class);
    }
}
