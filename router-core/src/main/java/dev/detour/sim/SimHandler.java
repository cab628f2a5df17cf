package dev.detour.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.InvalidChatException;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.random.RandomGenerator;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** Answers one HTTP exchange of a {@link SimulatedProvider}: routing, authentication, behaviour, faults and timing. */
final class SimHandler implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {

    private static final byte[] EMPTY = new byte[0];
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] GARBAGE = "<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
            .getBytes(StandardCharsets.UTF_8);
    private static final Wire.Events GARBAGE_EVENT = Wire.Events.event(null,
            "<!DOCTYPE html><html><body>not JSON</body></html>".getBytes(StandardCharsets.UTF_8));
    private static final String JSON = "application/json";
    private static final String EVENT_STREAM = "text/event-stream; charset=utf-8";
    private static final AtomicLong IDS = new AtomicLong();
    private static final String COUNT_TOKENS = "/v1/messages/count_tokens";
    private static final String EMBEDDINGS = "/v1/embeddings";

    private final SimulatedProvider provider;

    SimHandler(SimulatedProvider provider) {
        this.provider = provider;
    }

    @Override
    public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        HttpMethod method = request.method();
        if (path.equals("/health")) {
            return request.receive().then(method.equals(HttpMethod.GET)
                    ? json(response, 200, HEALTHY, Duration.ZERO, null, ModelState.Ticket.NONE)
                    : notAllowed(OpenAiWire.INSTANCE, response, method, path, "GET"));
        }
        if (path.equals(COUNT_TOKENS) && provider.countsTokens() || path.equals(EMBEDDINGS) && provider.embeddingDimensions() > 0) {
            Wire side = path.equals(COUNT_TOKENS) ? AnthropicWire.INSTANCE : OpenAiWire.INSTANCE;
            if (!method.equals(HttpMethod.POST)) {
                return request.receive().then(notAllowed(side, response, method, path, "POST"));
            }
            return request.receive().aggregate().asByteArray().defaultIfEmpty(EMPTY)
                    .flatMap(body -> path.equals(COUNT_TOKENS) ? countTokens(request, response, body) : embeddings(request, response, body));
        }
        Wire wire = path.equals(OpenAiWire.INSTANCE.path()) ? OpenAiWire.INSTANCE
                : path.equals(AnthropicWire.INSTANCE.path()) ? AnthropicWire.INSTANCE : null;
        if (wire == null) {
            return request.receive().then(json(response, 404,
                    OpenAiWire.INSTANCE.error(404, "no route for " + method + " " + path), Duration.ZERO, null,
                    ModelState.Ticket.NONE));
        }
        if (!method.equals(HttpMethod.POST)) {
            return request.receive().then(notAllowed(wire, response, method, path, "POST"));
        }
        return request.receive().aggregate().asByteArray().defaultIfEmpty(EMPTY)
                .flatMap(body -> exchange(wire, request, response, body));
    }

    private Mono<Void> exchange(Wire wire, HttpServerRequest request, HttpServerResponse response, byte[] body) {
        ObjectNode json = Wire.lenientObject(body);
        JsonNode model = json == null ? null : json.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            return Mono.defer(() -> reply(wire, request, response, body, json, null, ModelState.Ticket.NONE));
        }
        provider.received(model.asText(), json);
        ModelState state = provider.state(model.asText());
        ModelState.Ticket ticket = state.open();
        return Mono.defer(() -> reply(wire, request, response, body, json, state, ticket))
                .doOnSuccess(done -> ticket.ended())
                .doOnError(ticket::failed)
                .doOnCancel(ticket::ended);
    }

    private Mono<Void> reply(Wire wire, HttpServerRequest request, HttpServerResponse response, byte[] body,
            ObjectNode json, ModelState state, ModelState.Ticket ticket) {
        String apiKey = provider.apiKey();
        if (apiKey != null) {
            Wire.Rejection rejection = wire.authenticate(request.requestHeaders(), apiKey);
            if (rejection != null) {
                return error(wire, response, rejection.status(), rejection.message(), Duration.ZERO, null, ticket);
            }
        }
        Wire.Request parsed;
        try {
            parsed = wire.read(body, json);
        } catch (InvalidChatException e) {
            return error(wire, response, 400, e.getMessage(), Duration.ZERO, null, ticket);
        }
        String model = parsed.model();
        Behaviour step = provider.behaviour(model).step(state.nextPosition());
        Wire.Continuation continuation = parsed.continuation();
        if (continuation != null && continuation.prefill() && !step.acceptsPrefill()) {
            return json(response, 400, wire.prefillError(), Duration.ZERO, null, ticket);
        }
        if (step.contextWindow() > 0 && parsed.promptTokens() > step.contextWindow()) {
            return json(response, 400, wire.contextWindowError(step.contextWindow(), parsed.promptTokens()), Duration.ZERO,
                    null, ticket);
        }
        RandomGenerator random = state.random();
        Fault fault = step.pickFault(random);
        Duration latency = step.latency().sample(random);
        Behaviour.ToolCall call = continuation == null && step.toolCall() != null
                && parsed.tools().contains(step.toolCall().name()) ? step.toolCall() : null;
        List<String> tokens = fault != null && fault.kind() == Fault.Kind.EMPTY_ANSWER ? List.of()
                : call != null ? Wire.fragments(call.arguments())
                : continuation == null ? step.tokensFor(model)
                : Behaviour.tokenize(continuation.prefill() ? step.prefillAnswerFor(model, continuation.prefix())
                        : step.instructionAnswerFor(model, continuation.prefix()));
        boolean cutByMaxTokens = parsed.maxTokens() > 0 && tokens.size() > parsed.maxTokens();
        if (cutByMaxTokens) {
            tokens = tokens.subList(0, parsed.maxTokens());
        }
        long id = IDS.incrementAndGet();
        Wire.Answer answer = new Wire.Answer(wire.idPrefix() + id, model, System.currentTimeMillis() / 1000, tokens,
                cutByMaxTokens, parsed.promptTokens(), parsed.includeUsage(),
                call == null ? null : new Wire.ToolUse(wire.toolIdPrefix() + id, call.name()),
                parsed.thinking() ? Behaviour.tokenize(AnthropicWire.THINKING) : List.of());
        return parsed.stream()
                ? stream(wire, response, answer, fault, latency, step.pacing(), ticket)
                : single(wire, response, answer, fault, latency, ticket);
    }

    private Mono<Void> single(Wire wire, HttpServerResponse response, Wire.Answer answer, Fault fault, Duration latency,
            ModelState.Ticket ticket) {
        if (fault == null) {
            return json(response, 200, wire.answer(answer), latency, null, ticket);
        }
        return switch (fault.kind()) {
            case STATUS, ERROR_MID_STREAM -> error(wire, response, fault.status(), message(fault, answer.model()), latency,
                    fault.retryAfter(), ticket);
            case STALL, STALL_AFTER -> Mono.never();
            case CUT_AFTER -> after(latency, "").then(cut(response, ticket));
            case END_AFTER -> {
                byte[] whole = wire.answer(answer);
                yield json(response, 200, Arrays.copyOf(whole, whole.length / 2), latency, null, ticket);
            }
            case GARBAGE -> json(response, 200, GARBAGE, latency, null, ticket);
            case EMPTY_ANSWER, MALFORMED_EVENT -> json(response, 200, wire.answer(answer), latency, null, ticket);
            case ERROR_IN_200 -> json(response, 200, wire.error(fault.status(), message(fault, answer.model())), latency,
                    null, ticket);
            case CONTEXT_WINDOW, CONTENT_POLICY -> json(response, 400, refusal(wire, fault, answer), latency, null, ticket);
        };
    }

    private Mono<Void> stream(Wire wire, HttpServerResponse response, Wire.Answer answer, Fault fault, Duration latency,
            Duration pacing, ModelState.Ticket ticket) {
        int all = answer.tokens().size();
        if (fault == null) {
            return sse(response, events(wire, answer, latency, pacing, all, wire.finish(answer)), ticket);
        }
        int some = Math.min(fault.afterTokens(), all);
        return switch (fault.kind()) {
            case STATUS -> error(wire, response, fault.status(), message(fault, answer.model()), latency,
                    fault.retryAfter(), ticket);
            case ERROR_IN_200 -> json(response, 200, wire.error(fault.status(), message(fault, answer.model())), latency,
                    null, ticket);
            case GARBAGE -> sse(response, after(latency, GARBAGE_EVENT).flux(), ticket);
            case STALL -> sse(response, events(wire, answer, Duration.ZERO, pacing, 0, Wire.Events.NONE).concatWith(Mono.never()), ticket);
            case STALL_AFTER -> sse(response, events(wire, answer, latency, pacing, some, Wire.Events.NONE).concatWith(Mono.never()),
                    ticket);
            case CUT_AFTER -> sse(response, events(wire, answer, latency, pacing, some, Wire.Events.NONE), ticket)
                    .then(cut(response, ticket));
            case END_AFTER -> sse(response, events(wire, answer, latency, pacing, some, Wire.Events.NONE), ticket);
            case ERROR_MID_STREAM -> sse(response, events(wire, answer, latency, pacing, some,
                    wire.streamError(fault.status(), message(fault, answer.model()))), ticket);
            case EMPTY_ANSWER -> sse(response, events(wire, answer, latency, pacing, all, wire.finish(answer)), ticket);
            case CONTEXT_WINDOW, CONTENT_POLICY -> json(response, 400, refusal(wire, fault, answer), latency, null, ticket);
            case MALFORMED_EVENT -> sse(response, events(wire, answer, latency, pacing, some, wire.malformedEvent(answer))
                    .concatWith(tokens(wire, answer, pacing, some, all))
                    .concatWith(Mono.fromSupplier(() -> wire.finish(answer))), ticket);
        };
    }

    /** Anthropic's {@code count_tokens}: the words of the system prompt and the messages' text, without an answer. */
    private Mono<Void> countTokens(HttpServerRequest request, HttpServerResponse response, byte[] body) {
        Wire wire = AnthropicWire.INSTANCE;
        if (provider.apiKey() != null) {
            Wire.Rejection rejection = wire.authenticate(request.requestHeaders(), provider.apiKey());
            if (rejection != null) {
                return error(wire, response, rejection.status(), rejection.message(), Duration.ZERO, null, ModelState.Ticket.NONE);
            }
        }
        ObjectNode json;
        try {
            json = Wire.object(body, Wire.lenientObject(body));
        } catch (InvalidChatException e) {
            return error(wire, response, 400, e.getMessage(), Duration.ZERO, null, ModelState.Ticket.NONE);
        }
        JsonNode messages = json.get("messages");
        if (!json.path("model").isTextual() || messages == null || !messages.isArray() || messages.isEmpty()) {
            return error(wire, response, 400, "'model' and a non-empty 'messages' are required", Duration.ZERO, null,
                    ModelState.Ticket.NONE);
        }
        if (json.has("max_tokens") || json.has("stream")) {
            return error(wire, response, 400, (json.has("max_tokens") ? "max_tokens" : "stream")
                    + ": Extra inputs are not permitted", Duration.ZERO, null, ModelState.Ticket.NONE);
        }
        long words = Wire.words(json.get("system"));
        for (JsonNode message : messages) {
            words += Wire.words(message.get("content"));
        }
        provider.countedTokens();
        ObjectNode answer = dev.detour.llm.Json.newObject().put("input_tokens", words);
        return json(response, 200, dev.detour.llm.Json.bytes(answer), Duration.ZERO, null, ModelState.Ticket.NONE);
    }

    /**
     * OpenAI's {@code embeddings}: a deterministic unit vector per input, after the model's latency; a status fault
     * of the model's behaviour answers its status instead (other faults are ignored).
     */
    private Mono<Void> embeddings(HttpServerRequest request, HttpServerResponse response, byte[] body) {
        Wire wire = OpenAiWire.INSTANCE;
        if (provider.apiKey() != null) {
            Wire.Rejection rejection = wire.authenticate(request.requestHeaders(), provider.apiKey());
            if (rejection != null) {
                return error(wire, response, rejection.status(), rejection.message(), Duration.ZERO, null, ModelState.Ticket.NONE);
            }
        }
        ObjectNode json = Wire.lenientObject(body);
        JsonNode input = json == null ? null : json.get("input");
        if (json == null || !json.path("model").isTextual() || input == null
                || !(input.isTextual() || input.isArray() && !input.isEmpty())) {
            return error(wire, response, 400, "'model' and 'input' (a string or a non-empty array of strings) are required",
                    Duration.ZERO, null, ModelState.Ticket.NONE);
        }
        List<String> inputs = new java.util.ArrayList<>();
        if (input.isTextual()) {
            inputs.add(input.asText());
        } else {
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    return error(wire, response, 400, "'input' items must be strings", Duration.ZERO, null, ModelState.Ticket.NONE);
                }
                inputs.add(item.asText());
            }
        }
        String model = json.get("model").asText();
        provider.received(model, json);
        ModelState state = provider.state(model);
        ModelState.Ticket ticket = state.open();
        return Mono.defer(() -> {
            Behaviour step = provider.behaviour(model).step(state.nextPosition());
            RandomGenerator random = state.random();
            Fault fault = step.pickFault(random);
            Duration latency = step.latency().sample(random);
            if (fault != null && fault.kind() == Fault.Kind.STATUS) {
                return error(wire, response, fault.status(), "simulated " + fault.status() + " for model '" + model + "'",
                        latency, fault.retryAfter(), ticket);
            }
            ObjectNode answer = dev.detour.llm.Json.newObject().put("object", "list");
            com.fasterxml.jackson.databind.node.ArrayNode data = answer.putArray("data");
            long tokens = 0;
            for (int i = 0; i < inputs.size(); i++) {
                com.fasterxml.jackson.databind.node.ArrayNode vector = data.addObject().put("object", "embedding").put("index", i)
                        .putArray("embedding");
                for (double value : vector(inputs.get(i), provider.embeddingDimensions())) {
                    vector.add(value);
                }
                tokens += Behaviour.tokenize(inputs.get(i).strip()).size();
            }
            answer.put("model", model);
            answer.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
            return json(response, 200, dev.detour.llm.Json.bytes(answer), latency, null, ticket);
        }).doOnSuccess(done -> ticket.ended()).doOnError(ticket::failed).doOnCancel(ticket::ended);
    }

    /** A unit vector drawn from {@code text}'s bytes: the same text always gets the same vector. */
    static double[] vector(String text, int dimensions) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(
                java.util.Arrays.hashCode(text.getBytes(StandardCharsets.UTF_8)) * 0x9E3779B97F4A7C15L);
        double[] vector = new double[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            vector[i] = random.nextDouble(-1, 1);
            norm += vector[i] * vector[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < dimensions; i++) {
            vector[i] = Math.round(vector[i] / norm * 1e6) / 1e6;
        }
        return vector;
    }

    /** The 400 of a {@link Fault.Kind#CONTEXT_WINDOW} or {@link Fault.Kind#CONTENT_POLICY} fault. */
    private static byte[] refusal(Wire wire, Fault fault, Wire.Answer answer) {
        return fault.kind() == Fault.Kind.CONTEXT_WINDOW
                ? wire.contextWindowError(Fault.CONTEXT_WINDOW, Math.max(answer.promptTokens(), Fault.CONTEXT_WINDOW + 1L))
                : wire.contentPolicyError();
    }

    /** The preamble at once, {@code count} tokens (the first after {@code latency}, then {@code pacing} apart), then {@code tail}. */
    private static Flux<Wire.Events> events(Wire wire, Wire.Answer answer, Duration latency, Duration pacing, int count,
            Wire.Events tail) {
        Flux<Wire.Events> tokens = Flux.range(0, count)
                .concatMap(index -> after(index == 0 ? latency : pacing, index).map(i -> wire.token(answer, i)));
        Mono<Wire.Events> end = (count == 0 ? after(latency, tail) : Mono.just(tail)).filter(events -> events != Wire.Events.NONE);
        return Flux.concat(Mono.fromSupplier(() -> wire.preamble(answer)).filter(events -> events != Wire.Events.NONE),
                tokens, end);
    }

    /** Tokens {@code from} to {@code to} (exclusive), each {@code pacing} after the one before. */
    private static Flux<Wire.Events> tokens(Wire wire, Wire.Answer answer, Duration pacing, int from, int to) {
        return Flux.range(from, to - from).concatMap(index -> after(pacing, index).map(i -> wire.token(answer, i)));
    }

    private static String message(Fault fault, String model) {
        return switch (fault.kind()) {
            case STATUS -> fault.status() == 429
                    ? "simulated rate limit for model '" + model + "': retry after " + seconds(fault.retryAfter()) + " s"
                    : "simulated " + fault.status() + " for model '" + model + "'";
            case ERROR_IN_200 -> "simulated error inside a 200 answer for model '" + model + "'";
            case ERROR_MID_STREAM -> "simulated " + fault.status() + " after " + fault.afterTokens() + " tokens for model '"
                    + model + "'";
            default -> "simulated " + fault.kind() + " for model '" + model + "'";
        };
    }

    private static Mono<Void> cut(HttpServerResponse response, ModelState.Ticket ticket) {
        return Mono.defer(() -> {
            ticket.sent();
            response.withConnection(connection -> connection.channel().close());
            return Mono.never();
        });
    }

    private static Mono<Void> sse(HttpServerResponse response, Flux<Wire.Events> events, ModelState.Ticket ticket) {
        response.status(200)
                .header(HttpHeaderNames.CONTENT_TYPE, EVENT_STREAM)
                .header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        // Emit on the connection's own event loop, so no chunk is turned into a buffer while the connection closes.
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Executor> loop = new java.util.concurrent.atomic.AtomicReference<>();
        response.withConnection(connection -> loop.set(connection.channel().eventLoop()));
        Flux<Wire.Events> onLoop = loop.get() == null ? events
                : events.publishOn(reactor.core.scheduler.Schedulers.fromExecutor(loop.get()));
        return response.sendHeaders().send(onLoop.doOnComplete(ticket::sent).map(written -> {
            ByteBuf out = response.alloc().buffer();
            try {
                written.writeTo(out);
                return out;
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
        })).then();
    }

    private static Mono<Void> error(Wire wire, HttpServerResponse response, int status, String message, Duration delay,
            Duration retryAfter, ModelState.Ticket ticket) {
        return json(response, status, wire.error(status, message), delay, retryAfter, ticket);
    }

    private static Mono<Void> notAllowed(Wire wire, HttpServerResponse response, HttpMethod method, String path,
            String allowed) {
        response.header(HttpHeaderNames.ALLOW, allowed);
        return error(wire, response, 405, method + " is not allowed on " + path + "; use " + allowed, Duration.ZERO, null,
                ModelState.Ticket.NONE);
    }

    private static Mono<Void> json(HttpServerResponse response, int status, byte[] body, Duration delay,
            Duration retryAfter, ModelState.Ticket ticket) {
        response.status(status).header(HttpHeaderNames.CONTENT_TYPE, JSON);
        if (retryAfter != null) {
            response.header(HttpHeaderNames.RETRY_AFTER, Long.toString(seconds(retryAfter)));
        }
        return response.sendByteArray(after(delay, body).doOnNext(bytes -> ticket.sent())).then();
    }

    private static long seconds(Duration duration) {
        long seconds = duration.getSeconds();
        return duration.getNano() > 0 ? seconds + 1 : seconds;
    }

    private static <T> Mono<T> after(Duration delay, T value) {
        return delay.isZero() ? Mono.just(value) : Mono.delay(delay).thenReturn(value);
    }
}
