package dev.detour.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.llm.HttpSettings;
import dev.detour.sim.SimulatedProvider;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** A provider's client keeps each call on the event loop that made it, over real sockets. */
class LoopPoolsTest {

    private static SimulatedProvider sim;

    @BeforeAll
    static void start() {
        sim = SimulatedProvider.builder().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void aCallMadeOnAnEventLoopGoesOutOverAConnectionOfThatLoop() {
        List<EventLoop> used = new CopyOnWriteArrayList<>();
        List<Channel> channels = new CopyOnWriteArrayList<>();
        HttpClient client = HttpSettings.of(sim.baseUrl()).client("p").doOnRequest((request, connection) -> {
            used.add(connection.channel().eventLoop());
            channels.add(connection.channel());
        });
        EventLoopGroup loops = HttpResources.get().onServer(true);
        EventLoop first = loops.next();
        EventLoop second = loops.next();
        assertThat(second).isNotSameAs(first);

        for (EventLoop loop : List.of(first, first, second, second, first)) {
            Integer status = Mono.defer(() -> client.get().uri("/v1/nothing").responseSingle((response, body) ->
                            body.asString().defaultIfEmpty("").thenReturn(response.status().code())))
                    .subscribeOn(Schedulers.fromExecutor(loop))
                    .block(Duration.ofSeconds(10));
            assertThat(status).isEqualTo(404);
        }

        assertThat(used).containsExactly(first, first, second, second, first);
        assertThat(channels.get(1)).isSameAs(channels.get(0));
        assertThat(channels.get(3)).isSameAs(channels.get(2)).isNotSameAs(channels.get(0));
        assertThat(channels.get(4)).isSameAs(channels.get(0));
    }

    @Test
    void callsOffReactorNettysLoopsTakeTheSharedPoolAndEachSharedLoopGetsItsOwn() throws Exception {
        List<String> made = new CopyOnWriteArrayList<>();
        LoopPools pools = new LoopPools("x", name -> {
            made.add(name);
            return ConnectionProvider.builder(name).maxConnections(1).build();
        });
        EventLoopGroup shared = HttpResources.get().onServer(true);
        EventLoop first = shared.next();
        EventLoop second = shared.next();
        DefaultEventLoop foreign = new DefaultEventLoop();
        try {
            ConnectionProvider offLoop = pools.pool();
            ConnectionProvider onFirst = first.submit(pools::pool).get(10, TimeUnit.SECONDS);
            ConnectionProvider againOnFirst = first.submit(pools::pool).get(10, TimeUnit.SECONDS);
            ConnectionProvider onSecond = second.submit(pools::pool).get(10, TimeUnit.SECONDS);
            ConnectionProvider onForeign = foreign.submit(pools::pool).get(10, TimeUnit.SECONDS);

            assertThat(offLoop.name()).isEqualTo("x");
            assertThat(onForeign).as("a loop of another library").isSameAs(offLoop);
            assertThat(onFirst).isSameAs(againOnFirst).isNotSameAs(offLoop).isNotSameAs(onSecond);
            assertThat(made).containsExactly("x", "x-loop-0", "x-loop-1");

            pools.disposeLater().block(Duration.ofSeconds(10));
            assertThat(pools.isDisposed()).isTrue();
            assertThat(first.submit(pools::pool).get(10, TimeUnit.SECONDS)).as("no new pool once disposed").isSameAs(offLoop);
        } finally {
            foreign.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSmallLimitStaysWholeInOnePool() {
        List<EventLoop> used = new CopyOnWriteArrayList<>();
        HttpClient client = HttpSettings.of(sim.baseUrl()).pool(1, 10).client("small")
                .doOnRequest((request, connection) -> used.add(connection.channel().eventLoop()));
        EventLoopGroup loops = HttpResources.get().onServer(true);
        EventLoop first = loops.next();
        EventLoop second = loops.next();
        for (EventLoop loop : List.of(first, second)) {
            Mono.defer(() -> client.get().uri("/v1/nothing").responseSingle((response, body) -> body.asString().then()))
                    .subscribeOn(Schedulers.fromExecutor(loop))
                    .block(Duration.ofSeconds(10));
        }
        assertThat(used).as("one connection in all: the second call takes the first one, on the first loop").containsExactly(first, first);
    }
}
