package dev.detour.llm.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.internal.GenAi;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.internal.Transport;
import dev.detour.llm.internal.TransportProvider;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;

/**
 * A provider that speaks the OpenAI chat-completions API: OpenAI itself, and every server that copies it
 * (vLLM, Ollama's OpenAI API, DeepSeek, Groq, OpenRouter …), which differ only in base URL and key.
 *
 * <pre>{@code
 * ChatProvider openai = OpenAiProvider.builder("openai", HttpSettings.of("https://api.openai.com/v1"))
 *         .apiKey(ApiKey.fromEnv("OPENAI_API_KEY"))
 *         .build();
 * }</pre>
 *
 * <p>A continuation in {@link ContinuationMode#PREFILL} form also sets the fields prefix-capable servers
 * read (vLLM's {@code continue_final_message}, DeepSeek's and Mistral's {@code prefix}). An {@code error}
 * object in a 2xx answer or chunk is a failure of its type; a stream completes at {@code [DONE]}.
 */
public final class OpenAiProvider extends TransportProvider {

    private final String model;

    private OpenAiProvider(Builder builder) {
        super(builder, new Transport(builder.jsonClient(HttpHeaderNames.AUTHORIZATION, "Bearer "), builder.apiKey(),
                new OpenAiDialect(builder.model())),
                ContinuationMode.INSTRUCTION, GenAi.providerAt(builder.settings().baseUrl()));
        this.model = builder.model();
    }

    /**
     * Posts an embeddings request ({@code POST {baseUrl}/embeddings}, OpenAI's shape) and returns the answer as
     * received. The provider's model, when set, replaces the request's (a route alias); the rest goes as it came.
     * Fails like a call: a non-2xx answer is the failure of its status, an answer that is not a JSON object
     * with a {@code data} array a malformed answer.
     */
    public Mono<ObjectNode> embeddings(ObjectNode request) {
        String named = Json.text(request, "model");
        return GenAi.embeddings(named, model != null ? model : named, this, Mono.defer(() -> {
            ObjectNode body = request.deepCopy();
            if (model != null) {
                body.put("model", model);
            }
            return transport().post("/embeddings", Json.bytes(body));
        }).map(answer -> {
            ObjectNode json;
            try {
                json = Json.object(answer, "embeddings answer");
            } catch (InvalidChatException e) {
                throw HttpFailures.malformed(e.getMessage());
            }
            if (!json.path("data").isArray()) {
                throw HttpFailures.malformed("embeddings answer has no 'data' array");
            }
            return json;
        }));
    }

    /** A builder of a provider named {@code name} reached by {@code settings}. */
    public static Builder builder(String name, HttpSettings settings) {
        return new Builder(name, settings);
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
