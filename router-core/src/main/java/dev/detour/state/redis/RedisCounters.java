package dev.detour.state.redis;

import dev.detour.core.spi.Counters;
import java.time.Duration;
import java.util.function.LongSupplier;
import reactor.core.publisher.Mono;

/**
 * Fixed-window counters for a fleet: one Redis counter per key and window ({@code counter.lua}: an atomic
 * {@code INCRBY}, expiring after its window), windows aligned to the epoch by this router's clock. When Redis
 * does not answer within the timeout the amount is counted in the local counters instead (and not sent later).
 */
final class RedisCounters implements Counters {

    private final RedisLink link;
    private final Counters local;
    private final LongSupplier epochMillis;

    RedisCounters(RedisLink link, Counters local, LongSupplier epochMillis) {
        this.link = link;
        this.local = local;
        this.epochMillis = epochMillis;
    }

    @Override
    public Mono<Long> add(String key, long amount, Duration window) {
        long length = window.toMillis();
        long index = epochMillis.getAsLong() / length;
        String[] keys = {link.prefix + "count:{" + key + "}:" + length + ":" + index};
        return link.evalLong(RedisLink.COUNTER, keys, Long.toString(amount), Long.toString(length + 1000))
                .switchIfEmpty(Mono.defer(() -> local.add(key, amount, window)));
    }

    @Override
    public Duration untilWindowEnds(Duration window) {
        long length = window.toMillis();
        return Duration.ofMillis(length - Math.floorMod(epochMillis.getAsLong(), length));
    }
}
