package org.tocomstream.control;

/**
 * The time per frame of every rung of a {@link Ladder} as {@link AdaptivePolicy} plans with it:
 * the measured service times, corrected and filled in with the cost model's predictions.
 */
final class RungTimes {

    private RungTimes() {}

    /**
     * Time per frame of every rung: measured where it ran, else the nearest measured rung scaled by
     * the cost model's ratio; NaN everywhere when nothing ran yet.
     *
     * <p>A more accurate rung than {@code current} is never estimated slower than the current
     * rung's own measurement scaled up by the cost model's ratio. That bound is conservative (fixed
     * overheads do not shrink with the tokens, so the true ratio is smaller than the MACs ratio)
     * and always fresh, while the rung's own measurement was taken when it last ran, possibly in a
     * burst of contention; without the bound a stale slow measurement could block the way back
     * for good, because a rung that is not run is never measured again (seen in the overload
     * experiment: held at the top rung at half load).
     */
    static double[] estimate(Ladder ladder, LoadSignal signal, int current) {
        int n = ladder.size();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = signal.measuredMsPerFrame(i).orElse(Double.NaN);
        }
        if (signal.measuredMsPerFrame(current).isPresent()) {
            double here = signal.measuredMsPerFrame(current).getAsDouble();
            double hereGmacs = ladder.rungs().get(current).predictedGmacs();
            for (int i = 0; i < current; i++) {
                if (!Double.isNaN(out[i])) {
                    double bound = here * ladder.rungs().get(i).predictedGmacs() / hereGmacs;
                    out[i] = Math.min(out[i], bound);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isNaN(out[i])) {
                continue;
            }
            int below = -1;
            for (int j = i - 1; j >= 0 && below < 0; j--) {
                below = signal.measuredMsPerFrame(j).isPresent() ? j : -1;
            }
            int above = -1;
            for (int j = i + 1; j < n && above < 0; j++) {
                above = signal.measuredMsPerFrame(j).isPresent() ? j : -1;
            }
            // The slower of the two neighbours' scaled figures: scaling a faster rung up
            // overstates the time (fixed overheads do not shrink with the tokens), scaling a
            // slower one down understates it, and the overstatement is the cautious side both
            // ways: it restores later and degrades sooner.
            double estimate = Double.NaN;
            for (int j : new int[] {below, above}) {
                if (j >= 0) {
                    double scaled = signal.measuredMsPerFrame(j).getAsDouble()
                            * ladder.rungs().get(i).predictedGmacs()
                            / ladder.rungs().get(j).predictedGmacs();
                    estimate = Double.isNaN(estimate) ? scaled : Math.max(estimate, scaled);
                }
            }
            out[i] = estimate;
        }
        return out;
    }
}
