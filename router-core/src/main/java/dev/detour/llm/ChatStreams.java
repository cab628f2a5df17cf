package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.stream.Continuation;
import dev.detour.core.stream.Failover;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.llm.internal.GenAi;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;

/**
 * Streaming chat routes: a {@link StreamRoute} of {@link ChatChunk}s over {@link ChatProvider}s, where a
 * stream has started at its first chunk with text, thinking, a tool call or a finish reason (so the
 * time-to-first-token timeout and first-token hedging measure real tokens, a model's thinking included), an answer with no text and no tool call is
 * {@link FailureKind#EMPTY} (it falls back), a stream is complete at its finish reason, an event that is
 * not a chunk is skipped and counted, and the caller receives one answer: one {@code id}, {@code created}
 * and {@code model} (those of the first chunk) from the first chunk to the last, and usage summed over every
 * provider that streamed (estimated from the chunks relayed for a provider cut before it reported any).
 *
 * <p>A stream cut mid-answer is continued (never inside a tool call) by the next provider that can
 * continue, in its {@linkplain ChatProvider#continuation() form}: prefilled with the partial answer, or
 * asked to continue it; a provider that rejects a prefill is asked again by instruction. Whatever a
 * continuation restates is removed ({@link StreamRoute}); a {@linkplain ChatChunk#marker marker} chunk
 * says where the provider changed.
 *
 * <pre>{@code
 * Route<ChatRequest, Started<ChatChunk>> route = router.<ChatRequest, Started<ChatChunk>>route("chat")
 *         .tier(Tier.of(ChatStreams.streaming(openai)).timeout(Duration.ofSeconds(2)))   // time to first token
 *         .tier(ChatStreams.streaming(anthropic))
 *         .build();
 * StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.continuing(route).idleTimeout(Duration.ofSeconds(10)).build();
 * Flux<ChatChunk> tokens = chat.stream(request);
 * }</pre>
 */
public final class ChatStreams {

    /** How long a started chat stream may stay silent unless the route says otherwise. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    private ChatStreams() {
    }

    /**
     * {@code provider}'s stream as an attempt that succeeds at the first real chunk; an answer that ends
     * with no text and no tool call fails as {@link FailureKind#EMPTY}.
     */
    public static Provider<ChatRequest, Started<ChatChunk>> streaming(ChatProvider provider) {
        return streaming(provider, true);
    }

    /**
     * Like {@link #streaming(ChatProvider)}; {@code emptyFails} false serves an answer with no text and no
     * tool call as it is.
     */
    public static Provider<ChatRequest, Started<ChatChunk>> streaming(ChatProvider provider, boolean emptyFails) {
        return Provider.of(provider.name(), (request, context) -> {
            Flux<ChatChunk> stream = GenAi.stream(request, provider, request.partial() == null
                    ? provider.stream(request, context) : continued(provider, request, context));
            Mono<Started<ChatChunk>> started = Started.of(stream, ChatStreams::starts);
            return emptyFails && request.partial() == null ? started.flatMap(ChatStreams::notEmpty) : started;
        });
    }

    /** A streaming route that ends a stream failing mid-answer with an error; idle timeout 30 s unless set. */
    public static StreamRoute.Builder<ChatRequest, ChatChunk> failing(Route<ChatRequest, Started<ChatChunk>> route) {
        return chat(route).failMidStream();
    }

    /**
     * A streaming route that continues a stream failing mid-answer on the next provider that can; idle
     * timeout 30 s unless set.
     */
    public static StreamRoute.Builder<ChatRequest, ChatChunk> continuing(Route<ChatRequest, Started<ChatChunk>> route) {
        return continuing(route, provider -> true);
    }

    /**
     * Like {@link #continuing(Route)}, never asking the providers {@code continues} rejects (those whose
     * continuation is {@link ContinuationMode#NONE}) to continue.
     */
    public static StreamRoute.Builder<ChatRequest, ChatChunk> continuing(Route<ChatRequest, Started<ChatChunk>> route,
                                                                         Predicate<String> continues) {
        return chat(route).continueMidStream(new ChatContinuation(continues));
    }

    private static StreamRoute.Builder<ChatRequest, ChatChunk> chat(Route<ChatRequest, Started<ChatChunk>> route) {
        return StreamRoute.of(route)
                .finalWhen(ChatStreams::isFinal)
                .idleTimeout(DEFAULT_IDLE_TIMEOUT)
                .skipWhen(ChatChunk::isMalformed)
                .assembled(ChatStreams::oneAnswer);
    }

