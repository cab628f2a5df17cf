package dev.detour.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpResources;
import reactor.test.StepVerifier;

/** The default clock times on the event loop a timer starts on, and on the parallel scheduler elsewhere. */
class LoopSchedulerTest {

    @Test
    void aTimerStartedOnAnEventLoopFiresOnThatLoop() throws Exception {
        EventLoop loop = HttpResources.get().onServer(true).next();
        CompletableFuture<Thread> fired = new CompletableFuture<>();
        loop.execute(() -> LoopScheduler.INSTANCE.schedule(() -> fired.complete(Thread.currentThread()), 1, TimeUnit.MILLISECONDS));
        Thread thread = fired.get(10, TimeUnit.SECONDS);
        assertThat(loop.inEventLoop(thread)).isTrue();
    }

    @Test
    void aTimerCancelledOnItsLoopNeverFires() throws Exception {
        EventLoop loop = HttpResources.get().onServer(true).next();
        CompletableFuture<Disposable> timer = new CompletableFuture<>();
        boolean[] fired = new boolean[1];
        loop.execute(() -> {
            Disposable started = LoopScheduler.INSTANCE.schedule(() -> fired[0] = true, 20, TimeUnit.MILLISECONDS);
            started.dispose();
            timer.complete(started);
        });
        assertThat(timer.get(10, TimeUnit.SECONDS).isDisposed()).isTrue();
        CompletableFuture<Boolean> later = new CompletableFuture<>();
        loop.schedule(() -> later.complete(fired[0]), 60, TimeUnit.MILLISECONDS);
        assertThat(later.get(10, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void aTimerStartedOnAnotherLibrarysLoopRunsOnTheParallelScheduler() throws Exception {
        DefaultEventLoop foreign = new DefaultEventLoop();
        try {
            CompletableFuture<Thread> fired = new CompletableFuture<>();
            foreign.execute(() -> LoopScheduler.INSTANCE.schedule(() -> fired.complete(Thread.currentThread()), 1, TimeUnit.MILLISECONDS));
            Thread thread = fired.get(10, TimeUnit.SECONDS);
            assertThat(foreign.inEventLoop(thread)).isFalse();
            assertThat(thread.getName()).startsWith("parallel-");
        } finally {
            foreign.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void offTheEventLoopsTimeIsTheParallelSchedulersAsItIsNow() {
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofHours(1), LoopScheduler.INSTANCE))
                .expectSubscription()
                .expectNoEvent(Duration.ofMinutes(59))
                .thenAwait(Duration.ofMinutes(1))
                .expectNext(0L)
                .verifyComplete();
    }
}
