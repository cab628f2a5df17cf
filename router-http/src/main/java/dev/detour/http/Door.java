package dev.detour.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import dev.detour.llm.anthropic.AnthropicDoor;
import dev.detour.llm.internal.SseEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.detour.llm.internal.SseWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The wire format a client speaks to a chat route: how its request becomes the canonical one, and how the
 * canonical answer, stream and errors go back. The route, its fallbacks, deadline and stream contract, the
 * {@code x-detour-*} headers and the log line are the same whichever door a request came through.
 */
abstract class Door {

    /** OpenAI chat completions: the canonical shape itself, without an Anthropic provider's thinking. */
    static final Door OPENAI = new OpenAi();

    /** The Anthropic Messages API. */
    static final Door ANTHROPIC = new Anthropic();

    /** The door's name in the log line. */
    abstract String name();

    /** The canonical request for a body that is a JSON object. */
    abstract ChatRequest request(ObjectNode body);

    /** The answer's body, as JSON text. */
    abstract byte[] answer(ChatResponse response);

    /** The events of a stream of {@code chunks}, its end included; a failover marker becomes a comment unless {@code chunkMarker}. */
    abstract Flux<SseFrame> events(Flux<ChatChunk> chunks, boolean chunkMarker);

    /** An error's body. */
    abstract JsonNode error(ApiError error);

    /** Whether an {@code x-api-key} header is read as the client's key (as well as {@code Authorization: Bearer}). */
    abstract boolean apiKeyHeader();

    /** The request headers passed on to providers besides the configured ones. */
    abstract List<String> forwarded();

    /** The failover marker as an SSE comment line, which SDKs ignore: {@code : detour failover from=a to=b reason=timeout}. */
    static SseFrame comment(ChatChunk marker) {
        JsonNode failover = marker.failover();
        String text = "detour failover from=" + failover.path("from").asText() + " to=" + failover.path("to").asText()
                + " reason=" + failover.path("reason").asText();
        return new SseFrame(null, null, text);
    }

    private static final class OpenAi extends Door {

        @Override
        String name() {
            return "openai";
        }

        @Override
        ChatRequest request(ObjectNode body) {
            return ChatRequest.of(body);
        }

        @Override
        byte[] answer(ChatResponse response) {
            return response.withoutAnthropicFields().bytes();
        }

        @Override
        Flux<SseFrame> events(Flux<ChatChunk> chunks, boolean chunkMarker) {
            return chunks.filter(chunk -> chunk.thinking().isMissingNode()).map(chunk -> chunk.isMarker() && !chunkMarker ? comment(chunk) : SseFrame.data(Json.bytes(chunk.json())))
                    .concatWith(Mono.just(SseFrame.DONE));
        }

        @Override
        JsonNode error(ApiError error) {
            return error.json();
        }

        @Override
        boolean apiKeyHeader() {
            return false;
        }

        @Override
        List<String> forwarded() {
            return List.of();
        }
    }

    private static final class Anthropic extends Door {

        @Override
        String name() {
            return "anthropic";
        }

        @Override
        ChatRequest request(ObjectNode body) {
            return AnthropicDoor.request(body);
        }

        @Override
        byte[] answer(ChatResponse response) {
            return Json.bytes(AnthropicDoor.message(response));
        }

        /** Anthropic's events; the failover marker is always a comment (Anthropic's events have no place for it). */
        @Override
        Flux<SseFrame> events(Flux<ChatChunk> chunks, boolean chunkMarker) {
            return Flux.defer(() -> {
                AnthropicDoor.StreamEncoder encoder = AnthropicDoor.stream();
                return chunks.concatMapIterable(chunk -> chunk.isMarker() ? List.of(comment(chunk)) : frames(encoder.next(chunk)))
                        .concatWith(Flux.defer(() -> Flux.fromIterable(frames(encoder.end()))));
            });
        }

        private static List<SseFrame> frames(List<AnthropicDoor.Event> events) {
            return events.stream().map(event -> new SseFrame(event.name(), Json.bytes(event.data()), null)).toList();
        }

        @Override
        JsonNode error(ApiError error) {
            return AnthropicDoor.error(error.status(), error.message());
        }

        @Override
        boolean apiKeyHeader() {
            return true;
        }

        @Override
        List<String> forwarded() {
            return List.of("anthropic-version", "anthropic-beta");
        }
    }

    @Override
    public String toString() {
        return name().toUpperCase(Locale.ROOT);
    }

    /** One server-sent event (data, with an event name or none) or comment, written into a buffer of its own. */
    record SseFrame(String event, byte[] data, String comment) {

        static final SseFrame DONE = data(SseEvent.DONE.getBytes(StandardCharsets.US_ASCII));

        static SseFrame data(byte[] data) {
            return new SseFrame(null, data, null);
        }

        ByteBuf write(ByteBufAllocator alloc) {
            return comment != null ? SseWriter.comment(alloc.buffer(comment.length() + 4), comment)
                    : SseWriter.event(alloc, event, data);
        }
    }
}
