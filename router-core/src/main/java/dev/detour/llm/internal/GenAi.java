package dev.detour.llm.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.internal.RequestTrace;
import dev.detour.core.telemetry.RouteObservations;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import dev.detour.llm.Usage;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import java.net.URI;
import java.util.Locale;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * OpenTelemetry's GenAI conventions on the attempt observation of an LLM call, when the call runs under
 * one (the router has an observation registry). The span is named {@code {gen_ai.operation.name}
 * {gen_ai.request.model}} ({@code chat gpt-4o-mini}, {@code embeddings text-embedding-3-small}; the
 * observation's name, its meter's, stays
 * {@code detour.attempt}); its attributes are {@value #OPERATION}, {@value #PROVIDER} (the provider's
 * {@linkplain ChatProvider#genAiProvider() well-known name}), {@value #REQUEST_MODEL} (the
 * {@linkplain ChatProvider#model model the provider asks for}, an alias replaced), {@value #RESPONSE_MODEL},
 * {@value #FINISH_REASONS}, {@value #INPUT_TOKENS}, {@value #OUTPUT_TOKENS} and Detour's
 * {@value RouteObservations#CLIENT_MODEL} (the model the caller named). All are high-cardinality keys, span
 * attributes only: a meter made of the attempt observation keeps the same tags for LLM and other providers
 * (Prometheus needs one set of tag names per meter). The engine adds {@code error.type} and, for streams,
 * {@code gen_ai.response.time_to_first_chunk}. Message content ({@value #INPUT_MESSAGES},
 * {@value #OUTPUT_MESSAGES}, see {@link GenAiMessages}) only when the router
 * {@linkplain RouteObservations.AttemptContext#captureContent() captures content}. Without an observation,
 * the call is returned as it is; while no router in the JVM observes, without even looking. Internal.
 */
public final class GenAi {

    public static final String OPERATION = "gen_ai.operation.name";
    public static final String PROVIDER = "gen_ai.provider.name";
    public static final String REQUEST_MODEL = "gen_ai.request.model";
    public static final String RESPONSE_MODEL = "gen_ai.response.model";
    public static final String FINISH_REASONS = "gen_ai.response.finish_reasons";
    public static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    public static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    public static final String INPUT_MESSAGES = "gen_ai.input.messages";
    public static final String OUTPUT_MESSAGES = "gen_ai.output.messages";

    private static final String CHAT = "chat";
    private static final String EMBEDDINGS = "embeddings";

    /** OpenAI-compatible APIs whose host tells the well-known {@code gen_ai.provider.name}, by host suffix. */
    private static final String[][] HOSTS = {
            {"openai.azure.com", "azure.ai.openai"}, {"api.openai.com", "openai"}, {"deepseek.com", "deepseek"},
            {"groq.com", "groq"}, {"x.ai", "x_ai"}, {"mistral.ai", "mistral_ai"}, {"perplexity.ai", "perplexity"},
            {"generativelanguage.googleapis.com", "gcp.gemini"}, {"aiplatform.googleapis.com", "gcp.vertex_ai"},
            {"cohere.com", "cohere"}, {"cohere.ai", "cohere"}, {"anthropic.com", "anthropic"}};

    private GenAi() {
    }

    /**
     * The well-known {@code gen_ai.provider.name} of an OpenAI-compatible API at {@code baseUrl}: its host's
     * ({@code deepseek}, {@code groq}, {@code azure.ai.openai} …), or {@code openai} (the API's own) for any other.
     */
    public static String providerAt(String baseUrl) {
        String host = URI.create(baseUrl).getHost();
        if (host != null) {
            host = host.toLowerCase(Locale.ROOT);
            for (String[] known : HOSTS) {
                if (host.equals(known[0]) || host.endsWith("." + known[0])) {
                    return known[1];
                }
            }
        }
        return "openai";
    }

    /** {@code call}, a whole answer to {@code request} from {@code provider}, described on its attempt's observation. */
    public static Mono<ChatResponse> call(ChatRequest request, ChatProvider provider, Mono<ChatResponse> call) {
        return onAttempt(call, attempt -> {
            boolean content = requested(attempt, request, provider);
            return call.doOnNext(response -> {
                answered(attempt, response.model(), response.finishReason(), response.usage());
                if (content) {
                    attempt.highCardinalityKeyValue(OUTPUT_MESSAGES, GenAiMessages.output(
                            response.json().path("choices").path(0).path("message"), response.finishReason()));
                }
            });
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
            StringBuilder text = requested(attempt, request, provider) ? new StringBuilder() : null;
            return stream.doOnNext(chunk -> {
                if (chunk.isMalformed() || chunk.isMarker()) {
                    return;
                }
                String finishReason = chunk.finishReason();
                answered(attempt, Json.text(chunk.json(), "model"), finishReason, chunk.usage());
                if (text != null) {
                    String part = chunk.content();
                    if (part != null) {
                        text.append(part);
                    }
                    if (finishReason != null) {
                        attempt.highCardinalityKeyValue(OUTPUT_MESSAGES, GenAiMessages.output(text, finishReason));
                    }
                }
            });
        });
    }

    /**
     * {@code call}, an embeddings answer (OpenAI's shape) to a request naming model {@code named} and sent as
     * {@code sent} to {@code provider}, described on its attempt's observation ({@code embeddings <sent>}).
     */
    public static Mono<ObjectNode> embeddings(String named, String sent, ChatProvider provider, Mono<ObjectNode> call) {
        return onAttempt(call, attempt -> {
            requested(attempt, EMBEDDINGS, named, sent, provider);
            return call.doOnNext(answer -> {
                answered(attempt, Json.text(answer, "model"), null, null);
                Usage usage = Usage.of(answer.get("usage"));
                if (usage != null) {
                    attempt.highCardinalityKeyValue(INPUT_TOKENS, Long.toString(usage.promptTokens()));
                }
            });
        });
    }

    /** {@code call} as {@code described} makes it on the attempt's observation in its context, if there is one. */
    private static <T> Mono<T> onAttempt(Mono<T> call, Function<Observation, Mono<T>> described) {
        if (!RequestTrace.anyObserving()) {
            return call;
        }
        return Mono.deferContextual(context -> {
            Observation attempt = attempt(context.getOrDefault(RequestTrace.OBSERVATION, null));
            return attempt == null ? call : described.apply(attempt);
        });
    }

    private static Observation attempt(Object current) {
        return current instanceof Observation observation
                && observation.getContext() instanceof RouteObservations.AttemptContext ? observation : null;
    }

    /** Describes a chat request on {@code attempt} and names its span; whether the router captures content. */
    private static boolean requested(Observation attempt, ChatRequest request, ChatProvider provider) {
        RouteObservations.AttemptContext context = requested(attempt, CHAT, request.model(), provider.model(request), provider);
        if (context.captureContent()) {
            context.addHighCardinalityKeyValue(KeyValue.of(INPUT_MESSAGES, GenAiMessages.input(request.messages())));
        }
        return context.captureContent();
    }

    /** Describes an {@code operation} on {@code attempt} and names its span {@code <operation> <sent>}. */
    private static RouteObservations.AttemptContext requested(Observation attempt, String operation, String named,
                                                              String sent, ChatProvider provider) {
        RouteObservations.AttemptContext context = (RouteObservations.AttemptContext) attempt.getContext();
        context.setContextualName(sent != null ? operation + " " + sent : operation);
        context.addHighCardinalityKeyValue(KeyValue.of(OPERATION, operation));
        context.addHighCardinalityKeyValue(KeyValue.of(PROVIDER, provider.genAiProvider()));
        context.addHighCardinalityKeyValue(KeyValue.of(REQUEST_MODEL, sent != null ? sent : RouteObservations.NONE));
        context.addHighCardinalityKeyValue(KeyValue.of(RouteObservations.CLIENT_MODEL,
                named != null ? named : RouteObservations.NONE));
        return context;
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
