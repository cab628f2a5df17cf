package dev.detour.webflux;

import dev.detour.core.Route;
import dev.detour.core.stream.MidStreamException;
import dev.detour.core.stream.StreamRoute;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Chat endpoints: the routes' publishers are returned as they are. Bodies are JSON text, parsed and
 * written by Detour's own model ({@code ChatRequest.parse}, {@code json()}), whatever JSON library Spring
 * is set up with.
 */
// README webflux begin
@RestController
class ChatController {

    private final Route<ChatRequest, ChatResponse> chat;
    private final StreamRoute<ChatRequest, ChatChunk> chatStream;

    ChatController(Route<ChatRequest, ChatResponse> chat, StreamRoute<ChatRequest, ChatChunk> chatStream) {
        this.chat = chat;
        this.chatStream = chatStream;
    }

    @PostMapping(path = "/chat", produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<String> chat(@RequestBody byte[] body) {
        return chat.call(ChatRequest.parse(body)).map(answer -> answer.json().toString());
    }

    @PostMapping(path = "/chat/outcome", produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<String>> chatOutcome(@RequestBody byte[] body) {  // says who served it, after what
        return chat.execute(ChatRequest.parse(body)).map(outcome -> ResponseEntity.ok()
                .header("X-Detour-Provider", outcome.provider())
                .header("X-Detour-Attempts", outcome.attempts().toString())
                .body(outcome.value().json().toString()));
    }

    @PostMapping(path = "/chat/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    Flux<ServerSentEvent<String>> stream(@RequestBody byte[] body) {     // nothing is sent before a first token
        return chatStream.stream(ChatRequest.parse(body))
                .map(chunk -> chunk.isMarker()
                        ? ServerSentEvent.<String>builder().comment("detour: provider changed").build()
                        : ServerSentEvent.builder(chunk.json().toString()).build())
                .concatWithValues(ServerSentEvent.builder("[DONE]").build())
                .onErrorResume(MidStreamException.class,                   // after the first token: an explicit end
                        failure -> Flux.just(ServerSentEvent.builder(failure.getMessage()).event("error").build()));
    }
}
// README webflux end
