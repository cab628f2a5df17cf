package dev.detour.llm.internal;

import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.Json;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Turns the events of one provider stream into canonical chunks, an event at a time; a decoder reads one
 * stream and may keep what earlier events said.
 */
@FunctionalInterface
public interface EventDecoder {

    /** Given among a decoder's chunks at the protocol's end of stream; never leaves {@link #decode(Flux, Supplier, String)}. */
    ChatChunk END = ChatChunk.of(Json.newObject().set("choices", Json.newArray()));

    /** {@link #END} alone. */
    List<ChatChunk> ENDED = List.of(END);

    /**
     * The chunks {@code event} stands for, in order (often one, possibly none); {@link #END} at the end of
     * the stream. Data that cannot be read gives a {@linkplain ChatChunk#malformed malformed} chunk; an
     * error the provider sends is thrown as its {@link ProviderException}.
     */
    List<ChatChunk> decode(SseEvent event);

    /**
     * The chunks of {@code events}, decoded by a new decoder of {@code decoders} for each subscription, up
     * to {@link #END}; later events are read, so the connection goes back to its pool, but not decoded. A
     * stream that ends before {@link #END} fails: as a malformed answer when its last unreadable event was
     * malformed, else as a broken connection ("stream ended before {@code end}"); so does an
     * {@link SseException} from the events (a body cut inside an event).
     */
    static Flux<ChatChunk> decode(Flux<SseEvent> events, Supplier<? extends EventDecoder> decoders, String end) {
        Objects.requireNonNull(events, "events");
        return Flux.defer(() -> {
            EventDecoder decoder = decoders.get();
            boolean[] ended = new boolean[1];
            ChatChunk[] malformed = new ChatChunk[1];
            return events
                    .onErrorMap(SseException.class, e -> new ProviderException(Failure.connection(e.getMessage())))
                    .concatMapIterable(event -> ended[0] ? List.of() : decoder.decode(event))
                    .<ChatChunk>handle((chunk, sink) -> {
                        if (chunk == END) {
                            ended[0] = true;
                        } else if (!ended[0]) {
                            if (chunk.isMalformed()) {
                                malformed[0] = chunk;
                            }
                            sink.next(chunk);
                        }
                    })
                    .concatWith(Mono.defer(() -> ended[0] ? Mono.empty()
                            : Mono.error(HttpFailures.cut("stream ended before " + end, malformed[0]))));
        });
    }
}
