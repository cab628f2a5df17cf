package dev.detour.llm.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.detour.core.Failure;
import dev.detour.core.ProviderException;
import dev.detour.core.UpstreamError;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import dev.detour.llm.Usage;
import dev.detour.llm.internal.SseEvent;
import dev.detour.llm.internal.SseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class AnthropicTranslationTest {

    private static ChatRequest request(String json) {
        return ChatRequest.of(Json.object(json, "request"));
    }

    private static ObjectNode translate(String json) {
        return AnthropicTranslation.request(request(json), null, 1024);
    }

    private static JsonNode json(String text) {
        return Json.object(text, "expected");
    }

    private static SseEvent event(String type, String data) {
        return new SseEvent(type, data, null);
    }

    private static List<ChatChunk> chunks(List<SseEvent> events) {
        return AnthropicTranslation.chunks(Flux.fromIterable(events)).collectList().block();
    }

    private static ProviderException streamFailure(List<SseEvent> events) {
        List<Throwable> errors = new ArrayList<>();
        StepVerifier.create(AnthropicTranslation.chunks(Flux.fromIterable(events)))
                .thenConsumeWhile(chunk -> true)
                .consumeErrorWith(errors::add)
                .verify();
        assertThat(errors.get(0)).isInstanceOf(ProviderException.class);
        return (ProviderException) errors.get(0);
    }

    private static final SseEvent MESSAGE_START = event("message_start", """
            {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
             "content":[],"stop_reason":null,"usage":{"input_tokens":12,"output_tokens":1}}}""");
    private static final SseEvent TEXT_START = event("content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    private static final SseEvent PING = event("ping", "{\"type\":\"ping\"}");
    private static final SseEvent MESSAGE_STOP = event("message_stop", "{\"type\":\"message_stop\"}");

    private static SseEvent textDelta(int index, String text) {
        return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
                + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + TextNode.valueOf(text) + "}}");
    }

    private static SseEvent messageDelta(String stopReason, int outputTokens) {
        return event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" + stopReason
                + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + outputTokens + "}}");
    }

    private static SseEvent blockStop(int index) {
        return event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
    }

    @Test
    void systemAndDeveloperMessagesAreJoinedIntoTheSystemPrompt() {
        ObjectNode out = translate("""
                {"model":"m","messages":[
                  {"role":"system","content":"Be brief."},
                  {"role":"user","content":"hi"},
                  {"role":"developer","content":[{"type":"text","text":"Answer in French."},{"type":"text","text":"No emoji."}]}
                ]}""");

        assertThat(out.get("system").asText()).isEqualTo("Be brief.\n\nAnswer in French.\n\nNo emoji.");
        assertThat(out.get("messages")).isEqualTo(json("{\"m\":[{\"role\":\"user\",\"content\":\"hi\"}]}").get("m"));
        assertThat(out.get("model").asText()).isEqualTo("m");
        assertThat(out.get("max_tokens").asInt()).isEqualTo(1024);
        assertThat(out.has("stream")).isFalse();
    }

    @Test
    void consecutiveMessagesOfOneRoleAreMergedSoThatRolesAlternate() {
        ObjectNode out = translate("""
                {"model":"m","messages":[
                  {"role":"user","content":"first"},
                  {"role":"user","content":[{"type":"text","text":"second"},{"type":"text","text":""}]},
                  {"role":"assistant","content":"one"},
                  {"role":"assistant","content":"two"},
                  {"role":"user","content":"third"}
                ]}""");

        assertThat(out.get("messages")).isEqualTo(json("""
                {"m":[
                  {"role":"user","content":[{"type":"text","text":"first"},{"type":"text","text":"second"}]},
                  {"role":"assistant","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},
                  {"role":"user","content":"third"}
                ]}""").get("m"));
    }

    @Test
    void toolCallsBecomeToolUseBlocksAndToolMessagesBecomeOneUserMessageOfResults() {
        ObjectNode out = translate("""
                {"model":"m","messages":[
                  {"role":"user","content":"Weather in Paris and Rome?"},
                  {"role":"assistant","content":"Let me look.","tool_calls":[
                    {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                    {"id":"call_2","type":"function","function":{"name":"weather","arguments":""}}]},
                  {"role":"tool","tool_call_id":"call_1","content":"18C"},
                  {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]},
                  {"role":"user","content":"And tomorrow?"}
                ]}""");

        assertThat(out.get("messages")).isEqualTo(json("""
                {"m":[
                  {"role":"user","content":"Weather in Paris and Rome?"},
                  {"role":"assistant","content":[
                    {"type":"text","text":"Let me look."},
                    {"type":"tool_use","id":"call_1","name":"weather","input":{"city":"Paris"}},
                    {"type":"tool_use","id":"call_2","name":"weather","input":{}}]},
                  {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"call_1","content":"18C"},
                    {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"21C"}]},
                    {"type":"text","text":"And tomorrow?"}]}
                ]}""").get("m"));
    }

    @Test
    void anAssistantMessageWithOnlyToolCallsHasOnlyToolUseBlocks() {
        ObjectNode out = translate("""
                {"model":"m","messages":[{"role":"user","content":"go"},
                  {"role":"assistant","content":null,"tool_calls":[
                    {"id":"c","type":"function","function":{"name":"f","arguments":"{\\"a\\":[1,2]}"}}]}]}""");

        assertThat(out.at("/messages/1/content")).isEqualTo(json("""
                {"c":[{"type":"tool_use","id":"c","name":"f","input":{"a":[1,2]}}]}""").get("c"));
    }

    @Test
    void imagesBecomeBase64OrUrlSources() {
        ObjectNode out = translate("""
                {"model":"m","messages":[{"role":"user","content":[
                  {"type":"text","text":"Compare these."},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
                  {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]}""");

        assertThat(out.at("/messages/0/content")).isEqualTo(json("""
                {"c":[
                  {"type":"text","text":"Compare these."},
                  {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                  {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}""").get("c"));
    }

    @Test
    void stopSamplingAndUserAreTranslatedAndOpenAiOnlyFieldsDropped() {
        ObjectNode out = translate("""
                {"model":"m","messages":[{"role":"user","content":"hi"}],
                 "temperature":0.3,"top_p":0.9,"stop":"END","user":"u-42","n":1,"seed":7,
                 "frequency_penalty":0.5,"presence_penalty":0.1,"logit_bias":{"50256":-100},"logprobs":true,
                 "response_format":{"type":"json_object"},"store":false,"metadata":{"k":"v"},
                 "stream_options":{"include_usage":true},"service_tier":"auto"}""");

        assertThat(out).isEqualTo(json("""
                {"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"hi"}],
                 "temperature":0.3,"top_p":0.9,"stop_sequences":["END"],"metadata":{"user_id":"u-42"}}"""));
        assertThat(translate("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"a\",\"b\"]}")
                .get("stop_sequences")).isEqualTo(json("{\"s\":[\"a\",\"b\"]}").get("s"));
        assertThat(translate("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":1.7}")
                .get("temperature").asDouble()).isEqualTo(1.0);
    }

    @Test
    void maxTokensComesFromTheRequestThenTheDefault() {
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        assertThat(translate("{\"model\":\"m\"," + messages + ",\"max_tokens\":50}").get("max_tokens").asInt()).isEqualTo(50);
        assertThat(translate("{\"model\":\"m\"," + messages + ",\"max_tokens\":50,\"max_completion_tokens\":70}")
                .get("max_tokens").asInt()).isEqualTo(70);
        assertThat(AnthropicTranslation.request(request("{\"model\":\"m\"," + messages + "}"), null, 333)
                .get("max_tokens").asInt()).isEqualTo(333);
        assertThatThrownBy(() -> translate("{\"model\":\"m\"," + messages + ",\"max_tokens\":0}"))
                .isInstanceOf(InvalidChatException.class)
                .hasMessage("'max_tokens' must be a positive integer, was 0");
    }

    @Test
    void theConfiguredModelReplacesTheRequestedOneAndStreamIsCarried() {
        ObjectNode out = AnthropicTranslation.request(
                request("{\"model\":\"alias\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").withStream(true),
                "claude-x", 1024);

        assertThat(out.get("model").asText()).isEqualTo("claude-x");
        assertThat(out.get("stream").asBoolean()).isTrue();
        assertThat(out.has("stream_options")).isFalse();
    }

    @Test
    void toolsAndToolChoiceAreTranslated() {
        String base = """
                {"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[
                  {"type":"function","function":{"name":"weather","description":"Weather of a city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
                  {"type":"function","function":{"name":"now"}}]""";

        ObjectNode out = translate(base + "}");
        assertThat(out.get("tools")).isEqualTo(json("""
                {"t":[
                  {"name":"weather","description":"Weather of a city",
                   "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                  {"name":"now","input_schema":{"type":"object","properties":{}}}]}""").get("t"));
        assertThat(out.has("tool_choice")).isFalse();

        assertThat(translate(base + ",\"tool_choice\":\"auto\"}").get("tool_choice")).isEqualTo(json("{\"type\":\"auto\"}"));
        assertThat(translate(base + ",\"tool_choice\":\"none\"}").get("tool_choice")).isEqualTo(json("{\"type\":\"none\"}"));
        assertThat(translate(base + ",\"tool_choice\":\"required\"}").get("tool_choice")).isEqualTo(json("{\"type\":\"any\"}"));
        assertThat(translate(base + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"now\"}}}")
                .get("tool_choice")).isEqualTo(json("{\"type\":\"tool\",\"name\":\"now\"}"));
        assertThat(translate(base + ",\"parallel_tool_calls\":false}").get("tool_choice"))
                .isEqualTo(json("{\"type\":\"auto\",\"disable_parallel_tool_use\":true}"));
        assertThat(translate(base + ",\"tool_choice\":\"required\",\"parallel_tool_calls\":false}").get("tool_choice"))
                .isEqualTo(json("{\"type\":\"any\",\"disable_parallel_tool_use\":true}"));
    }

    @Test
    void whatHasNoAnthropicEquivalentIsRefusedNamingTheField() {
        assertThatThrownBy(() -> translate("{\"model\":\"m\",\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}"))
                .isInstanceOf(InvalidChatException.class)
                .hasMessage("'messages[0].role' 'function' has no Anthropic equivalent");
        assertThatThrownBy(() -> translate("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}"))
                .hasMessage("'messages' has no user or assistant message; Anthropic needs at least one");
        assertThatThrownBy(() -> translate("""
                {"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}"""))
                .hasMessage("'messages[0].content[0].type' 'input_audio' has no Anthropic equivalent");
        assertThatThrownBy(() -> translate("""
                {"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}"""))
                .hasMessage("'messages[0].content[0].image_url.url' must be a data: or http(s) URL");
        assertThatThrownBy(() -> translate("""
                {"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","tool_calls":[
                  {"id":"c","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}"""))
                .hasMessage("'messages[1].tool_calls[0].function.arguments' must be a JSON object in a string");
        assertThatThrownBy(() -> translate("""
                {"model":"m","messages":[{"role":"user","content":"go"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}"""))
                .hasMessage("'tools[0].type' 'custom' has no Anthropic equivalent");
        assertThatThrownBy(() -> translate("""
                {"model":"m","messages":[{"role":"tool","content":"18C"}]}"""))
                .hasMessage("'messages[0].tool_call_id' is required and must be a string");
    }

    @Test
    void aTextAnswerBecomesACompletion() {
        ChatResponse response = AnthropicTranslation.response((ObjectNode) json("""
                {"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
                 "content":[{"type":"text","text":"Hello"},{"type":"text","text":" there."}],
                 "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":3}}"""));

        assertThat(response.content()).isEqualTo("Hello there.");
        assertThat(response.finishReason()).isEqualTo("stop");
        assertThat(response.model()).isEqualTo("claude-x");
        assertThat(response.usage()).isEqualTo(new Usage(10, 3));
        assertThat(response.json().get("id").asText()).isEqualTo("msg_1");
        assertThat(response.json().get("object").asText()).isEqualTo("chat.completion");
        assertThat(response.json().at("/usage/total_tokens").asLong()).isEqualTo(13);
        assertThat(response.hasToolCalls()).isFalse();
    }

    @Test
    void toolUseBlocksBecomeToolCalls() {
        ChatResponse response = AnthropicTranslation.response((ObjectNode) json("""
                {"id":"msg_2","type":"message","role":"assistant","model":"claude-x",
                 "content":[{"type":"thinking","thinking":"hmm","signature":"s"},
                            {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}},
                            {"type":"tool_use","id":"toolu_2","name":"now","input":{}}],
                 "stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":9}}"""));

        assertThat(response.hasToolCalls()).isTrue();
        assertThat(response.content()).isNull();
        assertThat(response.finishReason()).isEqualTo("tool_calls");
        assertThat(response.json().at("/choices/0/message/tool_calls")).isEqualTo(json("""
                {"c":[
                  {"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                  {"id":"toolu_2","type":"function","function":{"name":"now","arguments":"{}"}}]}""").get("c"));
    }

    @ParameterizedTest
    @CsvSource({"end_turn,stop", "stop_sequence,stop", "max_tokens,length", "tool_use,tool_calls",
            "refusal,content_filter", "pause_turn,stop", "model_context_window_exceeded,length", "something_new,stop"})
    void stopReasonsMapToFinishReasons(String stopReason, String finishReason) {
        assertThat(AnthropicTranslation.finishReason(stopReason)).isEqualTo(finishReason);
        ChatResponse response = AnthropicTranslation.response((ObjectNode) json("{\"type\":\"message\",\"id\":\"i\",\"model\":\"m\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"stop_reason\":\"" + stopReason + "\"}"));
        assertThat(response.finishReason()).isEqualTo(finishReason);
        assertThat(AnthropicTranslation.finishReason(null)).isNull();
    }

    @Test
    void cachedInputTokensCountAsPromptTokens() {
        ChatResponse response = AnthropicTranslation.response((ObjectNode) json("""
                {"id":"i","type":"message","model":"m","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn",
                 "usage":{"input_tokens":4,"cache_creation_input_tokens":100,"cache_read_input_tokens":900,"output_tokens":2}}"""));

        assertThat(response.usage()).isEqualTo(new Usage(1004, 2));
        assertThat(response.json().at("/usage/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(900);
    }

    @Test
    void anAnswerThatIsNotAMessageIsRefused() {
        assertThatThrownBy(() -> AnthropicTranslation.response((ObjectNode) json("{\"type\":\"completion\",\"completion\":\"x\"}")))
                .isInstanceOf(InvalidChatException.class)
                .hasMessage("answer is not an Anthropic message (type 'completion')");
        assertThatThrownBy(() -> AnthropicTranslation.response((ObjectNode) json("{\"type\":\"message\",\"id\":\"i\"}")))
                .hasMessage("answer has no 'content' array");
    }

    @Test
    void errorTypesMapToTheirStatuses() {
        ProviderException overloaded = AnthropicTranslation.error(json(
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        assertThat(overloaded.failure().kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(overloaded.failure().status()).isEqualTo(529);
        assertThat(overloaded.failure().detail()).isEqualTo("Overloaded");
        assertThat(overloaded.getMessage()).isEqualTo("529 Overloaded");

        assertThat(AnthropicTranslation.status("rate_limit_error")).isEqualTo(429);
        assertThat(AnthropicTranslation.status("api_error")).isEqualTo(500);
        assertThat(AnthropicTranslation.status("invalid_request_error")).isEqualTo(400);
        assertThat(AnthropicTranslation.status("authentication_error")).isEqualTo(401);
        assertThat(AnthropicTranslation.status("permission_error")).isEqualTo(403);
        assertThat(AnthropicTranslation.status("brand_new_error")).isEqualTo(502);
        assertThat(AnthropicTranslation.status(null)).isEqualTo(502);
        assertThat(AnthropicTranslation.error(json("{\"type\":\"error\"}")).failure().detail())
                .isEqualTo("error without a type from Anthropic");
    }

    @Test
    void aTextStreamBecomesChunksThenAFinishThenUsage() {
        List<ChatChunk> chunks = chunks(List.of(MESSAGE_START, TEXT_START, PING, textDelta(0, "Hello"),
                textDelta(0, " world"), blockStop(0), messageDelta("end_turn", 2), MESSAGE_STOP));

        assertThat(chunks).hasSize(5);
        assertThat(chunks.get(0).json().at("/choices/0/delta")).isEqualTo(json("{\"role\":\"assistant\",\"content\":\"\"}"));
        assertThat(chunks.get(1).content()).isEqualTo("Hello");
        assertThat(chunks.get(2).content()).isEqualTo(" world");
        assertThat(chunks.get(3).finishReason()).isEqualTo("stop");
        assertThat(chunks.get(3).content()).isNull();
        assertThat(chunks.get(4).json().get("choices")).isEmpty();
        assertThat(chunks.get(4).usage()).isEqualTo(new Usage(12, 2));
        for (ChatChunk chunk : chunks) {
            assertThat(chunk.json().get("id").asText()).isEqualTo("msg_1");
            assertThat(chunk.json().get("model").asText()).isEqualTo("claude-x");
            assertThat(chunk.json().get("object").asText()).isEqualTo("chat.completion.chunk");
        }
    }

    @Test
    void aToolUseStreamBecomesToolCallDeltasIndexedByToolCall() {
        List<ChatChunk> chunks = chunks(List.of(MESSAGE_START, TEXT_START, textDelta(0, "Checking."), blockStop(0),
                event("content_block_start", """
                        {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}"""),
                event("content_block_delta", """
                        {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": "}}"""),
                event("content_block_delta", """
                        {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}"""),
                blockStop(1), messageDelta("tool_use", 20), MESSAGE_STOP));

        assertThat(chunks).hasSize(7);
        assertThat(chunks.get(1).content()).isEqualTo("Checking.");
        assertThat(chunks.get(2).inToolCall()).isTrue();
        assertThat(chunks.get(2).json().at("/choices/0/delta/tool_calls")).isEqualTo(json("""
                {"c":[{"index":0,"id":"toolu_1","type":"function","function":{"name":"weather","arguments":""}}]}""").get("c"));
        assertThat(chunks.get(3).json().at("/choices/0/delta/tool_calls")).isEqualTo(json("""
                {"c":[{"index":0,"function":{"arguments":"{\\"city\\": "}}]}""").get("c"));
        assertThat(chunks.get(4).json().at("/choices/0/delta/tool_calls/0/function/arguments").asText()).isEqualTo("\"Paris\"}");
        assertThat(chunks.get(5).finishReason()).isEqualTo("tool_calls");
        assertThat(chunks.get(6).usage()).isEqualTo(new Usage(12, 20));
    }

    @Test
    void eventsAfterMessageStopAreNotDecodedNotEvenAnError() {
        Flux<SseEvent> events = Flux.just(MESSAGE_START, textDelta(0, "a"), messageDelta("end_turn", 1), MESSAGE_STOP,
                event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"late\"}}"));

        StepVerifier.create(AnthropicTranslation.chunks(events).mapNotNull(ChatChunk::content).filter(c -> !c.isEmpty()))
                .expectNext("a")
                .verifyComplete();
    }

    @Test
    void theStreamCompletesAtMessageStopAndIgnoresWhatFollows() {
        Flux<SseEvent> events = Flux.just(MESSAGE_START, textDelta(0, "a"), messageDelta("end_turn", 1), MESSAGE_STOP,
                textDelta(0, "after the end"));

        StepVerifier.create(AnthropicTranslation.chunks(events).mapNotNull(ChatChunk::content).filter(c -> !c.isEmpty()))
                .expectNext("a")
                .verifyComplete();
    }

    @Test
    void anErrorEventFailsTheStreamWithItsStatus() {
        ProviderException overloaded = streamFailure(List.of(MESSAGE_START, textDelta(0, "Hel"), event("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")));
        assertThat(overloaded.failure().kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(overloaded.failure().status()).isEqualTo(529);

        ProviderException limited = streamFailure(List.of(MESSAGE_START, event("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}")));
        assertThat(limited.failure().kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(limited.failure().status()).isEqualTo(429);
    }

    @Test
    void aStreamEndingBeforeMessageStopIsAConnectionFailure() {
        ProviderException cut = streamFailure(List.of(MESSAGE_START, TEXT_START, textDelta(0, "Hel"),
                messageDelta("end_turn", 1)));

        assertThat(cut.failure().kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(cut.getMessage()).isEqualTo("connection: stream ended before message_stop");
    }

    @Test
    void aBodyCutInsideAnEventIsAConnectionFailure() {
        List<Throwable> errors = new ArrayList<>();
        StepVerifier.create(AnthropicTranslation.chunks(Flux.concat(Flux.just(MESSAGE_START, textDelta(0, "Hel")),
                        Flux.error(new SseException("stream ended inside an event")))))
                .expectNextCount(2)
                .consumeErrorWith(errors::add)
                .verify();

        ProviderException cut = (ProviderException) errors.get(0);
        assertThat(cut.failure().kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(cut.failure().detail()).isEqualTo("stream ended inside an event");
    }

    @Test
    void anEventThatIsNotJsonIsAMalformedAnswer() {
        ProviderException garbage = streamFailure(List.of(MESSAGE_START, event(null, "<html>not JSON</html>")));

        assertThat(garbage.failure().status()).isEqualTo(502);
        assertThat(garbage.failure().detail()).startsWith("malformed answer: stream event is not valid JSON");
    }

    @Test
    void eventsAreTypedByTheirDataOrElseTheirName() {
        List<ChatChunk> chunks = chunks(List.of(MESSAGE_START,
                event(null, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}"),
                event("some_future_event", "{\"type\":\"some_future_event\"}"),
                event("content_block_delta", "{\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}"),
                event("message_stop", "{}")));

        assertThat(chunks).extracting(ChatChunk::content).containsExactly("", "x", null);
        assertThat(chunks.get(2).thinking().path("delta").path("thinking").asText()).isEqualTo("hm");
    }

    @Test
    void aRequestTravelsToAnthropicAndItsAnswerComesBackCanonical() {
        ChatRequest canonical = request("""
                {"model":"claude-x","messages":[{"role":"system","content":"Echo."},{"role":"user","content":"ping pong"}],
                 "max_tokens":64}""");

        ObjectNode wire = AnthropicTranslation.request(canonical, null, 1024);
        String userText = wire.at("/messages/0/content").asText();
        ObjectNode answer = Json.newObject();
        answer.put("id", "msg_rt").put("type", "message").put("role", "assistant").put("model", wire.get("model").asText());
        answer.putArray("content").addObject().put("type", "text").put("text", wire.get("system").asText() + " " + userText);
        answer.put("stop_reason", "end_turn");
        answer.putObject("usage").put("input_tokens", 3).put("output_tokens", 3);

        ChatResponse response = AnthropicTranslation.response(Json.object(Json.bytes(answer), "answer"));

        assertThat(response.content()).isEqualTo("Echo. ping pong");
        assertThat(response.usage()).isEqualTo(new Usage(3, 3));
        assertThat(response.model()).isEqualTo("claude-x");
        assertThat(response.finishReason()).isEqualTo("stop");
    }

    @Test
    void anthropicErrorObjectsAndErrorEventsAreClassifiedLikeStatuses() {
        Failure tooLong = AnthropicTranslation.error(json(
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 9000 tokens > 8000 maximum\"}}"))
                .failure();
        assertThat(tooLong.kind()).isEqualTo(FailureKind.CONTEXT_WINDOW);
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.upstream()).isEqualTo(new UpstreamError("invalid_request_error", null, null));
        Failure untyped = AnthropicTranslation.error(json(
                "{\"type\":\"error\",\"error\":{\"message\":\"Output blocked by content filtering policy\"}}")).failure();
        assertThat(untyped.kind()).isEqualTo(FailureKind.CONTENT_POLICY);
        assertThat(untyped.status()).isEqualTo(400);

        Throwable streamed = AnthropicTranslation.chunks(Flux.just(new SseEvent("error",
                        "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Output blocked by content filtering policy\"}}", null)))
                .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(Duration.ofSeconds(5));
        assertThat(Failure.of(streamed).kind()).isEqualTo(FailureKind.CONTENT_POLICY);
        assertThat(Failure.of(streamed).detail()).isEqualTo("Output blocked by content filtering policy");
    }
}
