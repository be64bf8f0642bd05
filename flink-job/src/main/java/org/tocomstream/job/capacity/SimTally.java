package org.tocomstream.job.capacity;

import java.util.ArrayList;
import java.util.List;

/**
 * What one strategy's run labelled: frames by rung, skipped frames, the ages of labelled frames (a
 * histogram weighted by frames) and one {@link Second} per simulated second for the plot.
 */
final class SimTally {

    /** Width of an age bin, ms. */
    static final double BIN_MS = 10;

    /** Ages above this many bins (10 min) count in the last bin. */
    static final int BINS = 60_000;

    /**
     * One second of the run.
     *
     * @param t seconds since the start
     * @param slots slots held (during a restart, the larger of the old and new parallelism)
     * @param oldestAgeMs age of the oldest frame labelled in this second, null when none was
     * @param meanRung frame-weighted mean rung of the frames labelled, null when none was
     * @param skipped frames skipped in this second
     * @param fullQualityLoad the busiest subtask's full-quality load (the controller's gauge),
     *     null while unknown or restarting
     * @param busy the busiest subtask's busy fraction at the levels it ran (what Flink's
     *     busyTimeMsPerSecond shows, over 1000), null while restarting
     */
    record Second(
            int t,
            int slots,
            Double oldestAgeMs,
            Double meanRung,
            double skipped,
            Double fullQualityLoad,
            Double busy) {}

    final double[] labelledPerRung;
    private final double[] ageBins = new double[BINS];
    double arrived;
    double skipped;
    final List<Second> seconds = new ArrayList<>();

    private double secLabelled;
    private double secRungSum;
    private double secSkipped;
    private double secOldest = Double.NaN;

    SimTally(int rungs) {
        labelledPerRung = new double[rungs];
    }

    void labelled(int rung, double frames, double ageMs) {
        labelledPerRung[rung] += frames;
        int bin = (int) Math.min(BINS - 1, Math.max(0, Math.floor(ageMs / BIN_MS)));
        ageBins[bin] += frames;
        secLabelled += frames;
        secRungSum += rung * frames;
        secOldest = Double.isNaN(secOldest) ? ageMs : Math.max(secOldest, ageMs);
    }

    void skipped(double frames) {
        skipped += frames;
        secSkipped += frames;
    }

    /** Closes second {@code t}; the loads are NaN when unknown. */
    void closeSecond(int t, int slots, double fullQualityLoad, double busy) {
        boolean any = secLabelled > 1e-9;
        seconds.add(new Second(
                t,
                slots,
                any ? secOldest : null,
                any ? secRungSum / secLabelled : null,
                secSkipped,
                Double.isNaN(fullQualityLoad) ? null : fullQualityLoad,
                Double.isNaN(busy) ? null : busy));
        secLabelled = 0;
        secRungSum = 0;
        secSkipped = 0;
        secOldest = Double.NaN;
    }

    double labelled() {
        double sum = 0;
        for (double v : labelledPerRung) {
            sum += v;
        }
        return sum;
    }

    /** The q-quantile of the labelled frames' ages, ms (the upper edge of its bin); NaN if none. */
    double ageQuantile(double q) {
        double total = labelled();
        if (!(total > 0)) {
            return Double.NaN;
        }
        double seen = 0;
        for (int i = 0; i < BINS; i++) {
            seen += ageBins[i];
            if (seen >= q * total) {
                return (i + 1) * BIN_MS;
            }
        }
        return BINS * BIN_MS;
    }
}
