package dev.detour.core;

import static dev.detour.core.Scripted.answerAfter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.policy.Balancer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Quality cascades (cheap first, stronger when not good enough) and their ceilings; balancing by latency. */
class CascadeTest {

    private final Router router = Router.create();

    /** Answers are "score:text"; the confidence is the score. */
    private static double score(String answer) {
        return Double.parseDouble(answer.substring(0, answer.indexOf(':')));
    }

    private Route.Builder<String, String> cascade() {
        return router.<String, String>route("cascade")
                .confidenceFloor(0.9, CascadeTest::score)
                .tier(Scripted.of("small", Mono.just("0.5:small")).withCost(0.25, answer -> 0))
                .tier(Scripted.of("medium", Mono.just("0.7:medium")).withCost(0.5, answer -> 0))
                .tier(Scripted.of("large", Mono.just("0.95:large")).withCost(2.0, answer -> 0));
    }

    @Test
    void anAnswerUnderTheFloorEscalatesToTheNextTier() {
        StepVerifier.create(cascade().build().execute("q"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("0.95:large");
                    assertThat(outcome.degraded()).isNull();
                    assertThat(outcome.attempts()).hasToString("[small#1 low-confidence: confidence 0.5 < 0.9, "
                            + "medium#1 low-confidence: confidence 0.7 < 0.9, large#1 ok]");
                })
                .verifyComplete();
    }

    @Test
    void theCostCeilingStopsTheEscalationWithAnError() {
        StepVerifier.create(cascade().maxCost(1.0).build().execute("q"))
                .expectErrorSatisfies(error -> assertThat(error).isExactlyInstanceOf(RouteFailedException.class)
                        .hasMessage("route 'cascade' reached its cost ceiling 1.0 (spent 0.75) after 2 attempts: "
                                + "small#1 low-confidence: confidence 0.5 < 0.9; medium#1 low-confidence: confidence 0.7 < 0.9"))
                .verify();
    }

    @Test
    void theCostCeilingWithBestEffortServesTheBestAnswerMarkedBelowTheFloor() {
        StepVerifier.create(cascade().maxCost(1.0).bestEffort().build().execute("q"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("0.7:medium");
                    assertThat(outcome.provider()).isEqualTo("medium");
                    assertThat(outcome.degraded()).isEqualTo(new Degraded(Degraded.Kind.BELOW_FLOOR,
                            "low-confidence: confidence 0.7 < 0.9", Duration.ZERO));
                })
                .verifyComplete();
    }

    @Test
    void theAttemptCeilingStopsTheEscalation() {
        StepVerifier.create(cascade().maxAttempts(1).bestEffort().build().execute("q"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("0.5:small");
                    assertThat(outcome.attempts()).hasSize(1);
                })
                .verifyComplete();
    }

    @Test
    void aCostPerUnitOfTheAnswerCounts() {
        Provider<String, String> verbose = Scripted.of("verbose", Mono.just("0.1:" + "x".repeat(100)))
                .withCost(0, answer -> answer.length() * 0.01);
        Provider<String, String> next = Scripted.of("next", Mono.just("1.0:next")).withCost(0.1, answer -> 0);
        Route<String, String> route = router.<String, String>route("units")
                .confidenceFloor(0.9, CascadeTest::score)
                .maxCost(1.0)
                .tier(verbose)
                .tier(next)
                .build();

        StepVerifier.create(route.call("q"))
                .expectErrorMessage("route 'units' reached its cost ceiling 1.0 (spent 1.04) after 1 attempt: "
                        + "verbose#1 low-confidence: confidence 0.1 < 0.9")
                .verify();
    }

    @Test
    void aValidatorRejectionEscalatesAndBestEffortServesTheLatestRejectedAnswer() {
        Route<String, String> route = router.<String, String>route("json")
                .validate(Validator.require("not JSON", answer -> answer.startsWith("{")))
                .bestEffort()
                .tier(Scripted.of("cheap", Mono.just("prose")))
                .tier(Scripted.of("strong", Mono.just("more prose")))
                .build();

        StepVerifier.create(route.execute("q"))
                .assertNext(outcome -> {
                    assertThat(outcome.value()).isEqualTo("more prose");
                    assertThat(outcome.degraded().kind()).isEqualTo(Degraded.Kind.BELOW_FLOOR);
                    assertThat(outcome.degraded().reason()).isEqualTo("invalid: not JSON");
                })
                .verifyComplete();
    }

    @Test
    void aLeastLatencyTierSendsMostRequestsToTheFasterProvider() {
        Scripted slow = Scripted.of("slow", answerAfter(200, "slow"));
        Scripted fast = Scripted.of("fast", answerAfter(20, "fast"));
        Route<String, String> route = router.<String, String>route("balanced")
                .tier(Tier.of(slow, fast).balance(Balancer.leastLatency()))
                .build();

        for (int i = 0; i < 20; i++) {
            StepVerifier.withVirtualTime(() -> route.call("q")).thenAwait(Duration.ofSeconds(1)).expectNextCount(1).verifyComplete();
        }
        assertThat(slow.calls()).as("tried once while its latency was unknown").isEqualTo(1);
        assertThat(fast.calls()).isEqualTo(19);
    }

    @Test
    void aWeightedTierSpreadsRequestsByWeight() {
        Scripted a = Scripted.of("a", Mono.just("a"));
        Scripted b = Scripted.of("b", Mono.just("b"));
        Route<String, String> route = router.<String, String>route("weighted")
                .tier(Tier.of(a, b).balance(Balancer.weighted(Map.of("a", 4.0, "b", 1.0), new java.util.Random(3))))
                .build();
        for (int i = 0; i < 2000; i++) {
            route.call("q").block();
        }
        assertThat(a.calls() / 2000.0).isCloseTo(0.8, org.assertj.core.data.Offset.offset(0.03));
    }

    @Test
    void aWeightForAProviderTheTierDoesNotHaveIsAConfigurationError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.<String, String>route("w")
                        .tier(Tier.of(Scripted.of("a", Mono.just("a"))).balance(Balancer.weighted(Map.of("typo", 1.0))))
                        .build())
                .isInstanceOf(InvalidRouteException.class)
                .hasMessage("route 'w': tier 0 weighs providers it does not have: typo");
    }
}
