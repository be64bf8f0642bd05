package org.tocomstream.control;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Clocks for the load controller, which measures only intervals (dwells, the integral's time
 * step, the age trend): they must never step back. The wall clock does (an NTP correction, a
 * manual change), and a controller measuring its dwell from a time in the future would hold its
 * level until the wall clock caught up.
 *
 * <pre>{@code
 * LevelController c = LevelController.adaptive(config, MonotonicClock.system());
 * LongSupplier safe = MonotonicClock.steady(processingTimeMs);  // a wall clock made safe
 * }</pre>
 */
public final class MonotonicClock {

    private MonotonicClock() {}

    /** Milliseconds from {@link System#nanoTime()}: any origin, never steps. */
    public static LongSupplier system() {
        return () -> System.nanoTime() / 1_000_000;
    }

    /**
     * A clock that advances with every forward step of {@code sourceMs} and ignores its backward
     * steps: after a step back it neither freezes nor goes back, it moves on from where it was.
     * One reader at a time.
     */
    public static LongSupplier steady(LongSupplier sourceMs) {
        return new Steady(Objects.requireNonNull(sourceMs, "sourceMs"));
    }

    private static final class Steady implements LongSupplier {
        private final LongSupplier source;
        private boolean started;
        private long lastSource;
        private long now;

        Steady(LongSupplier source) {
            this.source = source;
        }

        @Override
        public long getAsLong() {
            long reading = source.getAsLong();
            if (!started) {
                started = true;
                now = reading;
            } else {
                now += Math.max(0, reading - lastSource);
            }
            lastSource = reading;
            return now;
        }
    }
}
