package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.internal.InMemoryBreakerStore;
import dev.detour.core.policy.BreakerPolicy;
import dev.detour.core.policy.FailureKind;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.policy.RetryPolicy;
import dev.detour.core.spi.BreakerListener;
import dev.detour.core.spi.CircuitBreaker;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;

class DetourTest {

    private static Mono<String> failingTimes(int failures, AtomicInteger subscriptions) {
        return Mono.defer(() -> subscriptions.incrementAndGet() <= failures
                ? Mono.error(ProviderException.status(503, "busy"))
                : Mono.just("ok"));
    }

    @Test
    void retryResubscribesTheSourceWithBackoff() {
        AtomicInteger subscriptions = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> failingTimes(2, subscriptions)
                        .transformDeferred(Detour.retry(RetryPolicy.backoff(3, Duration.ofSeconds(1)).jitter(0),
                                Duration.ofSeconds(1), Duration.ofSeconds(10))))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2999))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("ok")
                .verifyComplete();
        assertThat(subscriptions).hasValue(3);
    }

    @Test
    void retryStopsAtTheDeadlineAndNamesTheAttempts() {
        StepVerifier.withVirtualTime(() -> Mono.<String>never()
                        .transformDeferred(Detour.retry(RetryPolicy.backoff(10, Duration.ofMillis(100)).jitter(0)
                                        .retryOn(FailureKind.TIMEOUT), Duration.ofSeconds(1), Duration.ofMillis(2500))))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2499))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(DeadlineExceededException.class)
                        .hasMessage("route 'retry' deadline 2500ms exceeded after 3 attempts: source#1 timeout 1000ms; "
                                + "source#2 timeout 1000ms; source#3 timeout 200ms deadline reached"))
                .verify();
    }

    @Test
    void retryPassesAnErrorItDoesNotRetryThroughUntouched() {
        ProviderException badRequest = ProviderException.status(400, "bad");
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> {
            subscriptions.incrementAndGet();
            return Mono.error(badRequest);
        });
        StepVerifier.create(source.transformDeferred(Detour.retry(RetryPolicy.backoff(3, Duration.ofMillis(1)), null,
                        Duration.ofSeconds(1))))
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(badRequest))
                .verify();
        assertThat(subscriptions).hasValue(1);
    }

    @Test
    void retryLetsAnEmptySourceCompleteEmpty() {
        StepVerifier.create(Mono.<String>empty().transformDeferred(
                        Detour.retry(RetryPolicy.backoff(3, Duration.ofMillis(1)), null, Duration.ofSeconds(1))))
                .verifyComplete();
    }

    @Test
    void fallbackSubscribesToTheAlternativesInOrderOnlyWhenNeeded() {
        PublisherProbe<String> second = PublisherProbe.of(Mono.error(new java.io.IOException("reset")));
        PublisherProbe<String> third = PublisherProbe.of(Mono.just("third"));
        PublisherProbe<String> unused = PublisherProbe.of(Mono.just("unused"));

        StepVerifier.create(Mono.<String>error(ProviderException.status(502, "bad gateway"))
                        .transformDeferred(Detour.fallback(second.mono(), third.mono(), unused.mono())))
                .expectNext("third")
                .verifyComplete();
        second.assertWasSubscribed();
        third.assertWasSubscribed();
        unused.assertWasNotSubscribed();
    }

    @Test
    void fallbackTreatsAnEmptySourceAsAFailure() {
        StepVerifier.create(Mono.<String>empty().transformDeferred(Detour.fallback(Mono.just("cached"))))
                .expectNext("cached")
                .verifyComplete();
    }

    @Test
    void fallbackOnlyOnTheKindsItIsGiven() {
        ProviderException unavailable = ProviderException.status(503, "down");
        PublisherProbe<String> alternative = PublisherProbe.of(Mono.just("alt"));

        StepVerifier.create(Mono.<String>error(unavailable).transformDeferred(
                        Detour.fallback(EnumSet.of(FailureKind.TIMEOUT), List.of(alternative.mono()))))
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(unavailable))
                .verify();
        alternative.assertWasNotSubscribed();
    }

    @Test
    void fallbackWhenEveryAlternativeFailsNamesThemAll() {
        StepVerifier.create(Mono.<String>error(ProviderException.status(500, "x"))
                        .transformDeferred(Detour.fallback(Mono.error(ProviderException.status(503, "y")))))
                .expectErrorMessage("route 'fallback' failed after 2 attempts: source#1 500; fallback-1#1 503")
                .verify();
    }

    @Test
    void cancellingAFallbackChainCancelsTheAlternativeInFlight() {
        PublisherProbe<String> alternative = PublisherProbe.of(Mono.never());
        Disposable subscription = Mono.<String>error(ProviderException.status(500, "x"))
                .transformDeferred(Detour.fallback(alternative.mono()))
                .subscribe();
        alternative.assertWasSubscribed();
        subscription.dispose();
        alternative.assertWasCancelled();
    }

    @Test
    void hedgeRacesAnAlternativeAgainstASlowSourceAndCancelsTheLoser() {
        PublisherProbe<String> slow = PublisherProbe.of(Mono.defer(() -> Mono.delay(Duration.ofSeconds(5)).thenReturn("slow")));
        PublisherProbe<String> replica = PublisherProbe.of(Mono.defer(() -> Mono.delay(Duration.ofMillis(20)).thenReturn("replica")));

        StepVerifier.withVirtualTime(() -> slow.mono().transformDeferred(
                        Detour.hedge(HedgePolicy.after(Duration.ofMillis(100)), replica.mono())))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(119))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("replica")
                .verifyComplete();
        slow.assertWasCancelled();
    }

    @Test
    void anOpenBreakerFailsFastWithoutSubscribingAndACancelIsNotAFailure() {
        CircuitBreaker breaker = new InMemoryBreakerStore().breaker("weather",
                BreakerPolicy.defaults().countWindow(2).minimumCalls(2), BreakerListener.none());
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> down = Mono.defer(() -> {
            subscriptions.incrementAndGet();
            return Mono.error(ProviderException.status(503, "down"));
        });

        Disposable cancelled = Mono.<String>never().transformDeferred(Detour.circuitBreaker(breaker)).subscribe();
        cancelled.dispose();
        for (int i = 0; i < 2; i++) {
            StepVerifier.create(down.transformDeferred(Detour.circuitBreaker(breaker))).verifyError(ProviderException.class);
        }
        StepVerifier.create(down.transformDeferred(Detour.circuitBreaker(breaker)))
                .expectErrorSatisfies(error -> assertThat(((ProviderException) error).failure().kind())
                        .isEqualTo(FailureKind.UNAVAILABLE))
                .verify();
        assertThat(subscriptions).hasValue(2);
        assertThat(breaker.snapshot(0).calls()).isEqualTo(2);
    }
}
