package dev.detour.state.redis;

import dev.detour.core.spi.Counters;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import reactor.core.publisher.Mono;

/** Fixed-window counters in memory, what {@link RedisCounters} counts in while Redis is away (unless given others). */
final class LocalCounters implements Counters {

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private final LongSupplier epochMillis;

    LocalCounters(LongSupplier epochMillis) {
        this.epochMillis = epochMillis;
    }

    @Override
    public Mono<Long> add(String key, long amount, Duration window) {
        long length = window.toMillis();
        long index = epochMillis.getAsLong() / length;
        Window current = windows.compute(key + '/' + length,
                (k, w) -> w != null && w.index == index ? w : new Window(index));
        return Mono.just(current.total.addAndGet(amount));
    }

    @Override
    public Duration untilWindowEnds(Duration window) {
        long length = window.toMillis();
        return Duration.ofMillis(length - Math.floorMod(epochMillis.getAsLong(), length));
    }

    private record Window(long index, AtomicLong total) {
        Window(long index) {
            this(index, new AtomicLong());
        }
    }
}
