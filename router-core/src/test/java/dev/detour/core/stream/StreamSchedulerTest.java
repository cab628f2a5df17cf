package dev.detour.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

/** A stream's idle timer runs on its router's scheduler, not on Reactor's parallel one. */
class StreamSchedulerTest {

    @Test
    void theIdleTimerRunsOnTheRoutersScheduler() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        Router router = Router.builder().scheduler(clock).build();
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(Provider.of("a", (request, context) -> Started.of(Flux.concat(Flux.just("first"), Flux.never()))))
                .build();
        StreamRoute<String, String> chat = StreamRoute.of(route).finalWhen(element -> element.endsWith("!"))
                .idleTimeout(Duration.ofSeconds(2)).build();
        List<String> received = new ArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();

        chat.stream("hi").subscribe(received::add, failed::set);
        clock.advanceTimeBy(Duration.ofMillis(1999));

        assertThat(received).containsExactly("first");
        assertThat(failed).hasValue(null);
        clock.advanceTimeBy(Duration.ofMillis(1));
        assertThat(failed.get()).isInstanceOf(MidStreamException.class).hasMessageContaining("timeout");
    }

    @Test
    void startedTimesItsIdleTimeoutOnTheGivenScheduler() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Started.of(Flux.concat(Flux.just("first"), Flux.<String>never())).subscribe(started -> {
            started.idleTimeout(Duration.ofMillis(500), clock);
            started.rest().subscribe(element -> { }, failed::set);
        });

        clock.advanceTimeBy(Duration.ofMillis(499));
        assertThat(failed).hasValue(null);
        clock.advanceTimeBy(Duration.ofMillis(1));
        assertThat(failed.get()).isInstanceOf(TimeoutException.class).hasMessage("no chunk for 500ms");
    }
}
