package dev.detour.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The simulator's values: latencies, faults and behaviours, without a server. */
class SimBehaviourTest {

    private static List<Duration> draws(Latency latency, long seed, int count) {
        Random random = new Random(seed);
        return IntStream.range(0, count).mapToObj(i -> latency.sample(random)).toList();
    }

    @Test
    void aSeededLognormalLatencyGivesTheSameDelaysTwice() {
        Latency latency = Latency.lognormal(Duration.ofMillis(100), 0.5);

        List<Duration> first = draws(latency, 42, 200);
        List<Duration> second = draws(latency, 42, 200);

        assertThat(first).isEqualTo(second);
        assertThat(first).doesNotHaveDuplicates();
        assertThat(draws(latency, 43, 200)).isNotEqualTo(first);
    }

    @Test
    void aLognormalLatencyIsCentredOnItsMedian() {
        List<Duration> sorted = draws(Latency.lognormal(Duration.ofMillis(100), 0.5), 7, 10_001).stream().sorted().toList();

        assertThat(sorted.get(5_000)).isBetween(Duration.ofMillis(95), Duration.ofMillis(105));
        assertThat(sorted.get(0)).isPositive();
    }

    @Test
    void stragglersReplaceTheBaseDelayAtTheirProbability() {
        Latency base = Latency.fixed(Duration.ofMillis(10));

        assertThat(draws(Latency.withStragglers(base, 1.0, Duration.ofSeconds(2)), 1, 5)).containsOnly(Duration.ofSeconds(2));
        assertThat(draws(Latency.withStragglers(base, 0.0, Duration.ofSeconds(2)), 1, 5)).containsOnly(Duration.ofMillis(10));
        long stragglers = draws(Latency.withStragglers(base, 0.01, Duration.ofSeconds(2)), 3, 100_000).stream()
                .filter(Duration.ofSeconds(2)::equals).count();
        assertThat(stragglers).isBetween(800L, 1_200L);
    }

    @Test
    void fixedAndNoLatencyAreConstant() {
        assertThat(draws(Latency.fixed(Duration.ofMillis(5)), 1, 3)).containsOnly(Duration.ofMillis(5));
        assertThat(Latency.fixed(Duration.ZERO).isNone()).isTrue();
        assertThat(Latency.none().sample(new Random())).isZero();
    }

    @Test
    void badLatenciesAreRefusedWithTheirValue() {
        assertThatThrownBy(() -> Latency.fixed(Duration.ofMillis(-1)))
                .hasMessage("fixed latency must not be negative, was PT-0.001S");
        assertThatThrownBy(() -> Latency.lognormal(Duration.ofMillis(10), -1))
                .hasMessage("lognormal sigma must be a finite number >= 0, was -1.0");
        assertThatThrownBy(() -> Latency.withStragglers(Latency.none(), 1.5, Duration.ofSeconds(1)))
                .hasMessage("straggler probability must be between 0 and 1, was 1.5");
    }

    @Test
    void answersAreSplitIntoWordsThatKeepTheirSpaces() {
        assertThat(Behaviour.tokenize("Hello  big world.")).containsExactly("Hello", "  big", " world.");
        assertThat(Behaviour.tokenize(" lead")).containsExactly(" lead");
        assertThat(Behaviour.tokenize("")).isEmpty();
        assertThat(Behaviour.defaults().tokensFor("fast")).containsExactly("Hello", " from", " fast.");
        assertThat(String.join("", Behaviour.answer("a b  c ").tokensFor("m"))).isEqualTo("a b  c ");
    }

    @Test
    void aScriptGivesItsStepsInOrderAndRepeatsTheLast() {
        Behaviour first = Behaviour.status(503);
        Behaviour last = Behaviour.answer("ok");
        Behaviour script = Behaviour.script(first, last);

        assertThat(script.isScript()).isTrue();
        assertThat(script.step(0)).isSameAs(first);
        assertThat(script.step(1)).isSameAs(last);
        assertThat(script.step(9)).isSameAs(last);
        assertThat(last.step(3)).isSameAs(last);
    }