    /**
     * The chunks as one answer: every chunk with the first one's {@code id}, {@code created} and
     * {@code model}, and the usage chunks report held back and replaced, at the end, by one chunk with their sum;
     * for a provider whose stream was cut before it reported usage (the chunks before a marker), its
     * {@linkplain StreamUsage#estimated() estimate}.
     */
    public static Flux<ChatChunk> oneAnswer(ChatRequest request, Flux<ChatChunk> chunks) {
        return Flux.defer(() -> {
            Answer answer = new Answer(request);
            return chunks.handle(answer::next).concatWith(Mono.fromSupplier(answer::usage));
        });
    }

    /**
     * A whole answer as the chunks of a stream: its {@linkplain ChatResponse#thinking() thinking blocks} (each
     * a block start, then its thinking and its signature), one with the role, the text and any tool calls, one
     * with the finish reason, and one with the usage when the answer has it (for a route that must check the
     * whole answer before sending it).
     */
    public static Flux<ChatChunk> replay(ChatResponse response) {
        JsonNode answer = response.json();
        List<ChatChunk> thinking = new ArrayList<>();
        for (JsonNode block : response.thinking()) {
            if ("thinking".equals(block.path("type").asText())) {
                thinking.add(thinking(answer, "block", Json.newObject().put("type", "thinking").put("thinking", "")
                        .put("signature", "")));
                thinking.add(thinking(answer, "delta", Json.newObject().put("type", "thinking_delta")
                        .put("thinking", block.path("thinking").asText(""))));
                thinking.add(thinking(answer, "delta", Json.newObject().put("type", "signature_delta")
                        .put("signature", block.path("signature").asText(""))));
            } else {
                thinking.add(thinking(answer, "block", block.deepCopy()));
            }
        }
        return Flux.concat(Flux.fromIterable(thinking), replayed(response));
    }

    private static ChatChunk thinking(JsonNode answer, String piece, ObjectNode value) {
        ObjectNode chunk = head(answer);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.putObject("delta").putObject(ChatRequest.ANTHROPIC_FIELDS).set(piece, value);
        choice.putNull("finish_reason");
        return ChatChunk.of(chunk);
    }

    private static Flux<ChatChunk> replayed(ChatResponse response) {
        JsonNode answer = response.json();
        JsonNode message = answer.path("choices").path(0).path("message");
        ObjectNode first = head(answer);
        ObjectNode delta = first.putArray("choices").addObject().put("index", 0).putObject("delta");
        delta.put("role", "assistant").put("content", message.path("content").asText(""));
        JsonNode calls = message.path("tool_calls");
        if (calls.isArray() && !calls.isEmpty()) {
            var streamed = delta.putArray("tool_calls");
            for (int i = 0; i < calls.size(); i++) {
                streamed.add(((ObjectNode) calls.get(i).deepCopy()).put("index", i));
            }
        }
        ((ObjectNode) first.get("choices").get(0)).putNull("finish_reason");
        ObjectNode last = head(answer);
        last.putArray("choices").addObject().put("index", 0).putObject("delta");
        ((ObjectNode) last.get("choices").get(0)).put("finish_reason", response.finishReason() == null ? "stop"
                : response.finishReason());
        Usage usage = response.usage();
        if (usage == null) {
            return Flux.just(ChatChunk.of(first), ChatChunk.of(last));
        }
        ObjectNode counted = head(answer);
        counted.putArray("choices");
        counted.set("usage", usage.toJson());
        return Flux.just(ChatChunk.of(first), ChatChunk.of(last), ChatChunk.of(counted));
    }

    private static ObjectNode head(JsonNode answer) {
        ObjectNode chunk = Json.newObject();
        chunk.set("id", answer.get("id"));
        chunk.put("object", "chat.completion.chunk");
        chunk.set("created", answer.get("created"));
        chunk.set("model", answer.get("model"));
        return chunk;
    }

    static boolean starts(ChatChunk chunk) {
        String content = chunk.content();
        return content != null && !content.isEmpty() || chunk.inToolCall() || chunk.finishReason() != null
                || !chunk.thinking().isMissingNode();
    }

    static boolean isFinal(ChatChunk chunk) {
        return chunk.finishReason() != null;
    }

    private static Mono<Started<ChatChunk>> notEmpty(Started<ChatChunk> started) {
        ChatChunk first = started.head().get(started.head().size() - 1);
        String content = first.content();
        if (first.finishReason() != null && (content == null || content.isEmpty()) && !first.inToolCall()) {
            started.cancel();
            return Mono.error(new ProviderException(Failure.empty("the answer has no text and no tool call")));
        }
        return Mono.just(started);
    }

