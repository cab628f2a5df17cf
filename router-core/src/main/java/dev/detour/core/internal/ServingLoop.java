package dev.detour.core.internal;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import reactor.netty.http.HttpResources;
import reactor.netty.resources.LoopResources;

/**
 * The Reactor Netty event loop the calling thread runs: one of the loops Reactor Netty's servers and clients
 * share ({@link HttpResources}), which live as long as the application. Loops of other libraries (Lettuce's,
 * an application's own) do not count: their shutdown would drop timers started on them.
 */
public final class ServingLoop {

    private ServingLoop() {
    }

    /** The shared Reactor Netty event loop this thread runs, or null on any other thread. */
    public static EventLoop current() {
        EventExecutor executor = ThreadExecutorMap.currentExecutor();
        if (!(executor instanceof EventLoop loop) || loop.isShuttingDown()) {
            return null;
        }
        return loop.parent() == HttpResources.get().onServer(LoopResources.DEFAULT_NATIVE) ? loop : null;
    }
}
