package org.tocomstream.model.train;

/**
 * Learning rate per step: linear warm-up from 0 to {@code peak} over {@code warmupSteps}, then a
 * cosine decay to {@code floor} at {@code totalSteps}.
 *
 * @param peak rate after warm-up, > 0
 * @param floor rate at the end, in [0, peak]
 * @param warmupSteps steps of linear warm-up, in [0, totalSteps]
 * @param totalSteps steps of the whole run, > 0
 */
public record LrSchedule(double peak, double floor, long warmupSteps, long totalSteps) {

    public LrSchedule {
        if (!(peak > 0) || floor < 0 || floor > peak) {
            throw new IllegalArgumentException(
                    String.format("learning rates must satisfy 0 <= min (%s) <= lr (%s), lr > 0", floor, peak));
        }
        if (warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException(
                    String.format("warm-up steps (%d) must be within the total steps (%d)", warmupSteps, totalSteps));
        }
    }

    /** Rate for the update numbered {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
    }
}
