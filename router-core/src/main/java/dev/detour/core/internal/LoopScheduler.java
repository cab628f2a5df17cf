package dev.detour.core.internal;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A router's default clock: a timer started on one of Reactor Netty's shared event loops ({@link ServingLoop};
 * a request a server serves there, or an answer read there) runs on that loop, so that starting and cancelling
 * it never wakes another thread; a timer started anywhere else, and the time now, are
 * {@link Schedulers#parallel()}'s as it is at that moment (so virtual time applies to tests off the loops).
 * Work without a delay, workers and periodic tasks are the parallel scheduler's.
 */
public final class LoopScheduler implements Scheduler {

    /** The one instance. */
    public static final Scheduler INSTANCE = new LoopScheduler();

    private LoopScheduler() {
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        EventLoop loop = ServingLoop.current();
        if (loop == null) {
            return Schedulers.parallel().schedule(task, delay, unit);
        }
        return new Timer(loop.schedule(Schedulers.onSchedule(task), delay, unit));
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
            try {
                future.cancel(false);
            } catch (RejectedExecutionException loopTerminated) {
                // the loop is gone, and its timers with it
            }
        }

        @Override
        public boolean isDisposed() {
            return future.isDone();
        }
    }
}
