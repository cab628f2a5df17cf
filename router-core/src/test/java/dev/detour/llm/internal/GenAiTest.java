package dev.detour.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.detour.llm.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The GenAI conventions' provider names by base URL, and chat messages as {@code gen_ai.*.messages}. */
class GenAiTest {

    @ParameterizedTest
    @CsvSource({
            "https://api.openai.com/v1, openai",
            "https://my-team.openai.azure.com/openai/v1, azure.ai.openai",
            "https://api.deepseek.com/v1, deepseek",
            "https://api.groq.com/openai/v1, groq",
            "https://api.x.ai/v1, x_ai",
            "https://api.mistral.ai/v1, mistral_ai",
            "https://generativelanguage.googleapis.com/v1beta/openai, gcp.gemini",
            "https://api.anthropic.com/v1, anthropic",
            "http://localhost:8000/v1, openai",
            "http://vllm.internal:8000/v1, openai",
            "https://notopenai.com/v1, openai"})
    void anOpenAiCompatibleApisProviderNameIsItsHostsWellKnownOne(String baseUrl, String name) {
        assertThat(GenAi.providerAt(baseUrl)).isEqualTo(name);
    }

    @Test
    void inputMessagesKeepRolesTextToolCallsAndToolResultsButNoImageData() {
        ArrayNode messages = (ArrayNode) Json.object("""
                {"messages": [
                  {"role": "system", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                               {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
                  {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\\"city\\":\\"Paris\\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]}""", "request").get("messages");

        assertThat(GenAiMessages.input(messages)).isEqualTo("["
                + "{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"Be brief.\"}]},"
                + "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"What is this?\"},{\"type\":\"image_url\"}]},"
                + "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_1\",\"name\":\"weather\","
                + "\"arguments\":{\"city\":\"Paris\"}}]},"
                + "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"call_1\",\"response\":\"sunny\"}]}]");
    }

    @Test
    void outputMessagesCarryTheFinishReason() {
        assertThat(GenAiMessages.output("Hello.", "length"))
                .isEqualTo("[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello.\"}],\"finish_reason\":\"length\"}]");
    }
}
