package org.tocomstream.job.capacity;

import java.time.Duration;

/**
 * The cameras' load over time, in slots: 1.0 is what one slot labels at full quality. Calm, then
 * a sustained peak, then calm again.
 *
 * @param calm load before and after the peak, slots
 * @param peak load during the peak, slots
 * @param before how long the first calm lasts
 * @param peakFor how long the peak lasts
 * @param after how long the second calm lasts
 */
record CapacityTrace(double calm, double peak, Duration before, Duration peakFor, Duration after) {

    CapacityTrace {
        if (!(calm > 0) || !(peak > 0) || Double.isInfinite(calm) || Double.isInfinite(peak)) {
            throw new IllegalArgumentException("calm (" + calm + ") and peak (" + peak + ") loads must be positive");
        }
    }

    long totalMs() {
        return before.toMillis() + peakFor.toMillis() + after.toMillis();
    }

    long peakStartMs() {
        return before.toMillis();
    }

    long peakEndMs() {
        return before.toMillis() + peakFor.toMillis();
    }

    /** The load at {@code tMs} since the start, slots. */
    double load(double tMs) {
        return tMs >= peakStartMs() && tMs < peakEndMs() ? peak : calm;
    }

    /** The time-weighted mean load, slots. */
    double mean() {
        return (calm * (before.toMillis() + after.toMillis()) + peak * peakFor.toMillis()) / totalMs();
    }
}
