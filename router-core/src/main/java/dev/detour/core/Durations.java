package dev.detour.core;

import java.time.Duration;

/** Formats durations the way trails and messages show them: {@code 30s}, {@code 250ms}. */
public final class Durations {

    private Durations() {
    }

    /** {@code 30s} for whole seconds, else {@code 250ms}, or {@code 40us} under a millisecond. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis >= 1000 && millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        if (millis == 0 && !duration.isZero()) {
            return duration.toNanos() / 1000 + "us";
        }
        return millis + "ms";
    }
}
