package dev.detour.llm;

/**
 * How a provider can continue an answer another provider's stream cut off (the provider setting
 * {@code continuation}).
 */
public enum ContinuationMode {
    /**
     * The request ends with the partial answer as the last, assistant, message and nothing after it: the
     * shape under which Anthropic models and prefix-capable OpenAI-compatible servers (vLLM's
     * {@code continue_final_message}, DeepSeek's and Mistral's {@code prefix}) continue the text. A
     * provider that rejects it (a 4xx) is asked again in {@link #INSTRUCTION} form. The default of
     * {@code anthropic} providers.
     */
    PREFILL,
    /**
     * The partial answer as an assistant message, then a user message asking to continue from exactly
     * there. Models may restate text; what they restate is removed. The default of {@code openai} providers.
     */
    INSTRUCTION,
    /** The provider is never asked to continue an answer. */
    NONE
}
