package dev.detour.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.stream.Failover;
import dev.detour.core.stream.MidStreamException;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Continuations over real sockets, against the simulator's models, which continue an assistant prefix,
 * restart or restate when told to continue, or refuse a prefill: whatever the continuing provider does,
 * the client receives the canonical answer exactly once, or an explicit error carrying the original failure.
 */
class ContinuationOverSocketsTest {

    private static final String KEY = "sk-sim-continue";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ANSWER = IntStream.rangeClosed(1, 60).mapToObj(i -> "word" + i)
            .collect(Collectors.joining(" ", "", "."));
    private static final String OTHER = ANSWER.substring(0, ANSWER.indexOf(" word12")) + " and then something else entirely.";
    private static SimulatedProvider sim;

    @BeforeAll
    static void start() {
        Behaviour canonical = Behaviour.answer(ANSWER);
        sim = SimulatedProvider.builder()
                .apiKey(KEY)
                .model("cut", canonical.fault(Fault.cutAfter(40)))
                .model("stalls", canonical.fault(Fault.stallAfter(40)))
                .model("malformed", canonical.fault(Fault.malformedEventAfter(30)))
                .model("continues", canonical)
                .model("restarts", canonical.onInstruction(Behaviour.Resume.RESTART))
                .model("restates", canonical.restatingTail(3))
                .model("no-prefill", canonical.rejectsPrefill().onInstruction(Behaviour.Resume.RESTART))
                .model("diverges", Behaviour.answer(OTHER).onInstruction(Behaviour.Resume.RESTART))
                .model("refuses", Behaviour.status(400))
                .start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @BeforeEach
    void reset() {
        sim.reset();
    }

    private static ChatProvider openai(String model) {
        return OpenAiProvider.builder("openai-" + model, HttpSettings.of(sim.baseUrl() + "/v1")).apiKey(ApiKey.of(KEY))
                .model(model).build();
    }

    private static ChatProvider anthropic(String model) {
        return AnthropicProvider.builder("anthropic-" + model, HttpSettings.of(sim.baseUrl() + "/v1"))
                .apiKey(ApiKey.of(KEY)).model(model).build();
    }

    private static StreamRoute<ChatRequest, ChatChunk> continuing(ChatProvider... providers) {
        Router router = Router.builder().breaker(BreakerPolicy.disabled()).build();
        var route = router.<ChatRequest, Started<ChatChunk>>route("chat").deadline(Duration.ofSeconds(20));
        for (ChatProvider provider : providers) {
            route.tier(Tier.of(ChatStreams.streaming(provider)));
        }
        return ChatStreams.continuing(route.build()).build();
    }

    private record Served(List<ChatChunk> chunks, List<Failover> failovers, int skipped) {

        String text() {
            return chunks.stream().filter(chunk -> !chunk.isMarker()).map(ChatChunk::content)
                    .filter(content -> content != null).collect(Collectors.joining());
        }

        List<ChatChunk> markers() {
            return chunks.stream().filter(ChatChunk::isMarker).toList();
        }

        Usage usage() {
            return chunks.get(chunks.size() - 1).usage();
        }
    }

    private static Served serve(StreamRoute<ChatRequest, ChatChunk> route) {
        StreamRoute.Opened<ChatChunk> opened = route.open(ChatRequest.user("alias", "count to sixty")).block(WAIT);
        List<ChatChunk> chunks = opened.elements().collectList().block(WAIT);
        return new Served(chunks, opened.report().failovers(), opened.report().skipped());
    }

    @Test
    void aPrefillingAnthropicFallbackContinuesTheCutAnswerSeamlessly() {
        Served served = serve(continuing(openai("cut"), anthropic("continues")));

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(served.markers()).hasSize(1);
        assertThat(served.chunks()).filteredOn(chunk -> chunk.finishReason() != null).hasSize(1);
        assertThat(served.failovers()).singleElement().satisfies(failover -> {
            assertThat(failover.from()).isEqualTo("openai-cut");
            assertThat(failover.to()).isEqualTo("anthropic-continues");
            assertThat(failover.reason().kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failover.sentWords()).isEqualTo(40);
            assertThat(failover.restated()).isZero();
        });
        assertThat(served.usage().completionTokens()).isEqualTo(60);
    }

    @Test
    void aRestartingFallbackHasItsRestatementRemoved() {
        Served served = serve(continuing(openai("cut"), openai("restarts")));

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(served.failovers().get(0).restated()).isEqualTo(ANSWER.indexOf(" word41"));
        assertThat(served.usage().completionTokens()).isEqualTo(40 + 60);
    }

    @Test
    void aFallbackRestatingTheLastWordsHasThemRemoved() {
        Served served = serve(continuing(anthropic("cut"), openai("restates")));

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(served.failovers().get(0).restated()).isEqualTo(" word38 word39 word40".length());
    }

    @Test
    void aFallbackThatRefusesThePrefillIsAskedAgainByInstruction() {
        Served served = serve(continuing(openai("cut"), anthropic("no-prefill")));

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(sim.stats("no-prefill").requests()).isEqualTo(2);
    }

    @Test
    void aContinuationThatRestatesThenDivergesIsNotServedAndTheNextProviderContinues() {
        Served served = serve(continuing(openai("cut"), openai("diverges"), anthropic("continues")));

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(served.failovers()).extracting(Failover::from, Failover::to).containsExactly(
                tuple("openai-cut", "openai-diverges"),
                tuple("openai-diverges", "anthropic-continues"));
        assertThat(served.failovers().get(1).reason().kind()).isEqualTo(FailureKind.INVALID);
        assertThat(served.markers()).hasSize(1);
        assertThat(sim.stats("diverges").requests()).isEqualTo(1);
    }

    @Test
    void whenNothingCanContinueTheErrorCarriesTheOriginalFailure() {
        StreamRoute<ChatRequest, ChatChunk> route = continuing(openai("cut"), openai("refuses"));
        StreamRoute.Opened<ChatChunk> opened = route.open(ChatRequest.user("alias", "count")).block(WAIT);

        Throwable error = opened.elements().then().materialize().block(WAIT).getThrowable();

        assertThat(error).isInstanceOf(MidStreamException.class)
                .hasMessageStartingWith("route 'chat': stream from openai-cut failed after 40 chunks: connection");
        MidStreamException midStream = (MidStreamException) error;
        assertThat(midStream.failure().kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(midStream.provider()).isEqualTo("openai-cut");
        assertThat(opened.report().failovers()).isEmpty();
    }

    @Test
    void aProviderThatNeverContinuesIsNotAsked() {
        Router router = Router.builder().breaker(BreakerPolicy.disabled()).build();
        StreamRoute<ChatRequest, ChatChunk> route = ChatStreams.continuing(router.<ChatRequest, Started<ChatChunk>>route("chat")
                .tier(ChatStreams.streaming(openai("cut")))
                .tier(ChatStreams.streaming(openai("restarts")))
                .tier(ChatStreams.streaming(anthropic("continues")))
                .build(), provider -> !provider.equals("openai-restarts")).build();

        Served served = serve(route);

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(sim.stats("restarts").requests()).isZero();
    }

    @Test
    void aStalledStreamIsContinuedAfterTheIdleTimeout() {
        Router router = Router.builder().breaker(BreakerPolicy.disabled()).build();
        StreamRoute<ChatRequest, ChatChunk> route = ChatStreams.continuing(router.<ChatRequest, Started<ChatChunk>>route("chat")
                .deadline(Duration.ofSeconds(5))
                .tier(ChatStreams.streaming(anthropic("stalls")))
                .tier(ChatStreams.streaming(anthropic("continues")))
                .build()).idleTimeout(Duration.ofMillis(300)).build();

        Served served = serve(route);

        assertThat(served.text()).isEqualTo(ANSWER);
        assertThat(served.failovers().get(0).reason().kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(sim.awaitStats("stalls", stats -> stats.disconnects() >= 1).block(WAIT).disconnects()).isEqualTo(1);
    }

    @Test
    void aMalformedEventIsSkippedAndCountedAndTheAnswerComesWhole() {
        for (ChatProvider provider : List.of(openai("malformed"), anthropic("malformed"))) {
            Served served = serve(continuing(provider, openai("continues")));

            assertThat(served.text()).isEqualTo(ANSWER);
            assertThat(served.failovers()).isEmpty();
            assertThat(served.skipped()).isEqualTo(1);
        }
        assertThat(sim.stats("continues").requests()).isZero();
    }

    @Test
    void everyChunkCarriesTheFirstStreamsIdentity() {
        Served served = serve(continuing(anthropic("cut"), openai("continues")));

        ChatChunk first = served.chunks().get(0);
        assertThat(first.json().path("id").asText()).startsWith("msg_sim");
        assertThat(served.chunks()).allSatisfy(chunk -> {
            assertThat(chunk.json().path("id")).isEqualTo(first.json().path("id"));
            assertThat(chunk.json().path("created")).isEqualTo(first.json().path("created"));
            assertThat(chunk.json().path("model").asText()).isEqualTo("cut");
        });
        assertThat(served.chunks()).filteredOn(chunk -> chunk.json().path("choices").path(0).path("delta").has("role"))
                .hasSize(1);
    }
}
