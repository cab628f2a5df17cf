package dev.detour.llm.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.detour.core.Outcome;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class ConfidenceTest {

    private static ChatResponse withLogprobs(String content, String tokens) {
        return ChatResponse.of(Json.object("{\"model\":\"m\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"logprobs\":{\"content\":" + tokens + "}}]}", "answer"));
    }

    private static String token(String text, double logprob) {
        return "{\"token\":\"" + text + "\",\"logprob\":" + logprob + ",\"bytes\":[],\"top_logprobs\":[]}";
    }

    @Test
    void theScoreIsTheGeometricMeanTokenProbability() {
        ChatResponse answer = withLogprobs("Paris", "[" + token("Par", -0.1) + "," + token("is", -0.3) + "]");

        assertThat(Confidence.fromLogprobs().applyAsDouble(answer)).isEqualTo(Math.exp(-0.2));
    }

    @Test
    void aSingleCertainTokenScoresOne() {
        ChatResponse answer = withLogprobs("Yes", "[" + token("Yes", 0.0) + "]");

        assertThat(Confidence.fromLogprobs(0.0).applyAsDouble(answer)).isEqualTo(1.0);
    }

    @Test
    void entriesWithoutANumericLogprobAreSkipped() {
        ChatResponse answer = withLogprobs("ab", "[" + token("a", -0.5) + ",{\"token\":\"b\"},{\"token\":\"c\",\"logprob\":null}]");

        assertThat(Confidence.fromLogprobs().applyAsDouble(answer)).isEqualTo(Math.exp(-0.5));
    }

    @Test
    void anAnswerWithoutLogprobsScoresOneSoItIsAccepted() {
        ToDoubleFunction<ChatResponse> score = Confidence.fromLogprobs();

        assertThat(score.applyAsDouble(ChatResponse.of("id", "m", "Paris", "stop", null))).isEqualTo(1.0);
        assertThat(score.applyAsDouble(withLogprobs("", "[]"))).isEqualTo(1.0);
        assertThat(score.applyAsDouble(withLogprobs("", "null"))).isEqualTo(1.0);
    }

    @Test
    void theScoreOfAnAnswerWithoutLogprobsCanBeChosen() {
        ChatResponse none = ChatResponse.of("id", "m", "Paris", "stop", null);

        assertThat(Confidence.fromLogprobs(0.0).applyAsDouble(none)).isEqualTo(0.0);
        assertThat(Confidence.fromLogprobs(0.5).applyAsDouble(none)).isEqualTo(0.5);
        assertThatThrownBy(() -> Confidence.fromLogprobs(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("whenAbsent must be a number, was NaN");
    }

    @Test
    void scoredByAppliesTheScorerToTheContent() {
        ToDoubleFunction<ChatResponse> score = Confidence.scoredBy(content -> content.length() / 10.0);

        assertThat(score.applyAsDouble(ChatResponse.of("id", "m", "Paris", "stop", null))).isEqualTo(0.5);
    }

    @Test
    void scoredByScoresAnAnswerWithoutContentZeroWithoutAskingTheScorer() {
        AtomicInteger asked = new AtomicInteger();
        ToDoubleFunction<ChatResponse> score = Confidence.scoredBy(content -> {
            asked.incrementAndGet();
            return 1.0;
        });

        assertThat(score.applyAsDouble(ChatResponse.of("id", "m", null, "tool_calls", null))).isEqualTo(0.0);
        assertThat(asked).hasValue(0);
    }

    @Test
    void aRouteEscalatesPastAnUnsureAnswerAndAcceptsOneWithoutLogprobs() {
        ChatResponse unsure = withLogprobs("Lyon", "[" + token("Ly", -1.5) + "," + token("on", -0.5) + "]");
        ChatResponse plain = ChatResponse.of("b", "large", "Paris", "stop", null);
        Provider<ChatRequest, ChatResponse> small = Provider.of("small", (request, context) -> Mono.just(unsure));
        Provider<ChatRequest, ChatResponse> large = Provider.of("large", (request, context) -> Mono.just(plain));
        Route<ChatRequest, ChatResponse> route = Router.create().<ChatRequest, ChatResponse>route("cascade")
                .confidenceFloor(0.8, Confidence.fromLogprobs())
                .tier(small)
                .tier(large)
                .build();

        StepVerifier.create(route.execute(ChatRequest.user("m", "Capital of France?")))
                .assertNext(outcome -> {
                    assertThat(outcome.provider()).isEqualTo("large");
                    assertThat(trail(outcome)).containsExactly(
                            "small#1 low-confidence: confidence " + Math.exp(-1.0) + " < 0.8", "large#1 ok");
                })
                .verifyComplete();
    }

    private static List<String> trail(Outcome<?> outcome) {
        List<String> trail = new ArrayList<>();
        outcome.attempts().forEach(attempt -> trail.add(attempt.toString()));
        return trail;
    }
}
