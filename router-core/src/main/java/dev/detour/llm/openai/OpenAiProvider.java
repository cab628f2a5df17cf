package dev.detour.llm.openai;

import dev.detour.llm.ChatProvider;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.ProviderBuilder;
import dev.detour.llm.internal.Transport;
import dev.detour.llm.internal.TransportProvider;
import io.netty.handler.codec.http.HttpHeaderNames;

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

    private OpenAiProvider(Builder builder) {
        super(builder, new Transport(builder.jsonClient(HttpHeaderNames.AUTHORIZATION, "Bearer "), builder.apiKey(),
                new OpenAiDialect(builder.model())),
                ContinuationMode.INSTRUCTION);
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
