package org.tocomstream.job.capacity;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tocomstream.control.ScalingConfig;

/**
 * The simulation's results as the JSON file holds them (Gson, records), and the table printed.
 *
 * @param command the command line
 * @param ladder where the service times come from, and the rungs
 * @param trace the load trace
 * @param restartSeconds downtime of one rescale
 * @param scaling the scaler's settings (durations in seconds)
 * @param strategies one summary per strategy, in the order run
 */
record CapacityReport(
        String command,
        LadderInfo ladder,
        TraceInfo trace,
        double restartSeconds,
        ScalingInfo scaling,
        List<Summary> strategies) {

    /** The scaler's settings, durations in seconds. */
    record ScalingInfo(
            double targetLoad,
            double upperLoad,
            double lowerLoad,
            double upWindowSeconds,
            double downWindowSeconds,
            double stabilizationSeconds,
            double maxBacklogSeconds,
            double evaluationSeconds) {
        static ScalingInfo of(ScalingConfig c, double evaluationSeconds) {
            return new ScalingInfo(
                    c.targetLoad(),
                    c.upperLoad(),
                    c.lowerLoad(),
                    c.upWindow().toMillis() / 1000.0,
                    c.downWindow().toMillis() / 1000.0,
                    c.stabilization().toMillis() / 1000.0,
                    c.maxBacklog().toMillis() / 1000.0,
                    evaluationSeconds);
        }
    }

    /** Utilization target and band of Flink's autoscaler by default (utilization.target ± boundary). */
    static final double FLINK_TARGET = 0.7;

    static final double FLINK_MIN = 0.4;
    static final double FLINK_MAX = 1.0;

    /** The rungs simulated: levels, true ms per frame, measured quality (null where unknown). */
    record LadderInfo(
            String source,
            int batch,
            double slotFramesPerSecond,
            List<String> levels,
            double[] msPerFrame,
            List<Double> quality) {}

    /** The trace, in slots (1.0 = one slot at full quality) and seconds. */
    record TraceInfo(
            double calm, double peak, long calmBeforeSeconds, long peakSeconds, long calmAfterSeconds, double mean) {}

    /**
     * The load and what each scaler would conclude over a phase's second half (steady state).
     *
     * @param slots slots held at the end of the phase
     * @param fullQualityLoad mean of the busiest subtask's full-quality load
     * @param busy mean of the busiest subtask's busy fraction at the levels run
     * @param flinkParallelism what Flink's busy-time autoscaler (defaults: target 0.7, band 0.4 to
     *     1.0) would rescale to: {@code slots} when the busy fraction is within its band
     * @param fullQualityParallelism what the scaling policy's rule gives for the full-quality
     *     load: {@code slots} when within its band
     */
    record PhaseView(
            int slots, Double fullQualityLoad, Double busy, int flinkParallelism, int fullQualityParallelism) {}

    /** One strategy's outcome. */
    record Summary(
            String name,
            String description,
            int startParallelism,
            int minSlots,
            int maxSlots,
            double slotSeconds,
            double framesArrived,
            double framesLabelled,
            double fullQualityShare,
            double skippedFrames,
            double skippedShare,
            double unfinishedFrames,
            Double ageP50Ms,
            Double ageP99Ms,
            Double expectedQuality,
            List<CapacitySimulation.Rescale> rescales,
            PhaseView peak,
            PhaseView calmAfter,
            List<SimTally.Second> everyTenSeconds) {}

    static Summary summarize(
            CapacitySimulation.Outcome o, SimLadder ladder, CapacityTrace trace, ScalingConfig scaling) {
        SimTally t = o.tally();
        double labelled = t.labelled();
        double quality = 0;
        boolean known = true;
        for (int r = 0; r < ladder.size(); r++) {
            known &= !Double.isNaN(ladder.quality()[r]);
            quality += t.labelledPerRung[r] * ladder.quality()[r];
        }
        int min = Integer.MAX_VALUE;
        int max = 0;
        List<SimTally.Second> tens = new ArrayList<>();
        for (SimTally.Second s : t.seconds) {
            min = Math.min(min, s.slots());
            max = Math.max(max, s.slots());
            if (s.t() % 10 == 0) {
                tens.add(s);
            }
        }
        return new Summary(
                o.strategy().name(),
                o.strategy().description(),
                o.strategy().parallelism(),
                min,
                max,
                o.slotSeconds(),
                t.arrived,
                labelled,
                t.labelledPerRung[0] / t.arrived,
                t.skipped,
                t.skipped / t.arrived,
                o.unfinishedFrames(),
                orNull(t.ageQuantile(0.50)),
                orNull(t.ageQuantile(0.99)),
                known && labelled > 0 ? quality / labelled : null,
                o.rescales(),
                view(t, trace.peakStartMs(), trace.peakEndMs(), scaling),
                view(t, trace.peakEndMs(), trace.totalMs(), scaling),
                tens);
    }

    /** The second half of [fromMs, toMs). */
    private static PhaseView view(SimTally t, long fromMs, long toMs, ScalingConfig scaling) {
        long from = (fromMs + toMs) / 2 / 1000;
        long to = toMs / 1000;
        double load = 0;
        int loads = 0;
        double busy = 0;
        int busies = 0;
        int slots = 0;
        for (SimTally.Second s : t.seconds) {
            if (s.t() < from || s.t() >= to) {
                continue;
            }
            slots = s.slots();
            if (s.fullQualityLoad() != null) {
                load += s.fullQualityLoad();
                loads++;
            }
            if (s.busy() != null) {
                busy += s.busy();
                busies++;
            }
        }
        Double meanLoad = loads > 0 ? load / loads : null;
        Double meanBusy = busies > 0 ? busy / busies : null;
        int flink = meanBusy == null || (meanBusy >= FLINK_MIN && meanBusy <= FLINK_MAX)
                ? slots
                : (int) Math.max(1, Math.ceil(slots * meanBusy / FLINK_TARGET - 1e-9));
        int ours = meanLoad == null || (meanLoad >= scaling.lowerLoad() && meanLoad <= scaling.upperLoad())
                ? slots
                : scaling.parallelismFor(slots, meanLoad);
        return new PhaseView(slots, meanLoad, meanBusy, flink, ours);
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** The table printed on stdout. */
    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "%-14s %6s %9s %12s %9s %9s %9s %8s %9s%n",
                "strategy",
                "slots",
                "slot-s",
                "full quality",
                "skipped",
                "age p50",
                "age p99",
                "quality",
                "rescales"));
        for (Summary s : strategies) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-14s %6s %9.0f %11.1f%% %8.2f%% %7.0fms %7.0fms %8s %9d%n",
                    s.name(),
                    s.minSlots() == s.maxSlots() ? Integer.toString(s.minSlots()) : s.minSlots() + "-" + s.maxSlots(),
                    s.slotSeconds(),
                    100 * s.fullQualityShare(),
                    100 * s.skippedShare(),
                    s.ageP50Ms() == null ? Double.NaN : s.ageP50Ms(),
                    s.ageP99Ms() == null ? Double.NaN : s.ageP99Ms(),
                    s.expectedQuality() == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * s.expectedQuality()),
                    s.rescales().size()));
        }
        sb.append(String.format(
                Locale.ROOT,
                "%nsecond half of the peak: the busiest subtask's load at full quality against its busy time%n"
                        + "%-14s %6s %14s %9s %18s %20s%n",
                "strategy",
                "slots",
                "full-quality",
                "busy",
                "Flink busy-time",
                "full-quality policy"));
        for (Summary s : strategies) {
            PhaseView v = s.peak();
            sb.append(String.format(
                    Locale.ROOT,
                    "%-14s %6d %14s %9s %18s %20s%n",
                    s.name(),
                    v.slots(),
                    fmt(v.fullQualityLoad()),
                    fmt(v.busy()),
                    verdict(v.slots(), v.flinkParallelism()),
                    verdict(v.slots(), v.fullQualityParallelism())));
        }
        return sb.toString();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String verdict(int slots, int wanted) {
        return wanted == slots ? "hold " + slots : (wanted > slots ? "up to " : "down to ") + wanted;
    }
}
