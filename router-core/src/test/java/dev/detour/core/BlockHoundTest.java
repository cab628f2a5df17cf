package dev.detour.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** BlockHound is installed in every test JVM: a blocking call on a non-blocking thread must fail. */
class BlockHoundTest {

    @Test
    void aBlockingCallOnAParallelThreadIsCaught() {
        Mono<String> blocking = Mono.fromCallable(() -> {
            Thread.sleep(1);
            return "slept";
        }).subscribeOn(Schedulers.parallel());

        StepVerifier.create(blocking)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(BlockingOperationError.class)
                        .hasMessageContaining("Thread.sleep"))
                .verify(Duration.ofSeconds(10));
    }
}
