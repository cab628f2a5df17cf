package dev.detour.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = RetryPolicy.backoff(6, Duration.ofMillis(100))
            .maxDelay(Duration.ofMillis(1000)).jitter(0.5);

    @Test
    void delaysDoubleFromTheInitialDelayUpToTheMaximum() {
        RetryPolicy exact = policy.jitter(0);
        assertThat(exact.delayBefore(2, 0.7)).isEqualTo(Duration.ofMillis(100));
        assertThat(exact.delayBefore(3, 0.7)).isEqualTo(Duration.ofMillis(200));
        assertThat(exact.delayBefore(4, 0.7)).isEqualTo(Duration.ofMillis(400));
        assertThat(exact.delayBefore(5, 0.7)).isEqualTo(Duration.ofMillis(800));
        assertThat(exact.delayBefore(6, 0.7)).isEqualTo(Duration.ofMillis(1000));
    }

    @Test
    void jitterSpreadsEachDelayByItsFactorAndNeverPastTheMaximum() {
        assertThat(policy.delayBefore(3, 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(policy.delayBefore(3, 0.5)).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.delayBefore(3, 0.999999)).isBetween(Duration.ofMillis(299), Duration.ofMillis(300));
        assertThat(policy.delayBefore(6, 0.999999)).isEqualTo(Duration.ofMillis(1000));
        assertThat(policy.delayBefore(6, 0.0)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void retriesOnlyTheKindsItNames() {
        assertThat(policy.retries(FailureKind.SERVER_ERROR)).isTrue();
        assertThat(policy.retries(FailureKind.CLIENT_ERROR)).isFalse();
        RetryPolicy onlyTimeouts = policy.retryOn(FailureKind.TIMEOUT);
        assertThat(onlyTimeouts.retries(FailureKind.SERVER_ERROR)).isFalse();
        assertThat(onlyTimeouts.retries(FailureKind.TIMEOUT)).isTrue();
        assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
    }

    @Test
    void timeoutsAreRetriedOnlyWhenListedAndContextWindowsNever() {
        assertThat(policy.retries(FailureKind.TIMEOUT)).isFalse();
        assertThat(policy.retries(FailureKind.CONTEXT_WINDOW)).isFalse();
        RetryPolicy listed = policy.retryOn(FailureKind.TIMEOUT, FailureKind.CONTEXT_WINDOW, FailureKind.SERVER_ERROR);
        assertThat(listed.retries(FailureKind.TIMEOUT)).isTrue();
        assertThat(listed.retries(FailureKind.CONTEXT_WINDOW)).isFalse();
        assertThat(listed.retryOn()).containsExactly(FailureKind.TIMEOUT, FailureKind.SERVER_ERROR);
    }

    @Test
    void badValuesAreRefusedWithTheirName() {
        assertThatThrownBy(() -> RetryPolicy.backoff(0, Duration.ofMillis(1))).hasMessage("maxAttempts must be at least 1, was 0");
        assertThatThrownBy(() -> RetryPolicy.backoff(2, Duration.ofMillis(-1))).hasMessage("initialDelay must not be negative, was PT-0.001S");
        assertThatThrownBy(() -> policy.jitter(1.5)).hasMessage("jitter must be between 0 and 1, was 1.5");
        assertThatThrownBy(() -> policy.multiplier(0.5)).hasMessage("multiplier must be at least 1, was 0.5");
        assertThatThrownBy(() -> policy.maxDelay(Duration.ofMillis(10)))
                .hasMessage("maxDelay PT0.01S is shorter than initialDelay PT0.1S");
    }

    @Test
    void theBuilderStatesTheDefaultsAndTheRuleOnce() {
        RetryPolicy built = RetryPolicy.builder().maxAttempts(3).build();
        assertThat(built.initialDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(built.maxDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(built.multiplier()).isEqualTo(2);
        assertThat(built.jitter()).isEqualTo(0.5);
        assertThat(built.retryOn()).isEqualTo(FailureKind.DEFAULT_RETRY);
        assertThat(RetryPolicy.builder().initialDelay(Duration.ofSeconds(1)).build().maxDelay()).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetryPolicy.builder().build().maxAttempts()).isEqualTo(1);
        assertThat(policy.toBuilder().jitter(0).build().maxDelay()).isEqualTo(Duration.ofMillis(1000));
        assertThatThrownBy(() -> RetryPolicy.builder().initialDelay(Duration.ofSeconds(1)).maxDelay(Duration.ofMillis(500)).build())
                .hasMessage("maxDelay PT0.5S is shorter than initialDelay PT1S");
    }
}
