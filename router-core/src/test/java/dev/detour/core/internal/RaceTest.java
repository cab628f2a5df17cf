package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Failure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;

class RaceTest {

    private static final Duration HEDGE = Duration.ofMillis(100);
    private static final Failure BUSY = Failure.status(503, null, "busy");

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    private static Verdict<String> answer(int k) {
        return new Verdict<>("p" + k, 0, 1, 0, 0, false, "answer " + k, null, Double.NaN, 1);
    }

    private static Verdict<String> failure(int k) {
        return Verdict.unjudged("p" + k, 0, 1, 0, 0, BUSY);
    }

    /** Racers whose calls come from {@code calls}; records what the race tells them. */
    private static class Racers implements Race.Racers<String> {

        final IntFunction<Mono<Verdict<String>>> calls;
        final List<Integer> called = new CopyOnWriteArrayList<>();
        final List<Integer> hedged = new CopyOnWriteArrayList<>();
        final List<Verdict<String>> lost = new CopyOnWriteArrayList<>();
        final List<Verdict<String>> abandoned = new CopyOnWriteArrayList<>();
        volatile boolean mayStart = true;

        Racers(IntFunction<Mono<Verdict<String>>> calls) {
            this.calls = calls;
        }

        @Override
        public Mono<Verdict<String>> call(int k) {
            called.add(k);
            return calls.apply(k);
        }

        @Override
        public boolean mayStart(int k) {
            return mayStart;
        }

        @Override
        public Duration delay() {
            return HEDGE;
        }

        @Override
        public void hedged(int k, Duration delay) {
            assertThat(delay).isEqualTo(HEDGE);
            hedged.add(k);
        }

        @Override
        public void lost(Verdict<String> verdict) {
            lost.add(verdict);
        }

        @Override
        public void abandoned(Verdict<String> verdict) {
            abandoned.add(verdict);
        }
    }

    private Mono<Verdict<String>> race(Racers racers, int positions, int maxHedges) {
        return new Race<>(racers, positions, maxHedges, clock).mono();
    }

    private Mono<Verdict<String>> after(long millis, Verdict<String> verdict) {
        return Mono.delay(Duration.ofMillis(millis), clock).thenReturn(verdict);
    }

