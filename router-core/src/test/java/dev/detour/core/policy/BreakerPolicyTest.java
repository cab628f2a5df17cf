package dev.detour.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BreakerPolicyTest {

    private final BreakerPolicy defaults = BreakerPolicy.defaults();

    @Test
    void defaultsCountTheLastTwentyCallsAndOpenAtHalfFailingForThirtySeconds() {
        assertThat(defaults.enabled()).isTrue();
        assertThat(defaults.timeBased()).isFalse();
        assertThat(defaults.countWindow()).isEqualTo(20);
        assertThat(defaults.timeWindow()).isEqualTo(Duration.ZERO);
        assertThat(defaults.minimumCalls()).isEqualTo(10);
        assertThat(defaults.failureRate()).isEqualTo(0.5);
        assertThat(defaults.tripsOnSlowCalls()).isFalse();
        assertThat(defaults.slowerThan()).isEqualTo(Duration.ZERO);
        assertThat(defaults.slowCallRate()).isZero();
        assertThat(defaults.openFor()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.halfOpenProbes()).isEqualTo(3);
        assertThat(defaults.recordOn()).containsExactlyInAnyOrder(FailureKind.TIMEOUT, FailureKind.CONNECTION,
                FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED, FailureKind.REQUEST_TIMEOUT, FailureKind.ERROR);
        assertThat(defaults.records(FailureKind.CLIENT_ERROR)).isFalse();
        assertThat(defaults.records(FailureKind.INVALID)).isFalse();
        assertThat(defaults).hasToString("BreakerPolicy[countWindow=20, minimumCalls=10, failureRate=0.5, "
                + "openFor=PT30S, halfOpenProbes=3, recordOn=[TIMEOUT, CONNECTION, SERVER_ERROR, RATE_LIMITED, "
                + "REQUEST_TIMEOUT, ERROR]]");
    }

    @Test
    void settersReturnCopiesAndLeaveTheOriginalAlone() {
        BreakerPolicy custom = defaults.countWindow(50).minimumCalls(5).failureRate(0.25)
                .slowCalls(Duration.ofSeconds(2), 0.8).openFor(Duration.ofSeconds(10)).halfOpenProbes(1)
                .recordOn(FailureKind.TIMEOUT, FailureKind.SERVER_ERROR);

        assertThat(custom).isNotSameAs(defaults);
        assertThat(custom.countWindow()).isEqualTo(50);
        assertThat(custom.minimumCalls()).isEqualTo(5);
        assertThat(custom.failureRate()).isEqualTo(0.25);
        assertThat(custom.tripsOnSlowCalls()).isTrue();
        assertThat(custom.slowerThan()).isEqualTo(Duration.ofSeconds(2));
        assertThat(custom.slowCallRate()).isEqualTo(0.8);
        assertThat(custom.openFor()).isEqualTo(Duration.ofSeconds(10));
        assertThat(custom.halfOpenProbes()).isEqualTo(1);
        assertThat(custom.recordOn()).containsExactlyInAnyOrder(FailureKind.TIMEOUT, FailureKind.SERVER_ERROR);
        assertThat(custom.records(FailureKind.CONNECTION)).isFalse();
        assertThat(custom).hasToString("BreakerPolicy[countWindow=50, minimumCalls=5, failureRate=0.25, "
                + "slowerThan=PT2S, slowCallRate=0.8, openFor=PT10S, halfOpenProbes=1, recordOn=[TIMEOUT, SERVER_ERROR]]");

        assertThat(defaults.countWindow()).isEqualTo(20);
        assertThat(defaults.minimumCalls()).isEqualTo(10);
        assertThat(defaults.tripsOnSlowCalls()).isFalse();
        assertThat(defaults.records(FailureKind.CONNECTION)).isTrue();
    }

    @Test
    void aTimeWindowReplacesTheCountWindowAndBack() {
        BreakerPolicy timed = defaults.timeWindow(Duration.ofSeconds(10));
        assertThat(timed.timeBased()).isTrue();
        assertThat(timed.timeWindow()).isEqualTo(Duration.ofSeconds(10));
        assertThat(timed.countWindow()).isZero();
        assertThat(timed.toString()).startsWith("BreakerPolicy[timeWindow=PT10S, minimumCalls=10");

        BreakerPolicy counted = timed.countWindow(7);
        assertThat(counted.timeBased()).isFalse();
        assertThat(counted.countWindow()).isEqualTo(7);
        assertThat(counted.timeWindow()).isEqualTo(Duration.ZERO);
        assertThat(defaults.timeWindow(Duration.ofMillis(10)).timeWindow()).isEqualTo(Duration.ofMillis(10));
    }

    @Test
    void aDisabledPolicyStaysDisabledThroughItsCopies() {
        BreakerPolicy disabled = BreakerPolicy.disabled();
        assertThat(disabled.enabled()).isFalse();
        assertThat(disabled).hasToString("BreakerPolicy[disabled]");
        BreakerPolicy copy = disabled.countWindow(5).openFor(Duration.ofSeconds(1));
        assertThat(copy.enabled()).isFalse();
        assertThat(copy.countWindow()).isEqualTo(5);
        assertThat(defaults.countWindow(5).enabled()).isTrue();
    }

    @Test
    void badValuesAreRefusedWithTheirName() {
        assertThatThrownBy(() -> defaults.countWindow(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("countWindow must be at least 1, was 0");
        assertThatThrownBy(() -> defaults.timeWindow(Duration.ofMillis(9)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeWindow must be at least 10ms, was PT0.009S");
        assertThatThrownBy(() -> defaults.timeWindow(null))
                .isInstanceOf(NullPointerException.class).hasMessage("timeWindow");
        assertThatThrownBy(() -> defaults.minimumCalls(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("minimumCalls must be at least 1, was 0");
        assertThatThrownBy(() -> defaults.failureRate(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("failureRate must be above 0 and at most 1, was 0.0");
        assertThatThrownBy(() -> defaults.failureRate(1.01))
                .hasMessage("failureRate must be above 0 and at most 1, was 1.01");
        assertThatThrownBy(() -> defaults.failureRate(Double.NaN))
                .hasMessage("failureRate must be above 0 and at most 1, was NaN");
        assertThatThrownBy(() -> defaults.slowCalls(Duration.ZERO, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("slowerThan must be positive, was PT0S");
        assertThatThrownBy(() -> defaults.slowCalls(Duration.ofSeconds(-1), 0.5))
                .hasMessage("slowerThan must be positive, was PT-1S");
        assertThatThrownBy(() -> defaults.slowCalls(null, 0.5))
                .isInstanceOf(NullPointerException.class).hasMessage("slowerThan");
        assertThatThrownBy(() -> defaults.slowCalls(Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("slowCallRate must be above 0 and at most 1, was 0.0");
        assertThatThrownBy(() -> defaults.slowCalls(Duration.ofSeconds(1), 2))
                .hasMessage("slowCallRate must be above 0 and at most 1, was 2.0");
        assertThatThrownBy(() -> defaults.openFor(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("openFor must be positive, was PT0S");
        assertThatThrownBy(() -> defaults.openFor(null))
                .isInstanceOf(NullPointerException.class).hasMessage("openFor");
        assertThatThrownBy(() -> defaults.halfOpenProbes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("halfOpenProbes must be at least 1, was 0");
    }

    @Test
    void theBoundaryValuesAreAccepted() {
        assertThat(defaults.failureRate(1).failureRate()).isEqualTo(1.0);
        assertThat(defaults.slowCalls(Duration.ofNanos(1), 1).slowCallRate()).isEqualTo(1.0);
        assertThat(defaults.openFor(Duration.ofNanos(1)).openFor()).isEqualTo(Duration.ofNanos(1));
    }

    @Test
    void theBuilderStartsFromTheDefaultsAndRefusesAWindowTooShortToOpen() {
        assertThat(BreakerPolicy.builder().build()).hasToString(defaults.toString());
        BreakerPolicy built = BreakerPolicy.builder().countWindow(5).minimumCalls(5).slowCalls(Duration.ofSeconds(2)).build();
        assertThat(built.minimumCalls()).isEqualTo(5);
        assertThat(built.slowCallRate()).isEqualTo(BreakerPolicy.DEFAULT_SLOW_CALL_RATE);
        assertThatThrownBy(() -> BreakerPolicy.builder().countWindow(5).minimumCalls(10).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("minimumCalls 10 is more than the window (5 calls), so the breaker could never open");
        assertThat(BreakerPolicy.builder().countWindow(5).build().minimumCalls()).isEqualTo(10);
        assertThat(BreakerPolicy.builder().timeWindow(Duration.ofSeconds(10)).minimumCalls(100).build().minimumCalls())
                .isEqualTo(100);
        assertThat(BreakerPolicy.disabled().toBuilder().countWindow(3).build().enabled()).isFalse();
    }
}
