package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stream contract end to end, through the router over real sockets, against an upstream that
 * misbehaves on purpose: a cut, stalled or garbled stream reaches the client as the canonical answer
 * exactly once, or as an explicit error event; never spliced, never a clean end after a truncation; and
 * the log line, the admin events and the metrics say what happened.
 */
class StreamContractTest {

    private static final String KEY = "sk-client-contract";
    private static final String ADMIN = "admin-contract";
    private static final Map<String, String> AUTH = Map.of("authorization", "Bearer " + KEY);
    private static final String ANSWER = IntStream.rangeClosed(1, 60).mapToObj(i -> "word" + i)
            .collect(Collectors.joining(" ", "", "."));
    private static Harness h;

    @BeforeAll
    static void start() {
        Behaviour canonical = Behaviour.answer(ANSWER);
        h = new Harness(SimulatedProvider.builder()
                .model("cut", canonical.fault(Fault.cutAfter(40)))
                .model("stalls", canonical.fault(Fault.stallAfter(40)))
                .model("garbled", canonical.fault(Fault.malformedEventAfter(20)))
                .model("claude", canonical)
                .model("restarts", canonical.onInstruction(Behaviour.Resume.RESTART))
                .model("refuses", Behaviour.status(400))
                .model("prose", Behaviour.answer("Sure! Here is your JSON."))
                .model("json", Behaviour.answer("{\"ok\": true}")),
                """
                server: { port: 0, shutdown-grace: 5s }
                admin: { token-env: ADMIN }
                client-key-envs: [CLIENT]
                providers:
                  cut:      { type: openai, base-url: "${simulator}/v1", model: cut }
                  stalls:   { type: openai, base-url: "${simulator}/v1", model: stalls }
                  garbled:  { type: openai, base-url: "${simulator}/v1", model: garbled }
                  claude:   { type: anthropic, base-url: "${simulator}/v1", model: claude }
                  restarts: { type: openai, base-url: "${simulator}/v1", model: restarts }
                  refuses:  { type: openai, base-url: "${simulator}/v1", model: refuses }
                  never:    { type: openai, base-url: "${simulator}/v1", model: restarts, continuation: none }
                  prose:    { type: openai, base-url: "${simulator}/v1", model: prose }
                  json:     { type: openai, base-url: "${simulator}/v1", model: json }
                routes:
                  - alias: cut-prefill
                    mid-stream: continue
                    tiers: [ { providers: [cut] }, { providers: [claude] } ]
                  - alias: cut-restart
                    mid-stream: continue
                    tiers: [ { providers: [cut] }, { providers: [restarts] } ]
                  - alias: cut-nobody
                    mid-stream: continue
                    tiers: [ { providers: [cut] }, { providers: [never] }, { providers: [refuses] } ]
                  - alias: stall
                    mid-stream: continue
                    deadline: 5s
                    idle-timeout: 300ms
                    tiers: [ { providers: [stalls] }, { providers: [claude] } ]
                  - alias: stall-past-deadline
                    mid-stream: continue
                    deadline: 1s
                    tiers: [ { providers: [stalls] }, { providers: [claude] } ]
                  - alias: garbled
                    mid-stream: continue
                    tiers: [ { providers: [garbled] }, { providers: [claude] } ]
                  - alias: checked
                    validators: [validJson]
                    tiers: [ { providers: [prose] }, { providers: [json] } ]
                  - alias: garbled-fails
                    malformed-events: fail
                    tiers: [ { providers: [garbled] }, { providers: [claude] } ]
                """,
                Map.of("CLIENT", KEY, "ADMIN", ADMIN));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @BeforeEach
    void reset() {
        h.simulator.reset();
    }

    /** The data events of an SSE body, the comment lines, and whether it ended with [DONE] or an error event. */
    private record Sse(List<ObjectNode> chunks, List<String> comments, boolean done, ObjectNode error) {

        static Sse of(String body) {
            List<ObjectNode> chunks = new ArrayList<>();
            List<String> comments = new ArrayList<>();
            boolean done = false;
            ObjectNode error = null;
            for (String event : body.split("\n\n")) {
                if (event.startsWith(": ")) {
                    comments.add(event.substring(2));
                } else if (event.equals("data: [DONE]")) {
                    done = true;
                } else if (event.startsWith("event: error\ndata: ")) {
                    error = Json.object(event.substring("event: error\ndata: ".length()), "error");
                } else if (event.startsWith("data: ")) {
                    chunks.add(Json.object(event.substring("data: ".length()), "chunk"));
                }
            }
            return new Sse(chunks, comments, done, error);
        }

        String text() {
            return chunks.stream().map(chunk -> chunk.path("choices").path(0).path("delta").path("content").asText(""))
                    .collect(Collectors.joining());
        }
    }

    private static Sse stream(String alias) {
        Harness.Response response = h.post("/v1/chat/completions", Harness.chat(alias, true), AUTH);
        assertThat(response.status()).isEqualTo(200);
        return Sse.of(response.body());
    }

    private static ObjectNode logLine(String alias) {
        Harness.await("a log line for " + alias, () -> Harness.lines(h.logText()).stream()
                .anyMatch(line -> alias.equals(line.path("route").asText())));
        return Harness.lines(h.logText()).stream().filter(line -> alias.equals(line.path("route").asText()))
                .reduce((first, second) -> second).orElseThrow();
    }

    @Test
    void aCutAnswerContinuedByAPrefillingProviderArrivesWholeAndOnce() {
        Sse sse = stream("cut-prefill");

        assertThat(sse.text()).isEqualTo(ANSWER);
        assertThat(sse.done()).isTrue();
        assertThat(sse.error()).isNull();
        assertThat(sse.comments()).containsExactly("detour failover from=cut to=claude reason=connection");
        assertThat(sse.chunks()).filteredOn(chunk -> !chunk.path("choices").path(0).path("finish_reason").isNull()
                && chunk.path("choices").size() > 0).hasSize(1);
        JsonNode first = sse.chunks().get(0);
        assertThat(sse.chunks()).allSatisfy(chunk -> {
            assertThat(chunk.path("id")).isEqualTo(first.path("id"));
            assertThat(chunk.path("model").asText()).isEqualTo("cut");
        });
        JsonNode usage = sse.chunks().get(sse.chunks().size() - 1).path("usage");
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(60);

        ObjectNode line = logLine("cut-prefill");
        assertThat(line.path("served_by").asText()).isEqualTo("cut");
        assertThat(line.path("attempts").asInt()).isEqualTo(2);
        JsonNode continuation = line.path("continuations").path(0);
        assertThat(continuation.path("from").asText()).isEqualTo("cut");
        assertThat(continuation.path("to").asText()).isEqualTo("claude");
        assertThat(continuation.path("words_sent").asInt()).isEqualTo(40);
        assertThat(continuation.path("restated_chars").asInt()).isZero();
        assertThat(line.path("usage_estimated").asBoolean()).isTrue();
    }

    @Test
    void aRestartingContinuationHasItsRestatementRemovedAndRecorded() {
        Sse sse = stream("cut-restart");

        assertThat(sse.text()).isEqualTo(ANSWER);
        assertThat(logLine("cut-restart").path("continuations").path(0).path("restated_chars").asInt())
                .isEqualTo(ANSWER.indexOf(" word41"));
        JsonNode events = h.get("/admin/events", Map.of("authorization", "Bearer " + ADMIN)).json().path("events");
        assertThat(events).anySatisfy(event -> {
            assertThat(event.path("type").asText()).isEqualTo("StreamContinued");
            assertThat(event.path("route").asText()).isEqualTo("cut-restart");
            assertThat(event.path("to").asText()).isEqualTo("restarts");
        });
        String metrics = h.get("/metrics", Map.of()).body();
        assertThat(metrics).containsPattern("detour_stream_continuations_total\\{[^}]*route=\"cut-restart\"[^}]*} 1\\.0");
    }

    @Test
    void whenNoProviderCanContinueTheClientGetsAnErrorEventWithTheOriginalFailure() {
        Sse sse = stream("cut-nobody");

        assertThat(sse.text()).isEqualTo(ANSWER.substring(0, ANSWER.indexOf(" word41")));
        assertThat(sse.done()).isFalse();
        assertThat(sse.error()).isNotNull();
        assertThat(sse.error().path("error").path("code").asText()).isEqualTo("stream_failed");
        assertThat(sse.error().path("error").path("message").asText())
                .startsWith("route 'cut-nobody': stream from cut failed after 40 chunks: connection")
                .contains("refused to continue: 400");
        assertThat(h.simulator.stats("restarts").requests()).isZero();
    }

    @Test
    void aStallIsContinuedWithinTheDeadline() {
        Sse sse = stream("stall");

        assertThat(sse.text()).isEqualTo(ANSWER);
        assertThat(sse.comments()).containsExactly("detour failover from=stalls to=claude reason=timeout");
        assertThat(h.simulator.awaitStats("stalls", stats -> stats.disconnects() == 1).block(Harness.WAIT)).isNotNull();
    }

    @Test
    void aStreamStillRunningAtTheDeadlineEndsInADeadlineErrorAndNothingStartsAfterIt() {
        Sse sse = stream("stall-past-deadline");

        assertThat(sse.text()).isEqualTo(ANSWER.substring(0, ANSWER.indexOf(" word41")));
        assertThat(sse.done()).isFalse();
        assertThat(sse.error().path("error").path("code").asText()).isEqualTo("deadline_exceeded");
        assertThat(sse.error().path("error").path("message").asText()).contains("deadline 1s exceeded");
        assertThat(h.simulator.awaitStats("stalls", stats -> stats.disconnects() == 1).block(Harness.WAIT)).isNotNull();
        assertThat(h.simulator.stats("claude").requests()).isZero();
        assertThat(logLine("stall-past-deadline").path("stream_error").asText()).contains("deadline 1s exceeded");
    }

    @Test
    void aMalformedEventIsSkippedCountedAndTheAnswerComesWhole() {
        Sse sse = stream("garbled");

        assertThat(sse.text()).isEqualTo(ANSWER);
        assertThat(sse.comments()).isEmpty();
        assertThat(h.simulator.stats("claude").requests()).isZero();
        assertThat(logLine("garbled").path("malformed_events").asInt()).isEqualTo(1);
        assertThat(h.get("/metrics", Map.of()).body())
                .containsPattern("detour_stream_skipped_total\\{[^}]*route=\"garbled\"[^}]*} 1\\.0");
    }

    @Test
    void aRouteMayTreatAMalformedEventAsAFailure() {
        Sse sse = stream("garbled-fails");

        assertThat(sse.error().path("error").path("message").asText()).contains("malformed event: stream chunk is not valid JSON");
        assertThat(sse.done()).isFalse();
    }

    @Test
    void aRouteThatChecksWholeAnswersStreamsTheCheckedAnswer() {
        Sse sse = stream("checked");

        assertThat(sse.text()).isEqualTo("{\"ok\": true}");
        assertThat(sse.done()).isTrue();
        assertThat(sse.chunks()).allSatisfy(chunk -> assertThat(chunk.path("model").asText()).isEqualTo("json"));
        ObjectNode line = logLine("checked");
        assertThat(line.path("stream_mode").asText()).isEqualTo("whole-answer");
        assertThat(line.path("served_by").asText()).isEqualTo("json");
        assertThat(line.path("fallback").asText()).isEqualTo("invalid");
        assertThat(h.simulator.stats("prose").requests()).isEqualTo(1);
    }
}
