package dev.detour.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.stream.Failover;
import dev.detour.core.stream.MidStreamException;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class ChatStreamsTest {

    private final List<ChatRequest> received = new CopyOnWriteArrayList<>();

    private ChatProvider provider(String name, Function<ChatRequest, Flux<ChatChunk>> stream) {
        return provider(name, ContinuationMode.INSTRUCTION, stream);
    }

    private ChatProvider provider(String name, ContinuationMode continuation, Function<ChatRequest, Flux<ChatChunk>> stream) {
        return new ChatProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
                return Mono.error(new UnsupportedOperationException());
            }

            @Override
            public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
                received.add(request);
                return stream.apply(request);
            }

            @Override
            public ContinuationMode continuation() {
                return continuation;
            }
        };
    }

    private static ChatChunk text(String content) {
        return ChatChunk.of("c1", "m", content, null, null);
    }

    private static ChatChunk role() {
        ChatChunk chunk = ChatChunk.of("c1", "m", null, null, null);
        ((ObjectNode) chunk.json().path("choices").path(0).path("delta")).put("role", "assistant").put("content", "");
        return chunk;
    }

    private static ChatChunk finish() {
        return ChatChunk.of("c1", "m", null, "stop", null);
    }

    private static ChatChunk usage(long prompt, long completion) {
        ObjectNode json = Json.newObject();
        json.put("id", "c1").put("object", "chat.completion.chunk");
        json.putArray("choices");
        json.set("usage", new Usage(prompt, completion).toJson());
        return ChatChunk.of(json);
    }

    private static ChatChunk toolCall() {
        ChatChunk chunk = ChatChunk.of("c1", "m", null, null, null);
        ((ObjectNode) chunk.json().path("choices").path(0).path("delta")).putArray("tool_calls").addObject().put("index", 0);
        return chunk;
    }

    private static ChatChunk thinking(String text) {
        ChatChunk chunk = ChatChunk.of("c1", "m", null, null, null);
        ((ObjectNode) chunk.json().path("choices").path(0).path("delta")).putObject(ChatRequest.ANTHROPIC_FIELDS)
                .putObject("delta").put("type", "thinking_delta").put("thinking", text);
        return chunk;
    }

    private Route<ChatRequest, Started<ChatChunk>> route(ChatProvider first, ChatProvider second, Duration ttft) {
        return Router.create().<ChatRequest, Started<ChatChunk>>route("chat")
                .tier(Tier.of(ChatStreams.streaming(first)).timeout(ttft))
                .tier(ChatStreams.streaming(second))
                .build();
    }

    @Test
    void anEmptyOpeningChunkDoesNotCountAsTheFirstToken() {
        ChatProvider slow = provider("slow", request -> Flux.concat(Flux.just(role()), Flux.never()));
        ChatProvider fast = provider("fast", request -> Flux.just(text("hi"), finish()));
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route(slow, fast, Duration.ofSeconds(1))).build();

        StepVerifier.withVirtualTime(() -> chat.stream(ChatRequest.user("m", "hello")))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(chunk -> assertThat(chunk.content()).isEqualTo("hi"))
                .assertNext(chunk -> assertThat(chunk.finishReason()).isEqualTo("stop"))
                .verifyComplete();
    }

    @Test
    void thinkingCountsAsTheFirstTokenButNotAsAnswerText() {
        ChatProvider thinker = provider("thinker", request -> Flux.concat(Flux.just(role(), thinking("Hmm.")), Flux.never()));
        ChatProvider fast = provider("fast", request -> Flux.just(text("hi"), finish()));
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route(thinker, fast, Duration.ofSeconds(1))).build();

        StepVerifier.withVirtualTime(() -> chat.stream(ChatRequest.user("m", "hello")))
                .thenAwait(Duration.ofSeconds(2))
                .assertNext(chunk -> assertThat(chunk.content()).isEmpty())
                .assertNext(chunk -> assertThat(chunk.thinking().path("delta").path("thinking").asText()).isEqualTo("Hmm."))
                .expectNoEvent(Duration.ofSeconds(5))
                .thenCancel()
                .verify();
        assertThat(received).hasSize(1);

        ChatProvider dying = provider("a", request -> Flux.concat(Flux.just(role(), thinking("Let me see."), text("The answer")),
                Mono.error(ProviderException.status(500, "died"))));
        ChatProvider next = provider("b", request -> Flux.just(text(" is 42."), finish()));
        List<ChatChunk> chunks = ChatStreams.continuing(route(dying, next, Duration.ofSeconds(5))).build()
                .stream(ChatRequest.user("m", "?")).collectList().block();

        assertThat(chunks).filteredOn(chunk -> !chunk.isMarker()).extracting(ChatChunk::content)
                .containsExactly("", null, "The answer", " is 42.", null);
        assertThat(received.get(received.size() - 1).partial()).isEqualTo("The answer");
    }

    @Test
    void aContinuationCarriesThePartialAnswerAndIsPrecededByAMarker() {
        ChatProvider dying = provider("a", request -> Flux.concat(Flux.just(role(), text("The answer"), text(" is")),
                Mono.error(ProviderException.status(500, "died"))));
        ChatProvider next = provider("b", request -> Flux.just(text(" 42."), finish()));
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.continuing(route(dying, next, Duration.ofSeconds(5))).build();

        List<ChatChunk> chunks = chat.stream(ChatRequest.user("m", "What is the answer?")).collectList().block();

        assertThat(chunks).extracting(ChatChunk::content).containsExactly("", "The answer", " is", null, " 42.", null);
        assertThat(chunks.get(3).json().path("x_detour").path("failover").path("from").asText()).isEqualTo("a");
        assertThat(chunks.get(3).json().path("x_detour").path("failover").path("to").asText()).isEqualTo("b");
        ChatRequest continuation = received.get(1);
        assertThat(continuation.partial()).isEqualTo("The answer is");
        assertThat(continuation.continuation()).isEqualTo(ContinuationMode.INSTRUCTION);
        assertThat(continuation.rendered().messages()).hasSize(3);
        assertThat(continuation.rendered().messages().get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(continuation.rendered().messages().get(1).path("content").asText()).isEqualTo("The answer is");
        assertThat(continuation.rendered().messages().get(2).path("content").asText())
                .contains("Continue it from exactly where it stopped");
    }

    @Test
    void aStreamCutInsideAToolCallIsNotContinued() {
        ChatProvider dying = provider("a", request -> Flux.concat(Flux.just(toolCall()), Mono.error(ProviderException.status(500, "died"))));
        ChatProvider next = provider("b", request -> Flux.just(text("never"), finish()));
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.continuing(route(dying, next, Duration.ofSeconds(5))).build();

        StepVerifier.create(chat.stream(ChatRequest.user("m", "call a tool")))
                .expectNextCount(1)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MidStreamException.class)
                        .hasMessageContaining("cannot continue"))
                .verify();
        assertThat(received).hasSize(1);
    }

    @Test
    void usageFromEveryProviderIsReportedOnceAtTheEnd() {
        Flux<ChatChunk> chunks = Flux.just(text("a"), usage(10, 2), text("b"), finish(), usage(12, 5));

        List<ChatChunk> merged = ChatStreams.oneAnswer(ChatRequest.user("m", "hi"), chunks).collectList().block();

        assertThat(merged).hasSize(4);
        assertThat(merged.get(3).usage()).isEqualTo(new Usage(22, 7));
        assertThat(merged.get(3).json().path("usage").path("total_tokens").asLong()).isEqualTo(29);
        assertThat(ChatStreams.oneAnswer(ChatRequest.user("m", "hi"), Flux.just(text("a"), finish())).collectList().block())
                .hasSize(2);
    }

    @Test
    void anAnswerWithNoTextAndNoToolCallFallsBackUnlessAllowed() {
        ChatProvider empty = provider("empty", request -> Flux.just(role(), finish()));
        ChatProvider next = provider("next", request -> Flux.just(text("something"), finish()));

        List<ChatChunk> served = ChatStreams.failing(route(empty, next, Duration.ofSeconds(5))).build()
                .stream(ChatRequest.user("m", "hi")).collectList().block();
        assertThat(served).extracting(ChatChunk::content).containsExactly("something", null);

        Route<ChatRequest, Started<ChatChunk>> allowing = Router.create().<ChatRequest, Started<ChatChunk>>route("chat")
                .tier(ChatStreams.streaming(empty, false)).tier(ChatStreams.streaming(next)).build();
        List<ChatChunk> asIs = ChatStreams.failing(allowing).build().stream(ChatRequest.user("m", "hi")).collectList().block();
        assertThat(asIs).extracting(ChatChunk::content).containsExactly("", null);
    }

    @Test
    void aProviderThatRejectsAPrefillIsAskedByInstructionAndOneThatRejectsBothIsPassedOver() {
        ChatProvider dying = provider("a", request -> Flux.concat(Flux.just(text("The answer")),
                Mono.error(ProviderException.status(500, "died"))));
        ChatProvider picky = provider("picky", ContinuationMode.PREFILL,
                request -> Flux.error(ProviderException.status(400, "no " + request.continuation())));
        ChatProvider last = provider("last", request -> Flux.just(text(" is 42."), finish()));
        Route<ChatRequest, Started<ChatChunk>> route = Router.create().<ChatRequest, Started<ChatChunk>>route("chat")
                .tier(ChatStreams.streaming(dying)).tier(ChatStreams.streaming(picky)).tier(ChatStreams.streaming(last))
                .build();

        List<ChatChunk> chunks = ChatStreams.continuing(route).build().stream(ChatRequest.user("m", "?")).collectList().block();

        assertThat(chunks).filteredOn(chunk -> !chunk.isMarker()).extracting(ChatChunk::content)
                .containsExactly("The answer", " is 42.", null);
        assertThat(received).extracting(ChatRequest::continuation)
                .containsExactly(null, ContinuationMode.PREFILL, ContinuationMode.INSTRUCTION, ContinuationMode.INSTRUCTION);
    }

    @Test
    void usageOnAChunkWithAChoiceIsSummedToo() {
        ChatChunk finishWithUsage = ChatChunk.of("c2", "m2", null, "stop", new Usage(12, 5));
        ChatChunk marker = ChatChunk.marker(new Failover("a", "b", Failure.connection("cut"), 2, 2, 0));
        Flux<ChatChunk> chunks = Flux.just(text("a"), text("b"), marker, text("c"), finishWithUsage);

        List<ChatChunk> merged = ChatStreams.oneAnswer(ChatRequest.user("m", "12345678"), chunks).collectList().block();

        assertThat(merged.get(merged.size() - 1).usage()).isEqualTo(new Usage(2 + 12, 2 + 5));
        assertThat(merged.subList(0, merged.size() - 1)).allSatisfy(chunk -> {
            assertThat(chunk.usage()).isNull();
            assertThat(chunk.json().path("id").asText()).isEqualTo("c1");
        });
    }

    @Test
    void aSecondChoiceKeepsItsIndexAndIsNotContinued() {
        ChatChunk second = ChatChunk.of("c1", "m", "B", null, null);
        ((ObjectNode) second.json().path("choices").path(0)).put("index", 1);

        assertThat(second.within(text("A")).json().path("choices").path(0).path("index").asInt()).isEqualTo(1);
        ChatProvider dying = provider("a", request -> Flux.concat(Flux.just(text("A"), second),
                Mono.error(ProviderException.status(500, "died"))));
        ChatProvider next = provider("b", request -> Flux.just(text("never"), finish()));
        StepVerifier.create(ChatStreams.continuing(route(dying, next, Duration.ofSeconds(5))).build()
                        .stream(ChatRequest.user("m", "two answers")))
                .expectNextCount(2)
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("cannot continue"))
                .verify();
    }
}
