package dev.detour.core.internal;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A router's default clock: a timer started on a Netty event loop (a request a server serves there) runs on
 * that loop, so that starting and cancelling it never wakes another thread; a timer started anywhere else, and
 * the time now, are {@link Schedulers#parallel()}'s as it is at that moment (so virtual time in tests applies).
 * Work without a delay, workers and periodic tasks are the parallel scheduler's.
 */
public final class LoopScheduler implements Scheduler {

    /** The one instance. */
    public static final Scheduler INSTANCE = new LoopScheduler();

    private LoopScheduler() {
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        if (loop == null || loop.isShuttingDown()) {
            return Schedulers.parallel().schedule(task, delay, unit);
        }
        ScheduledFuture<?> timer = loop.schedule(task, delay, unit);
        return new Timer(timer);
    }

    @Override
    public Disposable schedule(Runnable task) {
        return Schedulers.parallel().schedule(task);
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        return Schedulers.parallel().schedulePeriodically(task, initialDelay, period, unit);
    }

    @Override
    public long now(TimeUnit unit) {
        return Schedulers.parallel().now(unit);
    }

    @Override
    public Worker createWorker() {
        return Schedulers.parallel().createWorker();
    }

    @Override
    public String toString() {
        return "LoopScheduler";
    }

    private record Timer(ScheduledFuture<?> future) implements Disposable {

        @Override
        public void dispose() {
            future.cancel(false);
        }

        @Override
        public boolean isDisposed() {
            return future.isDone();
        }
    }
}