    @Test
    void theFirstAnswerWinsAndTheOthersAreCancelled() {
        PublisherProbe<Verdict<String>> slow = PublisherProbe.of(Mono.never());
        Racers racers = new Racers(k -> k == 0 ? slow.mono() : Mono.just(answer(k)));

        StepVerifier.create(race(racers, 3, 1))
                .then(() -> clock.advanceTimeBy(HEDGE.minusMillis(1)))
                .then(() -> assertThat(racers.called).containsExactly(0))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(1)))
                .expectNext(answer(1).spanning(2))
                .verifyComplete();
        slow.assertWasCancelled();
        assertThat(racers.hedged).containsExactly(1);
        assertThat(racers.lost).isEmpty();
        assertThat(racers.abandoned).isEmpty();
    }

    @Test
    void theFirstRacerAnsweringBeforeItsHedgeIsDueWinsAlone() {
        Racers racers = new Racers(k -> after(50, answer(k)));

        StepVerifier.create(race(racers, 3, 1))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(50)))
                .expectNext(answer(0))
                .verifyComplete();
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(racers.called).containsExactly(0);
    }

    @Test
    void aFailureWhileAnotherRacerIsInFlightIsLostAndTheRaceGoesOn() {
        Racers racers = new Racers(k -> k == 0 ? after(150, answer(0)) : Mono.just(failure(1)));

        StepVerifier.create(race(racers, 3, 1))
                .then(() -> clock.advanceTimeBy(HEDGE))
                .then(() -> assertThat(racers.lost).containsExactly(failure(1)))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(50)))
                .expectNext(answer(0).spanning(2))
                .verifyComplete();
    }

    @Test
    void aFailureWithNothingElseInFlightEndsTheRaceAtOnce() {
        Racers racers = new Racers(k -> after(10, failure(k)));

        StepVerifier.create(race(racers, 3, 1))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(10)))
                .expectNext(failure(0))
                .verifyComplete();
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(racers.called).containsExactly(0);
        assertThat(racers.hedged).isEmpty();
    }

    @Test
    void theLastFailureEndsARaceWhoseRacersAllFailed() {
        Racers racers = new Racers(k -> k == 0 ? after(150, failure(0)) : after(10, failure(1)));

        StepVerifier.create(race(racers, 3, 1))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(150)))
                .expectNext(failure(0).spanning(2))
                .verifyComplete();
        assertThat(racers.lost).containsExactly(failure(1));
    }

    @Test
    void hedgesStopAtTheMostThePolicyAllows() {
        Racers racers = new Racers(k -> Mono.never());

        race(racers, 5, 2).subscribe();
        clock.advanceTimeBy(Duration.ofSeconds(10));

        assertThat(racers.called).containsExactly(0, 1, 2);
        assertThat(racers.hedged).containsExactly(1, 2);
    }

    @Test
    void aHedgeTheRequestMayNotStartIsNeitherStartedNorRescheduled() {
        Racers racers = new Racers(k -> Mono.never());
        racers.mayStart = false;

        race(racers, 3, 3).subscribe();
        clock.advanceTimeBy(Duration.ofSeconds(10));

        assertThat(racers.called).containsExactly(0);
        assertThat(racers.hedged).isEmpty();
    }

    @Test
    void theWinnerSpansNoMorePositionsThanTheTierHas() {
        Racers racers = new Racers(k -> k < 2 ? Mono.never() : Mono.just(answer(k)));

        StepVerifier.create(race(racers, 1, 2))
                .then(() -> clock.advanceTimeBy(HEDGE.multipliedBy(2)))
                .expectNext(answer(2))
                .verifyComplete();
    }

    @Test
    void cancellingTheRaceCancelsEveryRacerAndItsTimer() {
        PublisherProbe<Verdict<String>> first = PublisherProbe.of(Mono.never());
        Racers racers = new Racers(k -> first.mono());

        Disposable subscription = race(racers, 3, 1).subscribe();
        clock.advanceTimeBy(Duration.ofMillis(50));
        subscription.dispose();
        clock.advanceTimeBy(Duration.ofSeconds(1));

        first.assertWasCancelled();
        assertThat(racers.called).containsExactly(0);
        assertThat(racers.abandoned).isEmpty();
    }

    @Test
    void aRacerThatBreaksEndsTheRaceWithItsError() {
        PublisherProbe<Verdict<String>> first = PublisherProbe.of(Mono.never());
        IllegalStateException broken = new IllegalStateException("broken");
        Racers racers = new Racers(k -> k == 0 ? first.mono() : Mono.error(broken));

        StepVerifier.create(race(racers, 3, 1))
                .then(() -> clock.advanceTimeBy(HEDGE))
                .verifyErrorSatisfies(error -> assertThat(error).isSameAs(broken));
        first.assertWasCancelled();
    }

    /** Racers answering on other threads while callers cancel: every verdict ends up exactly once somewhere. */
    @Test
    void everyVerdictIsWonLostOrAbandonedExactlyOnceUnderContention() throws InterruptedException {
        int races = 2000;
        AtomicInteger emitted = new AtomicInteger();
        AtomicInteger won = new AtomicInteger();
        AtomicInteger accounted = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(races);
        ConcurrentHashMap<Integer, Boolean> multiple = new ConcurrentHashMap<>();
        for (int i = 0; i < races; i++) {
            int race = i;
            AtomicInteger results = new AtomicInteger();
            Racers racers = new Racers(k -> Mono.fromSupplier(() -> race % 3 == k ? failure(k) : answer(k))
                    .doOnNext(verdict -> emitted.incrementAndGet())
                    .subscribeOn(Schedulers.parallel())) {
                @Override
                public Duration delay() {
                    return Duration.ZERO;
                }

                @Override
                public void hedged(int k, Duration delay) {
                }

                @Override
                public void lost(Verdict<String> verdict) {
                    accounted.incrementAndGet();
                }

                @Override
                public void abandoned(Verdict<String> verdict) {
                    accounted.incrementAndGet();
                }
            };
            // A BaseSubscriber takes a value that arrives as it is disposed (a lambda subscriber would drop it,
            // where the engine's own operators hand it to the discard hook): each delivered verdict counts as won.
            BaseSubscriber<Verdict<String>> subscription = new BaseSubscriber<>() {
                @Override
                protected void hookOnNext(Verdict<String> verdict) {
                    won.incrementAndGet();
                    if (results.incrementAndGet() > 1) {
                        multiple.put(race, true);
                    }
                }

                @Override
                protected void hookFinally(reactor.core.publisher.SignalType type) {
                    finished.countDown();
                }
            };
            new Race<>(racers, 3, 2, Schedulers.parallel()).mono().subscribe(subscription);
            if (race % 2 == 0) {
                Schedulers.parallel().schedule(subscription::dispose);
            }
        }
        assertThat(finished.await(20, TimeUnit.SECONDS)).isTrue();
        // a racer cancelled as its answer comes out counts that answer as lost a moment after it was emitted
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (won.get() + accounted.get() != emitted.get() && System.nanoTime() < until) {
            Mono.delay(Duration.ofMillis(5)).block();
        }
        assertThat(multiple).isEmpty();
        assertThat(won.get() + accounted.get()).isEqualTo(emitted.get());
    }
}
