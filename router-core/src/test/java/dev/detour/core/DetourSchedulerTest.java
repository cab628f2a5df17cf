package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.internal.InMemoryBreakerStore;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.BreakerState;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Detour's operators time everything on the scheduler they are given, not on Reactor's parallel one. */
class DetourSchedulerTest {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    @Test
    void retryWaitsAndTimesOutOnTheGivenScheduler() {
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> subscriptions.incrementAndGet() == 1
                ? Mono.<String>never() : Mono.just("ok"));
        AtomicReference<String> answer = new AtomicReference<>();

        source.transformDeferred(Detour.retry(RetryPolicy.backoff(2, Duration.ofSeconds(1)).jitter(0)
                        .retryOn(FailureKind.TIMEOUT), Duration.ofSeconds(1), Duration.ofSeconds(10), clock))
                .subscribe(answer::set);
        clock.advanceTimeBy(Duration.ofMillis(1999));
        assertThat(subscriptions).hasValue(1);
        clock.advanceTimeBy(Duration.ofMillis(1));

        assertThat(answer).hasValue("ok");
        assertThat(subscriptions).hasValue(2);
    }

    @Test
    void hedgeStartsItsHedgeOnTheGivenScheduler() {
        PublisherProbe<String> replica = PublisherProbe.of(Mono.just("replica"));
        AtomicReference<String> answer = new AtomicReference<>();

        Mono.<String>never().transformDeferred(Detour.hedge(HedgePolicy.after(Duration.ofMillis(100)), clock, replica.mono()))
                .subscribe(answer::set);
        clock.advanceTimeBy(Duration.ofMillis(99));
        replica.assertWasNotSubscribed();
        clock.advanceTimeBy(Duration.ofMillis(1));

        assertThat(answer).hasValue("replica");
    }

    @Test
    void fallbackClocksItsAttemptsOnTheGivenScheduler() {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Mono<String> slowFailure = Mono.<String>error(ProviderException.status(503, "busy"))
                .delaySubscription(Duration.ofMillis(300), clock);

        slowFailure.transformDeferred(Detour.fallback(EnumSet.of(FailureKind.SERVER_ERROR),
                        List.of(Mono.error(ProviderException.status(503, "down"))), clock))
                .subscribe(answer -> { }, failed::set);
        clock.advanceTimeBy(Duration.ofMillis(300));

        assertThat(failed.get()).isInstanceOf(RouteFailedException.class);
        List<Attempt> attempts = ((RouteFailedException) failed.get()).attempts();
        assertThat(attempts).extracting(Attempt::duration).containsExactly(Duration.ofMillis(300), Duration.ZERO);
    }

    @Test
    void circuitBreakerTimesOutAndClocksOnTheGivenScheduler() {
        clock.advanceTimeBy(Duration.ofSeconds(1));
        CircuitBreaker breaker = new InMemoryBreakerStore().breaker("source",
                BreakerPolicy.defaults().countWindow(1).minimumCalls(1), BreakerListener.none());
        AtomicReference<Throwable> failed = new AtomicReference<>();

        Mono.<String>never().transformDeferred(Detour.circuitBreaker(breaker, Duration.ofMillis(5), clock))
                .subscribe(answer -> { }, failed::set);
        clock.advanceTimeBy(Duration.ofMillis(5));

        assertThat(failed.get()).isInstanceOf(TimeoutException.class);
        assertThat(breaker.snapshot(clock.now(TimeUnit.NANOSECONDS)).failures()).isEqualTo(1);
        assertThat(breaker.state(clock.now(TimeUnit.NANOSECONDS))).isEqualTo(BreakerState.OPEN);
    }
}
