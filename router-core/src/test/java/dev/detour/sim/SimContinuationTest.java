package dev.detour.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Signal;
import reactor.netty.ByteBufMono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;

/**
 * Continuations (prefill and instruction), context-window and content-policy refusals and malformed
 * stream events, over real sockets in both protocols.
 */
class SimContinuationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String OPENAI = "/v1/chat/completions";
    private static final String ANTHROPIC = "/v1/messages";
    private static final String FOX = "The quick brown fox jumps over the lazy dog.";
    private static final String REST = " fox jumps over the lazy dog.";
    private static final List<String> REST_TOKENS = List.of(" fox", " jumps", " over", " the", " lazy", " dog.");

    private final HttpClient client = HttpClient.newConnection();
    private SimulatedProvider sim;

    @AfterEach
    void close() {
        if (sim != null) {
            sim.close();
        }
    }

    private static ObjectNode message(String role, String content) {
        ObjectNode message = Json.newObject().put("role", role);
        message.put("content", content);
        return message;
    }

    /** A message whose content is text parts (OpenAI) or text blocks (Anthropic). */
    private static ObjectNode parts(String role, String... texts) {
        ObjectNode message = Json.newObject().put("role", role);
        ArrayNode content = message.putArray("content");
        for (String text : texts) {
            content.addObject().put("type", "text").put("text", text);
        }
        return message;
    }

    private static ObjectNode openAi(String model, boolean stream, ObjectNode... messages) {
        ObjectNode body = Json.newObject().put("model", model);
        body.putArray("messages").addAll(List.of(messages));
        if (stream) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    private static ObjectNode anthropic(String model, boolean stream, ObjectNode... messages) {
        ObjectNode body = Json.newObject().put("model", model).put("max_tokens", 100).put("system", "Be brief");
        body.putArray("messages").addAll(List.of(messages));
        if (stream) {
            body.put("stream", true);
        }
        return body;
    }

    /** Tell me about the fox / The quick brown. */
    private static ObjectNode[] prefill() {
        return new ObjectNode[] {message("user", "Tell me about the fox"), message("assistant", "The quick brown")};
    }

    /** Tell me about the fox / The quick brown / Continue. */
    private static ObjectNode[] instruction() {
        return new ObjectNode[] {message("user", "Tell me about the fox"), message("assistant", "The quick brown"),
                message("user", "Continue.")};
    }

    private HttpClient.ResponseReceiver<?> request(String path, ObjectNode body) {
        return client.post().uri(sim.baseUrl() + path).send(ByteBufMono.fromString(Mono.just(body.toString())));
    }

    private Reply post(String path, ObjectNode body) {
        return request(path, body)
                .responseSingle((response, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(text -> new Reply(response.status().code(), response.responseHeaders(), text)))
                .block(WAIT);
    }

    /** The body as it arrived, then how it ended: completion or the error. */
    private List<Signal<String>> streamed(String path, ObjectNode body) {
        return request(path, body).responseContent().asString(StandardCharsets.UTF_8).materialize().collectList().block(WAIT);
    }

    private static String text(List<Signal<String>> signals) {
        StringBuilder text = new StringBuilder();
        signals.stream().filter(Signal::isOnNext).forEach(signal -> text.append(signal.get()));
        return text.toString();
    }

    private String openAiText(ObjectNode body) {
        Reply reply = post(OPENAI, body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().get("choices").get(0).get("message").get("content").asText();
    }

    private String anthropicText(ObjectNode body) {
        Reply reply = post(ANTHROPIC, body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().get("content").get(0).get("text").asText();
    }

    /** The content of each OpenAI chunk that carries some. */
    private static List<String> openAiDeltas(List<Reply.Event> events) {
        return events.stream().filter(event -> !event.data().equals("[DONE]"))
                .map(event -> event.json().path("choices").path(0).path("delta").path("content"))
                .filter(JsonNode::isTextual).map(JsonNode::asText).toList();
    }

    /** The text of each Anthropic {@code content_block_delta}. */
    private static List<String> anthropicDeltas(List<Reply.Event> events) {
        return events.stream().filter(event -> "content_block_delta".equals(event.name()))
                .map(event -> event.json().get("delta").get("text").asText()).toList();
    }

    @Test
    void anOpenAiPrefillGetsExactlyTheRestOfTheAnswerWholeAndStreamed() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX).pacing(Duration.ofMillis(1))).start();

        ObjectNode whole = post(OPENAI, openAi("fox", false, prefill())).json();
        List<Reply.Event> stream = post(OPENAI, openAi("fox", true, prefill())).events();

        assertThat(whole.get("choices").get(0).get("message").get("content").asText()).isEqualTo(REST);
        assertThat(whole.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        assertThat(whole.get("usage").toString()).as("the prompt counts the prefix")
                .isEqualTo("{\"prompt_tokens\":8,\"completion_tokens\":6,\"total_tokens\":14}");
        assertThat(openAiDeltas(stream)).containsExactlyElementsOf(REST_TOKENS);
        assertThat(stream).hasSize(REST_TOKENS.size() + 3);
        assertThat(stream.get(6).json().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        assertThat(stream.get(7).json().get("usage").toString())
                .isEqualTo("{\"prompt_tokens\":8,\"completion_tokens\":6,\"total_tokens\":14}");
        assertThat(stream.get(8).data()).isEqualTo("[DONE]");
    }

    @Test
    void anAnthropicPrefillGetsExactlyTheRestOfTheAnswerWholeAndStreamed() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX).pacing(Duration.ofMillis(1))).start();

        ObjectNode whole = post(ANTHROPIC, anthropic("fox", false, prefill())).json();
        List<Reply.Event> stream = post(ANTHROPIC, anthropic("fox", true, prefill())).events();

        assertThat(whole.get("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"" + REST + "\"}]");
        assertThat(whole.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(whole.get("usage").toString()).isEqualTo("{\"input_tokens\":10,\"output_tokens\":6}");
        assertThat(anthropicDeltas(stream)).containsExactlyElementsOf(REST_TOKENS);
        assertThat(stream.subList(stream.size() - 3, stream.size())).extracting(Reply.Event::name)
                .containsExactly("content_block_stop", "message_delta", "message_stop");
        assertThat(stream.get(stream.size() - 2).json().get("usage").toString()).isEqualTo("{\"output_tokens\":6}");
    }

    @Test
    void aPrefixInTextPartsEndingMidWordContinuesTheWord() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX)).start();
        ObjectNode user = message("user", "Tell me about the fox");

        List<Reply.Event> openAi = post(OPENAI, openAi("fox", true, user, parts("assistant", "The quick ", "bro"))).events();
        List<Reply.Event> anthropic = post(ANTHROPIC, anthropic("fox", true, user, parts("assistant", "The quick ", "bro"))).events();

        assertThat(openAiDeltas(openAi)).containsExactly("wn", " fox", " jumps", " over", " the", " lazy", " dog.");
        assertThat(anthropicDeltas(anthropic)).containsExactly("wn", " fox", " jumps", " over", " the", " lazy", " dog.");
    }

    @Test
    void aPrefixStrippedOfTrailingWhitespaceOrWithWhitespaceTheAnswerLacksStillContinues() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX)).start();
        ObjectNode user = message("user", "Tell me about the fox");

        assertThat(anthropicText(anthropic("fox", false, user, message("assistant", "The quick brown")))).isEqualTo(REST);
        assertThat(anthropicText(anthropic("fox", false, user, message("assistant", "The quick brown\n")))).isEqualTo(REST);
        assertThat(openAiText(openAi("fox", false, user, message("assistant", "The quick brown \t")))).isEqualTo(REST);
        assertThat(openAiText(openAi("fox", false, user, message("assistant", "The quick brown "))))
                .as("whitespace the answer has is part of the prefix").isEqualTo("fox jumps over the lazy dog.");
        assertThat(openAiText(openAi("fox", false, user, message("assistant", "A slow green"))))
                .as("a prefix the answer does not start with").isEqualTo(FOX);
    }

    @Test
    void theOpenAiPrefillDialectsFieldsAreAccepted() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX)).start();
        ObjectNode body = openAi("fox", false, message("user", "Tell me about the fox"),
                message("assistant", "The quick brown").put("prefix", true));
        body.put("continue_final_message", true).put("add_generation_prompt", false);

        assertThat(openAiText(body)).isEqualTo(REST);
    }

    @Test
    void anInstructionContinuesRestartsOrRestatesTheTailAsTheBehaviourSays() {
        sim = SimulatedProvider.builder()
                .model("continues", Behaviour.answer(FOX))
                .model("restarts", Behaviour.answer(FOX).onInstruction(Behaviour.Resume.RESTART))
                .model("restates", Behaviour.answer(FOX).restatingTail(2))
                .start();

        assertThat(openAiText(openAi("continues", false, instruction()))).isEqualTo(REST);
        assertThat(anthropicText(anthropic("continues", false, instruction()))).isEqualTo(REST);
        assertThat(openAiText(openAi("restarts", false, instruction()))).isEqualTo(FOX);
        assertThat(anthropicText(anthropic("restarts", false, instruction()))).isEqualTo(FOX);
        assertThat(openAiText(openAi("restates", false, instruction()))).isEqualTo(" quick brown" + REST);
        assertThat(anthropicDeltas(post(ANTHROPIC, anthropic("restates", true, instruction())).events()))
                .containsExactly(" quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog.");
        assertThat(openAiDeltas(post(OPENAI, openAi("restarts", true, instruction())).events()))
                .containsExactlyElementsOf(Behaviour.tokenize(FOX));
        assertThat(post(OPENAI, openAi("restates", false, prefill())).json().get("choices").get(0).get("message")
                .get("content").asText()).as("a prefill restates nothing").isEqualTo(REST);
    }

    @Test
    void aUserMessageAfterAnAssistantMessageWithoutTextIsNoContinuation() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX)).start();

        ObjectNode body = openAi("fox", false, message("user", "Tell me"), message("assistant", ""), message("user", "Go on."));

        assertThat(openAiText(body)).isEqualTo(FOX);
    }

    @Test
    void aModelThatRejectsPrefillAnswers400InEachProtocolButAnswersTheInstructionForm() {
        sim = SimulatedProvider.builder().model("strict", Behaviour.answer(FOX).rejectsPrefill()).start();

        Reply openAi = post(OPENAI, openAi("strict", false, prefill()));
        Reply openAiStream = post(OPENAI, openAi("strict", true, prefill()));
        Reply anthropic = post(ANTHROPIC, anthropic("strict", true, prefill()));

        assertThat(openAi.status()).isEqualTo(400);
        assertThat(openAi.contentType()).isEqualTo("application/json");
        assertThat(openAi.body()).isEqualTo("{\"error\":{\"message\":\"prefill is not supported: the last message must have "
                + "role 'user'\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":null}}");
        assertThat(openAiStream.status()).isEqualTo(400);
        assertThat(openAiStream.body()).isEqualTo(openAi.body());
        assertThat(anthropic.status()).isEqualTo(400);
        assertThat(anthropic.contentType()).isEqualTo("application/json");
        assertThat(anthropic.body()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
                + "\"prefill is not supported: the last message must have role 'user'\"}}");
        assertThat(openAiText(openAi("strict", false, instruction()))).isEqualTo(REST);
        assertThat(anthropicText(anthropic("strict", false, instruction()))).isEqualTo(REST);
        assertThat(openAiText(openAi("strict", false, message("user", "hi")))).isEqualTo(FOX);
    }

    @Test
    void aContextWindowRefusesLongerPromptsWithEachProtocolsErrorAndAnswersTheOthers() {
        sim = SimulatedProvider.builder().model("small", Behaviour.answer(FOX).contextWindow(8)).start();
        ObjectNode eight = message("user", "one two three four five six seven eight");
        ObjectNode nine = message("user", "one two three four five six seven eight nine");
        ObjectNode six = message("user", "one two three four five six");
        ObjectNode seven = message("user", "one two three four five six seven");

        Reply openAiLong = post(OPENAI, openAi("small", false, nine));
        Reply openAiLongStream = post(OPENAI, openAi("small", true, nine));
        Reply anthropicLong = post(ANTHROPIC, anthropic("small", true, seven));
        Reply prefillLong = post(OPENAI, openAi("small", false, message("user", "Tell me about the fox"),
                message("assistant", "The quick brown fox")));

        assertThat(openAiText(openAi("small", false, eight))).isEqualTo(FOX);
        assertThat(anthropicText(anthropic("small", false, six))).as("the system prompt counts").isEqualTo(FOX);
        assertThat(openAiLong.status()).isEqualTo(400);
        assertThat(openAiLong.contentType()).isEqualTo("application/json");
        assertThat(openAiLong.body()).isEqualTo("{\"error\":{\"message\":\"This model's maximum context length is 8 tokens. "
                + "However, your messages resulted in 9 tokens. Please reduce the length of the messages.\","
                + "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}");
        assertThat(openAiLongStream.status()).isEqualTo(400);
        assertThat(openAiLongStream.body()).isEqualTo(openAiLong.body());
        assertThat(anthropicLong.status()).isEqualTo(400);
        assertThat(anthropicLong.body()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                + "\"message\":\"prompt is too long: 9 tokens > 8 maximum\"}}");
        assertThat(prefillLong.status()).as("the prefix counts").isEqualTo(400);
        assertThat(prefillLong.json().get("error").get("message").asText()).contains("resulted in 9 tokens");
    }

    @Test
    void aContextWindowFaultNames8192TokensAndCombinesWithScripts() {
        sim = SimulatedProvider.builder()
                .model("window", Behaviour.script(Behaviour.failing(Fault.contextWindow()), Behaviour.answer("ok")))
                .defaultBehaviour(Behaviour.failing(Fault.contextWindow()))
                .start();

        Reply first = post(OPENAI, openAi("window", false, message("user", "Say hello")));
        Reply second = post(OPENAI, openAi("window", false, message("user", "Say hello")));
        Reply anthropic = post(ANTHROPIC, anthropic("any", true, message("user", "Say hello")));

        assertThat(first.status()).isEqualTo(400);
        assertThat(first.body()).isEqualTo("{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens. "
                + "However, your messages resulted in 8193 tokens. Please reduce the length of the messages.\","
                + "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}");
        assertThat(second.status()).isEqualTo(200);
        assertThat(anthropic.status()).isEqualTo(400);
        assertThat(anthropic.body()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                + "\"message\":\"prompt is too long: 8193 tokens > 8192 maximum\"}}");
    }

    @Test
    void aContentPolicyRefusalHasEachProtocolsShape() {
        sim = SimulatedProvider.builder().defaultBehaviour(Behaviour.failing(Fault.contentPolicy())).start();

        Reply openAi = post(OPENAI, openAi("m", false, message("user", "hi")));
        Reply openAiStream = post(OPENAI, openAi("m", true, message("user", "hi")));
        Reply anthropic = post(ANTHROPIC, anthropic("m", false, message("user", "hi")));
        Reply anthropicStream = post(ANTHROPIC, anthropic("m", true, message("user", "hi")));

        assertThat(openAi.status()).isEqualTo(400);
        assertThat(openAi.contentType()).isEqualTo("application/json");
        assertThat(openAi.body()).isEqualTo("{\"error\":{\"message\":\"Your request was rejected as a result of our safety "
                + "system.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"content_policy_violation\"}}");
        assertThat(openAiStream.status()).isEqualTo(400);
        assertThat(openAiStream.body()).isEqualTo(openAi.body());
        assertThat(anthropic.status()).isEqualTo(400);
        assertThat(anthropic.body()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                + "\"message\":\"Output blocked by content filtering policy\"}}");
        assertThat(anthropicStream.status()).isEqualTo(400);
        assertThat(anthropicStream.body()).isEqualTo(anthropic.body());
    }

    @Test
    void anOpenAiMalformedEventComesBetweenTheTokensAndTheStreamEndsNormally() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX).pacing(Duration.ofMillis(1))
                .fault(Fault.malformedEventAfter(2))).start();

        List<Signal<String>> signals = streamed(OPENAI, openAi("fox", true, message("user", "Tell me about the fox")));

        assertThat(signals.get(signals.size() - 1).isOnComplete()).isTrue();
        List<Reply.Event> events = Reply.Event.parse(text(signals));
        assertThat(events).hasSize(9 + 1 + 3);
        Reply.Event malformed = events.get(2);
        assertThat(malformed.data()).startsWith("{\"id\":\"chatcmpl-sim").endsWith("{\"delta\":{\"content\":");
        assertThatThrownBy(malformed::json).isInstanceOf(InvalidChatException.class);
        List<Reply.Event> others = new ArrayList<>(events);
        others.remove(2);
        assertThat(openAiDeltas(others)).containsExactlyElementsOf(Behaviour.tokenize(FOX));
        assertThat(events.get(10).json().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        assertThat(events.get(11).json().get("usage").get("completion_tokens").asInt()).isEqualTo(9);
        assertThat(events.get(12).data()).isEqualTo("[DONE]");
    }

    @Test
    void anAnthropicMalformedEventComesBetweenTheTokensAndTheStreamEndsNormally() {
        sim = SimulatedProvider.builder().model("fox", Behaviour.answer(FOX).fault(Fault.malformedEventAfter(3))).start();

        List<Signal<String>> signals = streamed(ANTHROPIC, anthropic("fox", true, message("user", "Tell me about the fox")));

        assertThat(signals.get(signals.size() - 1).isOnComplete()).isTrue();
        List<Reply.Event> events = Reply.Event.parse(text(signals));
        assertThat(events).extracting(Reply.Event::name).containsExactly("message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        Reply.Event malformed = events.get(6);
        assertThat(malformed.data()).startsWith("{\"type\":\"content_block_delta\"");
        assertThatThrownBy(malformed::json).isInstanceOf(InvalidChatException.class);
        List<Reply.Event> others = new ArrayList<>(events);
        others.remove(6);
        assertThat(anthropicDeltas(others)).containsExactlyElementsOf(Behaviour.tokenize(FOX));
        assertThat(events.get(14).json().get("usage").toString()).isEqualTo("{\"output_tokens\":9}");
    }

    @Test
    void aMalformedEventFaultLeavesAnAnswerThatIsNotStreamedAlone() {
        sim = SimulatedProvider.builder().defaultBehaviour(Behaviour.answer(FOX).fault(Fault.malformedEventAfter(0))).start();

        assertThat(openAiText(openAi("m", false, message("user", "hi")))).isEqualTo(FOX);
        assertThat(anthropicText(anthropic("m", false, message("user", "hi")))).isEqualTo(FOX);
        List<Reply.Event> first = post(OPENAI, openAi("m", true, message("user", "hi"))).events();
        assertThatThrownBy(() -> first.get(0).json()).as("after 0 tokens it comes first").isInstanceOf(InvalidChatException.class);
    }

    @Test
    void faultsAndMaxTokensApplyToAContinuedAnswer() {
        sim = SimulatedProvider.builder()
                .model("cut", Behaviour.answer(FOX).fault(Fault.cutAfter(2)))
                .model("fox", Behaviour.answer(FOX))
                .start();

        List<Signal<String>> cut = streamed(OPENAI, openAi("cut", true, prefill()));
        ObjectNode limited = post(OPENAI, openAi("fox", false, prefill()).put("max_tokens", 3)).json();
        ObjectNode anthropicLimited = post(ANTHROPIC, anthropic("fox", false, prefill()).put("max_tokens", 3)).json();

        assertThat(openAiDeltas(Reply.Event.parse(text(cut)))).containsExactly(" fox", " jumps");
        assertThat(cut.get(cut.size() - 1).getThrowable()).isInstanceOf(PrematureCloseException.class);
        assertThat(limited.get("choices").get(0).get("message").get("content").asText()).isEqualTo(" fox jumps over");
        assertThat(limited.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        assertThat(limited.get("usage").get("completion_tokens").asInt()).isEqualTo(3);
        assertThat(anthropicLimited.get("content").get(0).get("text").asText()).isEqualTo(" fox jumps over");
        assertThat(anthropicLimited.get("stop_reason").asText()).isEqualTo("max_tokens");
    }
}
