package org.tocomstream.model.train;

import java.util.Locale;

/**
 * One progress report of a training run.
 *
 * @param epoch 1-based epoch of the last step
 * @param epochs total epochs
 * @param step steps done so far (over all epochs)
 * @param totalSteps steps of the whole run
 * @param loss mean training loss since the previous report
 * @param accuracy training top-1 since the previous report, in [0, 1]
 * @param lr learning rate of the last step
 * @param imagesPerSecond training throughput since the previous report
 * @param etaSeconds estimated seconds to the end of the run
 * @param validationAccuracy held-out top-1 at the training level, or NaN if not measured now
 */
public record TrainProgress(
        int epoch,
        int epochs,
        long step,
        long totalSteps,
        double loss,
        double accuracy,
        double lr,
        double imagesPerSecond,
        double etaSeconds,
        double validationAccuracy) {

    /** The progress line printed by the {@code train} command. */
    public String line() {
        long eta = Math.round(etaSeconds);
        String base = String.format(
                Locale.ROOT,
                "epoch %d/%d step %d/%d loss %.4f acc %.1f%% lr %.2e %.1f img/s ETA %dm%02ds",
                epoch,
                epochs,
                step,
                totalSteps,
                loss,
                100 * accuracy,
                lr,
                imagesPerSecond,
                eta / 60,
                eta % 60);
        return Double.isNaN(validationAccuracy)
                ? base
                : base + String.format(Locale.ROOT, " | val acc %.2f%%", 100 * validationAccuracy);
    }
}
