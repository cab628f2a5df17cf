package dev.detour.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.llm.HttpSettings;
import dev.detour.sim.SimulatedProvider;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.HttpClient;

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
    void aCallMadeOffTheEventLoopsUsesTheSharedPool() {
        HttpClient client = HttpSettings.of(sim.baseUrl()).client("q");
        for (int i = 0; i < 2; i++) {
            Integer status = client.get().uri("/v1/nothing").responseSingle((response, body) ->
                    body.asString().defaultIfEmpty("").thenReturn(response.status().code())).block(Duration.ofSeconds(10));
            assertThat(status).isEqualTo(404);
        }
    }
}