    @Test
    void aSettingOnAScriptChangesEveryStep() {
        Behaviour script = Behaviour.script(Behaviour.status(503), Behaviour.answer("ok")).pacing(Duration.ofMillis(3));

        assertThat(script.steps()).extracting(Behaviour::pacing).containsOnly(Duration.ofMillis(3));
        assertThat(script.step(0).faults()).singleElement().extracting(Fault::status).isEqualTo(503);
        assertThat(script.step(1).text()).isEqualTo("ok");
    }

    @Test
    void aScriptCannotNestOrBeEmpty() {
        assertThatThrownBy(() -> Behaviour.script(Behaviour.defaults(), Behaviour.script(Behaviour.defaults())))
                .hasMessage("script step 1 is itself a script; list its steps instead");
        assertThatThrownBy(() -> Behaviour.script(List.of())).hasMessage("a script needs at least one step");
    }

    @Test
    void theFirstFaultThatFiresApplies() {
        Behaviour behaviour = Behaviour.defaults()
                .fault(Fault.status(500).probability(0.0))
                .fault(Fault.rateLimited(Duration.ofMillis(1500)))
                .fault(Fault.garbage());

        Fault fault = behaviour.pickFault(new Random(1));

        assertThat(fault.kind()).isEqualTo(Fault.Kind.STATUS);
        assertThat(fault.status()).isEqualTo(429);
        assertThat(fault.retryAfter()).isEqualTo(Duration.ofMillis(1500));
        assertThat(Behaviour.defaults().pickFault(new Random(1))).isNull();
    }

    @Test
    void faultsAreDescribedAndCheckedPrecisely() {
        assertThat(Fault.cutAfter(3).probability(0.25)).hasToString("Fault[CUT_AFTER after 3 tokens p=0.25]");
        assertThat(Fault.status(429)).hasToString("Fault[STATUS 429 retry-after PT1S]");
        assertThatThrownBy(() -> Fault.status(200)).hasMessage("fault status must be between 400 and 599, was 200");
        assertThatThrownBy(() -> Fault.cutAfter(-1)).hasMessage("token count must not be negative, was -1");
        assertThatThrownBy(() -> Fault.garbage().probability(2)).hasMessage("fault probability must be between 0 and 1, was 2.0");
    }

    private static final String FOX = "The quick brown fox jumps over the lazy dog.";

    @Test
    void aPrefillGetsTheRestOfTheAnswerAfterItsPrefix() {
        Behaviour fox = Behaviour.answer(FOX);

        assertThat(fox.prefillAnswerFor("m", "The quick brown")).isEqualTo(" fox jumps over the lazy dog.");
        assertThat(fox.prefillAnswerFor("m", "The quick bro")).isEqualTo("wn fox jumps over the lazy dog.");
        assertThat(fox.prefillAnswerFor("m", "The quick brown ")).isEqualTo("fox jumps over the lazy dog.");
        assertThat(fox.prefillAnswerFor("m", "The quick brown \n")).as("trailing whitespace the answer lacks is dropped")
                .isEqualTo(" fox jumps over the lazy dog.");
        assertThat(fox.prefillAnswerFor("m", "A slow green")).isEqualTo(FOX);
        assertThat(fox.prefillAnswerFor("m", "")).isEqualTo(FOX);
        assertThat(fox.prefillAnswerFor("m", FOX)).isEmpty();
        assertThat(Behaviour.defaults().prefillAnswerFor("gpt", "Hello from")).isEqualTo(" gpt.");
    }

