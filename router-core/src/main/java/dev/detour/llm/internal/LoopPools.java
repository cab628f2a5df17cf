package dev.detour.llm.internal;

import dev.detour.core.internal.ServingLoop;
import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolverGroup;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.transport.TransportConfig;

/**
 * Connection pools, one per event loop: a call made on one of Reactor Netty's shared event loops
 * ({@link ServingLoop}) takes a connection from that loop's pool, opened on that loop, so the request, its
 * answer and the work of the caller that made it (a server request on the same loop) stay on one thread, with
 * no hand-off between loops. A call made on any other thread takes one from a shared pool. Each pool is made
 * by the factory, lazily, with its own name.
 */
public final class LoopPools implements ConnectionProvider {

    private final String name;
    private final Function<String, ConnectionProvider> factory;
    private final ConnectionProvider shared;
    private final Map<EventLoop, ConnectionProvider> byLoop = new ConcurrentHashMap<>();
    private final AtomicInteger made = new AtomicInteger();
    private volatile boolean disposed;

    /** Pools named {@code name} (the shared one) and {@code name-loop-N}, each made by {@code factory}. */
    public LoopPools(String name, Function<String, ConnectionProvider> factory) {
        this.name = name;
        this.factory = factory;
        this.shared = factory.apply(name);
    }

    @Override
    public Mono<? extends Connection> acquire(TransportConfig config, ConnectionObserver observer,
                                              Supplier<? extends SocketAddress> remoteAddress,
                                              AddressResolverGroup<?> resolverGroup) {
        return pool().acquire(config, observer, remoteAddress, resolverGroup);
    }

    /** The pool of the event loop this thread runs, or the shared one. */
    ConnectionProvider pool() {
        EventLoop loop = ServingLoop.current();
        if (loop == null || disposed) {
            return shared;
        }
        ConnectionProvider pool = byLoop.get(loop);
        return pool != null ? pool : byLoop.computeIfAbsent(loop, key -> factory.apply(name + "-loop-" + made.getAndIncrement()));
    }

    @Override
    public void disposeWhen(SocketAddress address) {
        shared.disposeWhen(address);
        byLoop.values().forEach(pool -> pool.disposeWhen(address));
    }

    @Override
    public Mono<Void> disposeLater() {
        disposed = true;
        return Flux.concat(shared.disposeLater(), Flux.fromIterable(byLoop.values()).flatMap(ConnectionProvider::disposeLater))
                .then();
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    @Override
    public int maxConnections() {
        return shared.maxConnections();
    }

    @Override
    public String name() {
        return name;
    }
}
