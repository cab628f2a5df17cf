package dev.detour.llm.internal;

import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.transport.TransportConfig;

/**
 * Connection pools, one per event loop: a call made on an event loop takes a connection from that loop's
 * pool, opened on that loop, so the request, its answer and the work of the caller that made it (a server
 * request on the same loop) stay on one thread, with no hand-off between loops. A call made on any other
 * thread takes one from a shared pool. Each pool is made by the factory, lazily, with its own name.
 */
public final class LoopPools implements ConnectionProvider {

    private final String name;
    private final Function<String, ConnectionProvider> factory;
    private final ConnectionProvider shared;
    private final Map<EventExecutor, ConnectionProvider> byLoop = new ConcurrentHashMap<>();

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
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        if (loop == null) {
            return shared;
        }
        ConnectionProvider pool = byLoop.get(loop);
        return pool != null ? pool : byLoop.computeIfAbsent(loop, key -> factory.apply(name + "-loop-" + byLoop.size()));
    }

    @Override
    public void disposeWhen(SocketAddress address) {
        shared.disposeWhen(address);
        byLoop.values().forEach(pool -> pool.disposeWhen(address));
    }

    @Override
    public Mono<Void> disposeLater() {
        return Flux.concat(shared.disposeLater(), Flux.fromIterable(byLoop.values()).flatMap(ConnectionProvider::disposeLater))
                .then();
    }

    @Override
    public boolean isDisposed() {
        return shared.isDisposed();
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