    @Test
    void anInstructionContinuesRestartsOrRestatesTheTail() {
        Behaviour fox = Behaviour.answer(FOX);

        assertThat(fox.onInstruction()).isEqualTo(Behaviour.Resume.CONTINUE);
        assertThat(fox.instructionAnswerFor("m", "The quick brown")).isEqualTo(" fox jumps over the lazy dog.");
        assertThat(fox.onInstruction(Behaviour.Resume.RESTART).instructionAnswerFor("m", "The quick brown")).isEqualTo(FOX);
        assertThat(fox.restatingTail(2).instructionAnswerFor("m", "The quick brown"))
                .isEqualTo(" quick brown fox jumps over the lazy dog.");
        assertThat(fox.restatingTail(1).instructionAnswerFor("m", "The quick brown \n")).as("restated from the matched prefix")
                .isEqualTo(" brown fox jumps over the lazy dog.");
        assertThat(fox.restatingTail(1).instructionAnswerFor("m", "The quick brown ")).isEqualTo(" brown fox jumps over the lazy dog.");
        assertThat(fox.restatingTail(9).instructionAnswerFor("m", "The quick")).isEqualTo(FOX);
        assertThat(fox.restatingTail(2).onInstruction(Behaviour.Resume.CONTINUE).restatingTail()).isZero();
        assertThat(fox.restatingTail(3).prefillAnswerFor("m", "The quick brown")).as("prefill restates nothing")
                .isEqualTo(" fox jumps over the lazy dog.");
    }

    @Test
    void continuationSettingsChangeEveryStepOfAScriptAndKeepTheOthers() {
        Behaviour script = Behaviour.script(Behaviour.status(503), Behaviour.answer("ok"))
                .rejectsPrefill().contextWindow(100).restatingTail(2);
        Behaviour plain = Behaviour.answer("hi").contextWindow(50).rejectsPrefill().onInstruction(Behaviour.Resume.RESTART)
                .pacing(Duration.ofMillis(2)).fault(Fault.garbage()).text("bye");

        assertThat(script.steps()).allSatisfy(step -> {
            assertThat(step.acceptsPrefill()).isFalse();
            assertThat(step.contextWindow()).isEqualTo(100);
            assertThat(step.restatingTail()).isEqualTo(2);
        });
        assertThat(plain.acceptsPrefill()).isFalse();
        assertThat(plain.contextWindow()).isEqualTo(50);
        assertThat(plain.onInstruction()).isEqualTo(Behaviour.Resume.RESTART);
        assertThat(plain.withoutFaults().contextWindow()).isEqualTo(50);
        assertThat(Behaviour.defaults().acceptsPrefill()).isTrue();
        assertThat(Behaviour.defaults().contextWindow()).isZero();
    }

    @Test
    void theNewSettingsAndFaultsAreDescribedAndCheckedPrecisely() {
        assertThat(Behaviour.answer("hi").rejectsPrefill().contextWindow(64).onInstruction(Behaviour.Resume.RESTART))
                .hasToString("Behaviour[\"hi\", Latency[none], restarts on instruction, rejects prefill, context window 64]");
        assertThat(Behaviour.answer("hi").restatingTail(3)).hasToString("Behaviour[\"hi\", Latency[none], restates 3 words on instruction]");
        assertThat(Fault.contextWindow()).hasToString("Fault[CONTEXT_WINDOW 400]");
        assertThat(Fault.contentPolicy().probability(0.5)).hasToString("Fault[CONTENT_POLICY 400 p=0.5]");
        assertThat(Fault.malformedEventAfter(2)).hasToString("Fault[MALFORMED_EVENT after 2 tokens]");
        assertThat(Fault.malformedEventAfter(2).afterTokens()).isEqualTo(2);
        assertThat(Fault.contentPolicy().status()).isEqualTo(400);
        assertThatThrownBy(() -> Behaviour.defaults().restatingTail(0)).hasMessage("restated words must be at least 1, was 0");
        assertThatThrownBy(() -> Behaviour.defaults().contextWindow(0)).hasMessage("context window must be at least 1 token, was 0");
        assertThatThrownBy(() -> Fault.malformedEventAfter(-1)).hasMessage("token count must not be negative, was -1");
    }
}
