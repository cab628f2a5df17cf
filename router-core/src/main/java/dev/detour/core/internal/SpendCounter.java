package dev.detour.core.internal;

import dev.detour.core.spi.Counters;
import java.math.BigDecimal;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Spend against a budget per day, counted in {@link Counters} (in billionths of the price unit, so that
 * a price per token of 0.0000025 still counts): a route's fallback spend cap, a client key's budget.
 */
public final class SpendCounter {

    /** The window a budget per day counts in (days aligned to the epoch: midnight UTC). */
    public static final Duration DAY = Duration.ofDays(1);

    private static final double UNITS = 1e9;

    private final Counters counters;
    private final String key;
    private final double perDay;
    private final long limit;

    /** Spend counted under {@code key} in {@code counters} against {@code perDay}. */
    public SpendCounter(Counters counters, String key, double perDay) {
        if (!(perDay >= 0) || Double.isInfinite(perDay)) {
            throw new IllegalArgumentException("a spend budget a day must be a finite number >= 0, was " + perDay);
        }
        this.counters = counters;
        this.key = key;
        this.perDay = perDay;
        this.limit = units(perDay);
    }

    /** The budget a day. */
    public double perDay() {
        return perDay;
    }

    /** The budget a day as plain text: {@code 25}, {@code 0.0001}. */
    public String budget() {
        return BigDecimal.valueOf(perDay).stripTrailingZeros().toPlainString();
    }

    /** Whether today's spend has reached the budget. */
    public Mono<Boolean> reached() {
        return counters.add(key, 0, DAY).map(spent -> spent >= limit);
    }

    /** Counts {@code cost} spent now (nothing when it is not above 0). */
    public void charge(double cost) {
        long units = units(cost);
        if (units > 0) {
            counters.add(key, units, DAY).subscribe();
        }
    }

    /** The time until today's spend starts again from 0. */
    public Duration untilReset() {
        return counters.untilWindowEnds(DAY);
    }

    /** {@code cost} in counter units (billionths), rounded to the nearest. */
    static long units(double cost) {
        return cost > 0 ? Math.round(cost * UNITS) : 0;
    }
}
