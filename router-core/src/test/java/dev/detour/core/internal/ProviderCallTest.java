package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Failure;
import dev.detour.core.policy.FailureKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class ProviderCallTest {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    /** Judges "bad" as invalid; records what the call tells it. */
    private static final class Recording extends ProviderCall<String> {

        final List<Judgement<String>> settled = new CopyOnWriteArrayList<>();
        final AtomicInteger cancelled = new AtomicInteger();
        final List<String> discarded = new CopyOnWriteArrayList<>();
        Duration timedOutAfter;

        @Override
        protected Judgement<String> judge(String value) {
            return value.equals("bad") ? Judgement.rejected(value, Failure.invalid("bad"), Double.NaN)
                    : Judgement.accepted(value);
        }

        @Override
        protected Failure classify(Throwable error) {
            return Failure.connection("classified " + error.getMessage());
        }

        @Override
        protected Failure timedOut(Duration after, Throwable timeout) {
            assertThat(timeout).isInstanceOf(TimeoutException.class);
            timedOutAfter = after;
            return Failure.timeout(after);
        }

        @Override
        protected Verdict<String> settled(Judgement<String> judgement) {
            settled.add(judgement);
            return Verdict.of("p", 0, 1, 0, 0, false, judgement);
        }

        @Override
        protected void cancelled() {
            cancelled.incrementAndGet();
        }

        @Override
        protected void discard(String value) {
            discarded.add(value);
        }
    }

    @Test
    void anAnswerIsJudgedAndSettledOnce() {
        Recording call = new Recording();
        StepVerifier.create(call.mono(Mono.just("ok"), Duration.ofSeconds(1), clock))
                .assertNext(verdict -> assertThat(verdict.value()).isEqualTo("ok"))
                .verifyComplete();
        assertThat(call.settled).hasSize(1);
        assertThat(call.cancelled).hasValue(0);
        assertThat(call.discarded).isEmpty();
    }

    @Test
    void aRejectedAnswerIsSettledWithItsRejection() {
        Recording call = new Recording();
        StepVerifier.create(call.mono(Mono.just("bad"), null, clock))
                .assertNext(verdict -> {
                    assertThat(verdict.value()).isEqualTo("bad");
                    assertThat(verdict.failure().kind()).isEqualTo(FailureKind.INVALID);
                })
                .verifyComplete();
    }

    @Test
    void anErrorIsClassifiedAndAnEmptyCallIsAnEmptyAnswer() {
        Recording failing = new Recording();
        StepVerifier.create(failing.mono(Mono.error(new IllegalStateException("refused")), null, clock))
                .assertNext(verdict -> assertThat(verdict.failure()).hasToString("connection: classified refused"))
                .verifyComplete();
        Recording empty = new Recording();
        StepVerifier.create(empty.mono(Mono.empty(), null, clock))
                .assertNext(verdict -> assertThat(verdict.failure().kind()).isEqualTo(FailureKind.EMPTY))
                .verifyComplete();
    }

    @Test
    void detoursOwnTimeoutIsToldApartFromAProvidersTimeout() {
        Recording call = new Recording();
        StepVerifier.create(call.mono(Mono.never(), Duration.ofMillis(200), clock))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(200)))
                .assertNext(verdict -> assertThat(verdict.failure().kind()).isEqualTo(FailureKind.TIMEOUT))
                .verifyComplete();
        assertThat(call.timedOutAfter).isEqualTo(Duration.ofMillis(200));
        assertThat(call.settled.get(0).timedOut()).isTrue();

        Recording provider = new Recording();
        StepVerifier.create(provider.mono(Mono.error(new TimeoutException("upstream")), Duration.ofMillis(200), clock))
                .assertNext(verdict -> assertThat(verdict.failure().kind()).isEqualTo(FailureKind.CONNECTION))
                .verifyComplete();
        assertThat(provider.settled.get(0).timedOut()).isFalse();
    }

    @Test
    void aCancelledCallIsCancelledOnceAndNeverSettled() {
        Recording call = new Recording();
        Sinks.One<String> answer = Sinks.one();
        Disposable subscription = call.mono(answer.asMono(), null, clock).subscribe();
        subscription.dispose();
        subscription.dispose();

        assertThat(call.cancelled).hasValue(1);
        assertThat(call.settled).isEmpty();
        assertThat(answer.currentSubscriberCount()).isZero();
    }

    @Test
    void anAnswerArrivingAfterTheCancellationIsDiscarded() {
        AtomicReference<Subscriber<? super String>> provider = new AtomicReference<>();
        Mono<String> deaf = Mono.from(subscriber -> {
            subscriber.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            provider.set(subscriber);
        });
        Recording call = new Recording();
        List<Verdict<String>> received = new CopyOnWriteArrayList<>();
        Disposable subscription = call.mono(deaf, null, clock).subscribe(received::add);

        subscription.dispose();
        provider.get().onNext("late");

        assertThat(received).isEmpty();
        assertThat(call.settled).isEmpty();
        assertThat(call.cancelled).hasValue(1);
        assertThat(call.discarded).containsExactly("late");
    }
}
