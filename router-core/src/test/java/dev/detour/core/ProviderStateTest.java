package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.internal.BudgetTracker;
import dev.detour.core.internal.InMemoryBreakerStore;
import dev.detour.core.internal.InMemoryStateStore;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.spi.BreakerListener;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** ProviderState.record: the one path by which answers, failures and cancellations reach a provider's breaker and statistics. */
class ProviderStateTest {

    private final ProviderState state = new ProviderState("p",
            new InMemoryBreakerStore().breaker("p", BreakerPolicy.defaults(), BreakerListener.none()),
            new BudgetTracker(Budget.unlimited()), new BudgetTracker(Budget.unlimited()),
            new InMemoryStateStore.LocalOverrides());

    @Test
    void answersAndFailuresReachTheBreakerAndTheStatistics() {
        state.record(Attempt.Result.SUCCESS, null, 1_000_000, null, 0);
        state.record(Attempt.Result.FAILURE, FailureKind.SERVER_ERROR, 2_000_000, null, 0);

        assertThat(state.breaker.snapshot(0).calls()).isEqualTo(2);
        assertThat(state.breaker.snapshot(0).failures()).isEqualTo(1);
        assertThat(state.latencies.count()).isEqualTo(1);
        assertThat(state.status(0).errorRate()).isGreaterThan(0);
    }

    @Test
    void aCancellationIsNeitherASuccessNorAFailureAndSamplesLatencyOnlyWhenTimed() {
        state.record(Attempt.Result.CANCELLED, null, ProviderState.UNTIMED, null, 0);
        assertThat(state.breaker.snapshot(0).calls()).isZero();
        assertThat(state.latencies.count()).isZero();
        assertThat(state.score()).isNaN();

        state.record(Attempt.Result.CANCELLED, null, Duration.ofMillis(300).toNanos(), null, 0);
        assertThat(state.breaker.snapshot(0).calls()).isZero();
        assertThat(state.latencies.count()).isEqualTo(1);
        assertThat(state.score()).isNaN();
    }

    @Test
    void aMidStreamFailureGoesThroughTheSamePathWithItsDuration() {
        Router router = Router.create();
        router.<String, String>route("r").tier(Provider.of("p", (request, context) -> Mono.just("x")))
                .build();
        router.midStreamFailure("r", "p", 3, Failure.status(502, null, "cut"), false, Duration.ofMillis(40));

        assertThat(router.status("p").breaker().failures()).isEqualTo(1);
        assertThat(router.status("p").latency()).isNull();
    }
}
