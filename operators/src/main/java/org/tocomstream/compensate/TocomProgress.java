package org.tocomstream.compensate;

import java.util.Locale;

/**
 * One progress report of a {@link TocomTrainer} run.
 *
 * @param epoch 1-based epoch of the last step
 * @param epochs total epochs
 * @param step steps done so far
 * @param totalSteps steps of the whole run
 * @param loss mean KL(teacher ‖ student) since the previous report, nats per image
 * @param pair the (r_src → r_tgt) pair of the last step
 * @param lr learning rate of the last step
 * @param imagesPerSecond throughput since the previous report
 * @param etaSeconds estimated seconds to the end of the run
 * @param heldOutKlPlain held-out KL(model at m ‖ model at n) without the plugin, averaged over
 *     the held-out pairs, or NaN when not measured now
 * @param heldOutKlCompensated the same with the plugin, or NaN
 */
public record TocomProgress(
        int epoch,
        int epochs,
        long step,
        long totalSteps,
        double loss,
        CompensatorPair pair,
        double lr,
        double imagesPerSecond,
        double etaSeconds,
        double heldOutKlPlain,
        double heldOutKlCompensated) {

    /** The progress line printed by {@code tocom train}. */
    public String line() {
        long eta = Math.round(etaSeconds);
        String base = String.format(
                Locale.ROOT,
                "epoch %d/%d step %d/%d kl %.5f pair %s lr %.2e %.1f img/s ETA %dm%02ds",
                epoch,
                epochs,
                step,
                totalSteps,
                loss,
                pair,
                lr,
                imagesPerSecond,
                eta / 60,
                eta % 60);
        if (Double.isNaN(heldOutKlCompensated)) {
            return base;
        }
        return base
                + String.format(
                        Locale.ROOT,
                        " | held-out kl %.5f -> %.5f (%+.1f%%)",
                        heldOutKlPlain,
                        heldOutKlCompensated,
                        100 * (heldOutKlCompensated / heldOutKlPlain - 1));
    }
}
