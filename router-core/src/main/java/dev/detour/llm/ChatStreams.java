package dev.detour.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Streaming chat routes: a {@link StreamRoute} of {@link ChatChunk}s over {@link ChatProvider}s, where a
 * stream has started at its first chunk with text, a tool call or a finish reason (so the time-to-first-token
 * timeout and first-token hedging measure real tokens), is complete at its finish reason, can be continued
 * on another provider with the partial text as an assistant prefix (never inside a tool call), and reports
 * its token usage once, summed over every provider that streamed.
 *
 * <pre>{@code
 * Route<ChatRequest, Started<ChatChunk>> route = router.<ChatRequest, Started<ChatChunk>>route("chat")
 *         .tier(Tier.of(ChatStreams.streaming(openai)).timeout(Duration.ofSeconds(2)))   // time to first token
 *         .tier(ChatStreams.streaming(anthropic))
 *         .build();
 * StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.continuing(route).idleTimeout(Duration.ofSeconds(10)).build();
 * Flux<ChatChunk> tokens = ChatStreams.withMergedUsage(chat.stream(request));
 * }</pre>
 */
public final class ChatStreams {

    /** The field of a marker chunk that says the stream moved to another provider. */
    public static final String MARKER_FIELD = "x_detour";

    private ChatStreams() {
    }

    /** {@code provider}'s stream as an attempt that succeeds at the first real chunk. */
    public static Provider<ChatRequest, Started<ChatChunk>> streaming(ChatProvider provider) {
        return Provider.of(provider.name(), (request, context) ->
                Started.of(provider.stream(request, context), ChatStreams::starts));
    }

    /** How long a started chat stream may stay silent unless the route says otherwise. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** A streaming route that ends a stream failing mid-answer with an error; idle timeout 30 s unless set. */
    public static StreamRoute.Builder<ChatRequest, ChatChunk> failing(Route<ChatRequest, Started<ChatChunk>> route) {
        return StreamRoute.of(route).finalWhen(ChatStreams::isFinal).idleTimeout(DEFAULT_IDLE_TIMEOUT).failMidStream();
    }

    /** A streaming route that continues a stream failing mid-answer on the next provider; idle timeout 30 s unless set. */
    public static StreamRoute.Builder<ChatRequest, ChatChunk> continuing(Route<ChatRequest, Started<ChatChunk>> route) {
        return StreamRoute.of(route).finalWhen(ChatStreams::isFinal).idleTimeout(DEFAULT_IDLE_TIMEOUT)
                .continueMidStream(ChatStreams::continuation, ChatStreams::marker);
    }

    /**
     * The chunks, with usage-only chunks held back and replaced, at the end, by one chunk with their
     * sum (a stream continued on another provider reports both providers' usage once).
     */
    public static Flux<ChatChunk> withMergedUsage(Flux<ChatChunk> chunks) {
        return Flux.defer(() -> {
            AtomicReference<Usage> total = new AtomicReference<>();
            AtomicReference<ChatChunk> last = new AtomicReference<>();
            return chunks
                    .filter(chunk -> {
                        if (!chunk.json().path("choices").isEmpty() || chunk.usage() == null) {
                            last.set(chunk);
                            return true;
                        }
                        total.accumulateAndGet(chunk.usage(), (sum, usage) -> sum == null ? usage : sum.plus(usage));
                        return false;
                    })
                    .concatWith(Mono.fromSupplier(() -> usageChunk(last.get(), total.get())));
        });
    }

    private static ChatChunk usageChunk(ChatChunk last, Usage usage) {
        if (usage == null) {
            return null;
        }
        ObjectNode json = Json.MAPPER.createObjectNode();
        if (last != null) {
            json.set("id", last.json().get("id"));
            json.set("model", last.json().get("model"));
        }
        json.put("object", "chat.completion.chunk");
        json.putArray("choices");
        json.set("usage", usage.toJson());
        return ChatChunk.of(json);
    }

    static boolean starts(ChatChunk chunk) {
        String content = chunk.content();
        return content != null && !content.isEmpty() || chunk.inToolCall() || chunk.finishReason() != null;
    }

    static boolean isFinal(ChatChunk chunk) {
        return chunk.finishReason() != null;
    }

    /** The original request with the text so far as an assistant prefix; null inside a tool call. */
    static ChatRequest continuation(ChatRequest original, List<ChatChunk> sofar) {
        if (!sofar.isEmpty() && sofar.get(sofar.size() - 1).inToolCall()) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        for (ChatChunk chunk : sofar) {
            if (chunk.inToolCall()) {
                return null;
            }
            String content = chunk.content();
            if (content != null) {
                text.append(content);
            }
        }
        return original.continuing(text.toString());
    }

    /** A chunk with no text whose {@code x_detour.failover} names the providers before and after. */
    static ChatChunk marker(String from, String to) {
        ChatChunk chunk = ChatChunk.of("detour-failover", to, null, null, null);
        chunk.json().putObject(MARKER_FIELD).putObject("failover").put("from", from).put("to", to);
        return chunk;
    }
}
