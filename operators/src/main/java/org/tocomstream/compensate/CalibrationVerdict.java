package org.tocomstream.compensate;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a plugin helps the model a {@link CompensatorCalibration.Rule#KL_LINE_SEARCH} calibration
 * was measured on. The line search records, per pair, the model's plain KL(model at m ‖ model at n)
 * and the least KL with the plugin at a grid scale ({@code klCompensated}, equal to the plain KL
 * where no scale helped: the pair is off). A plugin trained on a base can fail to carry over to a
 * model fine-tuned from it (src/docs/compensator.md, "Transfer to a fine-tuned model"); this is the
 * label-free sign of it that {@code tocom calibrate} reports.
 *
 * <p>The plugin is judged not to help when more than {@value #MAX_OFF_FRACTION} of the pairs are off
 * or when the mean KL over all pairs (off pairs at their plain KL) falls by less than {@value
 * #MIN_MEAN_KL_REDUCTION} (relative). The means pool the pairs as {@code tocom eval}'s summary does,
 * so the costly pairs weigh most.
 *
 * <pre>{@code
 * CalibrationVerdict.of(calibration).filter(v -> !v.helps()).ifPresent(v -> log.warn(v.text()));
 * }</pre>
 *
 * @param pairs pairs measured (at least one)
 * @param off pairs whose factor is 0 (no grid scale lowered their KL)
 * @param meanKlPlain mean plain KL over the pairs, nats per frame
 * @param meanKlCompensated mean KL at each pair's chosen scale (plain where off)
 */
public record CalibrationVerdict(int pairs, int off, double meanKlPlain, double meanKlCompensated) {

    /** Below this relative fall of the mean KL the plugin is judged not to help. */
    public static final double MIN_MEAN_KL_REDUCTION = 0.10;

    /** Above this fraction of pairs off the plugin is judged not to help. */
    public static final double MAX_OFF_FRACTION = 0.5;

    /** @throws IllegalArgumentException when pairs < 1, off is outside 0..pairs or a mean is not finite and >= 0 */
    public CalibrationVerdict {
        if (pairs < 1 || off < 0 || off > pairs) {
            throw new IllegalArgumentException(
                    "need 1 or more pairs and 0..pairs off but had " + pairs + " and " + off);
        }
        if (!(meanKlPlain >= 0 && meanKlCompensated >= 0)
                || Double.isInfinite(meanKlPlain)
                || Double.isInfinite(meanKlCompensated)) {
            throw new IllegalArgumentException(
                    "mean KLs must be finite and >= 0 but were " + meanKlPlain + " and " + meanKlCompensated);
        }
    }

    /**
     * The verdict of a line-search calibration; empty for a {@link
     * CompensatorCalibration.Rule#SQRT_KL_RATIO} one (it measures no KL with the plugin) or one
     * without pairs.
     */
    public static Optional<CalibrationVerdict> of(CompensatorCalibration calibration) {
        if (calibration.rule() != CompensatorCalibration.Rule.KL_LINE_SEARCH
                || calibration.pairs().isEmpty()) {
            return Optional.empty();
        }
        int off = 0;
        double plain = 0;
        double compensated = 0;
        for (CompensatorCalibration.PairFactor f : calibration.pairs().values()) {
            off += f.factor() == 0 ? 1 : 0;
            plain += f.klModel();
            compensated += f.klCompensated();
        }
        int n = calibration.pairs().size();
        return Optional.of(new CalibrationVerdict(n, off, plain / n, compensated / n));
    }

    /** The relative change of the mean KL, e.g. −0.25 for 25 % lower; 0 when the plain mean is 0. */
    public double meanKlChange() {
        return meanKlPlain > 0 ? meanKlCompensated / meanKlPlain - 1 : 0;
    }

    /** True when at most {@link #MAX_OFF_FRACTION} of the pairs are off and the mean KL falls enough. */
    public boolean helps() {
        return off <= MAX_OFF_FRACTION * pairs && -meanKlChange() >= MIN_MEAN_KL_REDUCTION;
    }

    /**
     * One line, e.g. {@code the line search turned the plugin off for 8 of 12 pairs; mean KL 0.21000
     * -> 0.20500 (-2.4 %)}.
     */
    public String text() {
        return String.format(
                Locale.ROOT,
                "the line search turned the plugin off for %d of %d pairs; mean KL %.5f -> %.5f (%+.1f %%)",
                off,
                pairs,
                meanKlPlain,
                meanKlCompensated,
                100 * meanKlChange());
    }
}