    /**
     * A continuation request sent in the provider's form; a prefill the provider rejects is asked again by
     * instruction, and a provider that rejects both fails as unavailable for continuing (so the route moves on).
     */
    private static Flux<ChatChunk> continued(ChatProvider provider, ChatRequest request, AttemptContext context) {
        ContinuationMode mode = provider.continuation();
        if (mode == ContinuationMode.NONE) {
            return Flux.error(new ProviderException(Failure.unavailable("does not continue answers")));
        }
        Flux<ChatChunk> instruction = Flux.defer(() -> provider.stream(request.continuedAs(ContinuationMode.INSTRUCTION), context));
        return Flux.defer(() -> {
            boolean[] relayed = new boolean[1];
            Flux<ChatChunk> stream = mode == ContinuationMode.INSTRUCTION ? instruction
                    : provider.stream(request.continuedAs(ContinuationMode.PREFILL), context)
                            .onErrorResume(error -> !relayed[0] && rejected(error), error -> instruction);
            return stream.doOnNext(chunk -> relayed[0] = true)
                    .onErrorMap(error -> !relayed[0] && rejected(error), error -> new ProviderException(
                            Failure.unavailable("refused to continue: " + Failure.of(error))));
        });
    }

    /**
     * A refusal of the request's shape (a 4xx): another form or provider may take it. A continuation too long
     * for the model keeps its kind, so that a route's larger-context providers take it.
     */
    private static boolean rejected(Throwable error) {
        return Failure.of(error).kind() == FailureKind.CLIENT_ERROR;
    }

    /** Continues chat answers: text as an assistant prefix, never inside a tool call. */
    private static final class ChatContinuation implements Continuation<ChatRequest, ChatChunk> {

        private final Predicate<String> continues;

        ChatContinuation(Predicate<String> continues) {
            this.continues = continues;
        }

        /** The request for the rest, or null inside a tool call or for more than one choice. */
        @Override
        public ChatRequest request(ChatRequest original, List<ChatChunk> relayed) {
            StringBuilder text = new StringBuilder();
            for (ChatChunk chunk : relayed) {
                if (chunk.inToolCall() || chunk.json().path("choices").path(0).path("index").asInt(0) != 0) {
                    return null;
                }
                String content = chunk.content();
                if (content != null) {
                    text.append(content);
                }
            }
            return original.continuing(text.toString());
        }

        @Override
        public boolean continues(String provider) {
            return continues.test(provider);
        }

        @Override
        public ChatChunk marker(Failover failover) {
            return ChatChunk.marker(failover);
        }

        @Override
        public CharSequence text(ChatChunk chunk) {
            return chunk.inToolCall() ? null : chunk.content();
        }

        @Override
        public ChatChunk withoutText(ChatChunk chunk, int chars) {
            return chunk.withContent(chunk.content().substring(chars));
        }
    }

    /** One answer's identity and usage, across the providers that streamed it. */
    private static final class Answer {

        private final ChatRequest request;
        private ChatChunk first;
        private Usage total;
        private boolean reported;
        private StreamUsage segment;

        Answer(ChatRequest request) {
            this.request = request;
            this.segment = new StreamUsage(request);
        }

        void next(ChatChunk chunk, SynchronousSink<ChatChunk> sink) {
            if (chunk.isMarker()) {
                if (!segment.reported()) {
                    add(segment.estimated());
                }
                segment = new StreamUsage(request);
                sink.next(first == null ? chunk : chunk.within(first));
                return;
            }
            segment.add(chunk);
            JsonNode choices = chunk.json().path("choices");
            Usage usage = chunk.usage();
            if (usage != null) {
                add(usage);
                reported = true;
                if (choices.isEmpty()) {
                    return;
                }
                chunk = chunk.withoutUsage();
            }
            if (first == null && !choices.isEmpty()) {
                first = chunk;
            }
            sink.next(first == null ? chunk : chunk.within(first));
        }

        private void add(Usage usage) {
            total = total == null ? usage : total.plus(usage);
        }

        ChatChunk usage() {
            if (!reported) {
                return null;
            }
            ObjectNode json = Json.newObject();
            if (first != null) {
                json.set("id", first.json().get("id"));
                json.put("object", "chat.completion.chunk");
                json.set("created", first.json().get("created"));
                json.set("model", first.json().get("model"));
            } else {
                json.put("object", "chat.completion.chunk");
            }
            json.putArray("choices");
            json.set("usage", total.toJson());
            return ChatChunk.of(json);
        }
    }
}
