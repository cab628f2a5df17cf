package dev.detour.llm.internal;

import dev.detour.core.internal.RequestTrace;
import dev.detour.core.telemetry.RouteObservations;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Usage;
import dev.detour.llm.anthropic.AnthropicProvider;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * OpenTelemetry's GenAI attributes on the attempt observation of an LLM call, when the call runs under
 * one (the router has an observation registry): {@value #OPERATION}, {@value #PROVIDER} (the API's
 * dialect: {@code openai} or {@code anthropic}), {@value #REQUEST_MODEL} (the model the request named),
 * {@value #RESPONSE_MODEL}, {@value #FINISH_REASONS}, {@value #INPUT_TOKENS} and {@value #OUTPUT_TOKENS}.
 * All are high-cardinality keys, span attributes only: a meter made of the attempt observation keeps the
 * same tags for LLM and other providers (Prometheus needs one set of tag names per meter). The engine adds
 * {@code error.type} and, for streams, {@code gen_ai.response.time_to_first_chunk}. No message content.
 * Without an observation, the call is returned as it is; while no router in the JVM observes, without even
 * looking. Internal.
 */
public final class GenAi {

    public static final String OPERATION = "gen_ai.operation.name";
    public static final String PROVIDER = "gen_ai.provider.name";
    public static final String REQUEST_MODEL = "gen_ai.request.model";
    public static final String RESPONSE_MODEL = "gen_ai.response.model";
    public static final String FINISH_REASONS = "gen_ai.response.finish_reasons";
    public static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    public static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";

    private GenAi() {
    }

    /** {@code call}, a whole answer to {@code request} from {@code provider}, described on its attempt's observation. */
    public static Mono<ChatResponse> call(ChatRequest request, ChatProvider provider, Mono<ChatResponse> call) {
        if (!RequestTrace.anyObserving()) {
            return call;
        }
        return Mono.deferContextual(context -> {
            Observation attempt = attempt(context.getOrDefault(RequestTrace.OBSERVATION, null));
            if (attempt == null) {
                return call;
            }
            requested(attempt, request, provider);
            return call.doOnNext(response -> answered(attempt, response.model(), response.finishReason(), response.usage()));
        });
    }

    /** {@code stream}, a streamed answer to {@code request} from {@code provider}, described on its attempt's observation. */
    public static Flux<ChatChunk> stream(ChatRequest request, ChatProvider provider, Flux<ChatChunk> stream) {
        if (!RequestTrace.anyObserving()) {
            return stream;
        }
        return Flux.deferContextual(context -> {
            Observation attempt = attempt(context.getOrDefault(RequestTrace.OBSERVATION, null));
            if (attempt == null) {
                return stream;
            }
            requested(attempt, request, provider);
            return stream.doOnNext(chunk -> {
                if (chunk.isMalformed() || chunk.isMarker()) {
                    return;
                }
                com.fasterxml.jackson.databind.JsonNode model = chunk.json().get("model");
                answered(attempt, model != null && model.isTextual() ? model.asText() : null, chunk.finishReason(), chunk.usage());
            });
        });
    }

    private static Observation attempt(Object current) {
        return current instanceof Observation observation
                && observation.getContext() instanceof RouteObservations.AttemptContext ? observation : null;
    }

    private static void requested(Observation attempt, ChatRequest request, ChatProvider provider) {
        Observation.Context context = attempt.getContext();
        context.addHighCardinalityKeyValue(KeyValue.of(OPERATION, "chat"));
        context.addHighCardinalityKeyValue(KeyValue.of(PROVIDER, provider instanceof AnthropicProvider ? "anthropic" : "openai"));
        String model = request.model();
        context.addHighCardinalityKeyValue(KeyValue.of(REQUEST_MODEL, model != null ? model : RouteObservations.NONE));
    }

    private static void answered(Observation attempt, String model, String finishReason, Usage usage) {
        Observation.Context context = attempt.getContext();
        if (model != null && context.getHighCardinalityKeyValue(RESPONSE_MODEL) == null) {
            context.addHighCardinalityKeyValue(KeyValue.of(RESPONSE_MODEL, model));
        }
        if (finishReason != null) {
            context.addHighCardinalityKeyValue(KeyValue.of(FINISH_REASONS, finishReason));
        }
        if (usage != null) {
            context.addHighCardinalityKeyValue(KeyValue.of(INPUT_TOKENS, Long.toString(usage.promptTokens())));
            context.addHighCardinalityKeyValue(KeyValue.of(OUTPUT_TOKENS, Long.toString(usage.completionTokens())));
        }
    }
}
