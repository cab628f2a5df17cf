package dev.detour.llm.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.AttemptContext;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpFailures;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.sse.SseEvent;
import dev.detour.llm.sse.SseException;
import dev.detour.llm.sse.SseParser;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;

/**
 * A provider that speaks the OpenAI chat-completions API: OpenAI itself, and every server that copies it
 * (vLLM, Ollama's OpenAI API, DeepSeek, Groq, OpenRouter …), which differ only in base URL and key.
 *
 * <pre>{@code
 * ChatProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("https://api.openai.com/v1"))
 *         .apiKey(ApiKey.fromEnv("OPENAI_API_KEY"))
 *         .build();
 * }</pre>
 */
public final class OpenAiProvider implements ChatProvider {

    private static final int MAX_EVENT_BYTES = 1 << 20;
    private static final byte[] NO_BODY = new byte[0];

    private final String name;
    private final String model;
    private final HttpSettings settings;
    private final HttpClient http;
    private final ApiKey key;
    private final ContinuationMode continuation;

    private OpenAiProvider(Builder builder) {
        this.name = builder.name();
        this.model = builder.model();
        this.settings = builder.settings();
        this.http = builder.jsonClient(HttpHeaderNames.AUTHORIZATION, "Bearer ");
        this.key = builder.apiKey();
        this.continuation = builder.continuationOr(ContinuationMode.INSTRUCTION);
    }

    /** A builder of a provider named {@code name} reached by {@code settings}. */
    public static Builder builder(String name, HttpSettings settings) {
        return new Builder(name, settings);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
        byte[] body = Json.bytes(outgoing(request).withStream(false).json());
        return http.post()
                .uri("/chat/completions")
                .send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body)))
                .responseSingle((response, content) -> content.asByteArray()
                        .defaultIfEmpty(NO_BODY)
                        .map(bytes -> answer(response, bytes)))
                .onErrorMap(error -> HttpFailures.redact(error, key));
    }

    @Override
    public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
        byte[] body = Json.bytes(outgoing(request).withStream(true).json());
        return http.post()
                .uri("/chat/completions")
                .send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body)))
                .response((response, content) -> {
                    int status = response.status().code();
                    if (status < 200 || status > 299) {
                        return content.aggregate().asByteArray().defaultIfEmpty(NO_BODY)
                                .flatMapMany(bytes -> Flux.error(HttpFailures.status(status,
                                        response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), bytes)));
                    }
                    String type = response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
                    if (type == null || !type.startsWith("text/event-stream")) {
                        return content.aggregate().asByteArray().defaultIfEmpty(NO_BODY)
                                .flatMapMany(bytes -> Flux.error(notAStream(response, bytes)));
                    }
                    return chunks(SseParser.decode(content, MAX_EVENT_BYTES));
                })
                .onErrorMap(error -> HttpFailures.redact(error, key));
    }

    /** A 2xx answer to a stream request that is not a stream: its error object, or malformed. */
    private static RuntimeException notAStream(HttpClientResponse response, byte[] body) {
        try {
            answer(response, body);
            return HttpFailures.malformed("a stream was asked for but the answer is not text/event-stream");
        } catch (RuntimeException failure) {
            return failure;
        }
    }

    @Override
    public ContinuationMode continuation() {
        return continuation;
    }

    /**
     * The request as sent: the provider's model, and a continuation rendered; a prefill also says so in
     * the fields prefix-capable servers read (vLLM's {@code continue_final_message} and
     * {@code add_generation_prompt}, DeepSeek's and Mistral's {@code prefix} on the last message).
     */
    private ChatRequest outgoing(ChatRequest request) {
        ChatRequest sent = (model == null ? request : request.withModel(model)).rendered();
        if (request.continuation() == ContinuationMode.PREFILL) {
            ObjectNode json = sent.json();
            json.put("continue_final_message", true).put("add_generation_prompt", false);
            ((ObjectNode) json.withArray("messages").get(json.withArray("messages").size() - 1)).put("prefix", true);
        }
        return sent;
    }

    private static ChatResponse answer(HttpClientResponse response, byte[] body) {
        int status = response.status().code();
        if (status < 200 || status > 299) {
            throw HttpFailures.status(status, response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), body);
        }
        return accepted(() -> Json.object(body, "answer"), ChatResponse::of);
    }

    /** The chunks up to {@code [DONE]}; the body is still read to its end, so the connection goes back to the pool. */
    private static Flux<ChatChunk> chunks(Flux<SseEvent> events) {
        return Flux.defer(() -> {
            boolean[] done = new boolean[1];
            ChatChunk[] malformed = new ChatChunk[1];
            return events
                    .onErrorMap(SseException.class, e -> new ProviderException(Failure.connection(e.getMessage())))
                    .<ChatChunk>handle((event, sink) -> {
                        if (done[0]) {
                            return;
                        }
                        if (event.isDone()) {
                            done[0] = true;
                            return;
                        }
                        ChatChunk chunk = chunk(event);
                        if (chunk.isMalformed()) {
                            malformed[0] = chunk;
                        }
                        sink.next(chunk);
                    })
                    .concatWith(Mono.defer(() -> done[0] ? Mono.empty()
                            : Mono.error(HttpFailures.cut("stream ended before [DONE]", malformed[0]))));
        });
    }

    /** A chunk; an event that is not a chunk is {@linkplain ChatChunk#malformed malformed}, an error object a failure. */
    private static ChatChunk chunk(SseEvent event) {
        try {
            ObjectNode json = Json.object(event.data(), "stream chunk");
            rejectErrorObject(json);
            return ChatChunk.of(json);
        } catch (InvalidChatException e) {
            return ChatChunk.malformed(e.getMessage());
        }
    }

    /** Reads a JSON answer or chunk: an error object in it is a provider failure, a bad shape is malformed. */
    private static <T> T accepted(Supplier<ObjectNode> read, Function<ObjectNode, T> wrap) {
        try {
            ObjectNode json = read.get();
            rejectErrorObject(json);
            return wrap.apply(json);
        } catch (InvalidChatException e) {
            throw HttpFailures.malformed(e.getMessage());
        }
    }

    /**
     * An {@code error} object in a 2xx answer or chunk is a provider failure, classified by its type and
     * code: a context-window or content-policy error as a 400 of its kind, a rate limit as a 429, an
     * invalid request as a 400, anything else as a 502.
     */
    private static void rejectErrorObject(ObjectNode json) {
        JsonNode error = json.get("error");
        if (error == null || error.isNull()) {
            return;
        }
        String message = error.path("message").asText("error object in answer");
        UpstreamError upstream = error.isObject() ? HttpFailures.upstream(error) : null;
        String type = error.path("type").asText("") + " " + error.path("code").asText("");
        int status = HttpFailures.namedKind(upstream, message) != null ? 400
                : type.contains("rate_limit") ? 429 : type.contains("invalid_request") ? 400 : 502;
        throw new ProviderException(HttpFailures.failure(status, null, message, upstream));
    }

    @Override
    public String toString() {
        return "OpenAiProvider[" + name + ", " + settings.baseUrl() + "]";
    }

    /** Builds an {@link OpenAiProvider}. */
    public static final class Builder extends ProviderBuilder<Builder> {

        private Builder(String name, HttpSettings settings) {
            super(name, settings);
        }

        /** The provider. */
        public OpenAiProvider build() {
            return new OpenAiProvider(this);
        }
    }
}
