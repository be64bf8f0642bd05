package org.tocomstream.job.capacity;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.control.ScalingConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.ControlOptions;

/**
 * {@code capacity-sim}: the cost-control simulation ({@link CapacitySimulation}) of three
 * strategies on one trace, with a table, JSON and a plot. See {@link #help()}.
 */
public final class CapacitySimCommand implements Command {

    static final String LADDER = "--ladder";
    static final String CALM = "--calm";
    static final String PEAK = "--peak";
    static final String MINUTES = "--minutes";
    static final String RESTART = "--restart-seconds";
    static final String WINDOWS = "--windows";
    static final String STEP = "--step-ms";
    static final String EVALUATION = "--evaluation-seconds";
    static final String OUT = "--out";

    /** Downtime of a rescale until measured on a cluster: conservative for stop-with-savepoint and restore. */
    static final double DEFAULT_RESTART_SECONDS = 30;

    static final double DEFAULT_CALM = 1.3;
    static final double DEFAULT_PEAK = 2.6;
    static final List<Double> DEFAULT_MINUTES = List.of(20.0, 30.0, 40.0);
    static final long DEFAULT_STEP_MS = 100;
    static final double DEFAULT_EVALUATION_SECONDS = 15;

    private final OptionParser parser = new OptionParser("capacity-sim")
            .value(LADDER, "FILE", "a measured ladder, the ladder command's ladder.json (required)")
            .value(CALM, "X", "calm load, in slots at full quality (default 1.3)")
            .value(PEAK, "X", "peak load, in slots at full quality (default 2.6, twice the calm)")
            .value(MINUTES, "A,B,C", "minutes of calm, peak, calm (default 20,30,40)")
            .value(RESTART, "S", "downtime of one rescale, seconds (default 30)")
            .value(
                    WINDOWS,
                    "UP,DOWN,STAB",
                    "the scaler's up window, down window and stabilization, seconds\n" + "(default 120,600,180)")
            .value(STEP, "MS", "simulated time per step: one level decision per subtask (default 100)")
            .value(EVALUATION, "S", "how often the scaler reads the gauges, seconds (default 15)")
            .value(OUT, "DIR", "where capacity-sim.json and capacity-sim.png go (default .)")
            .commonFlags();

    @Override
    public String name() {
        return "capacity-sim";
    }

    @Override
    public String summary() {
        return "simulate cost control: autoscaling on full-quality load against fixed capacity";
    }

    @Override
    public String help() {
        return "usage: capacity-sim --ladder FILE [--calm X] [--peak X] [--minutes A,B,C] [--restart-seconds S]\n"
                + "                    [--windows UP,DOWN,STAB] [--step-ms MS] [--evaluation-seconds S] [--out DIR]\n\n"
                + "Simulates cameras arriving at a trace (calm, a sustained peak, calm again; loads in slots,\n"
                + "1.0 = what one slot labels at full quality) through subtasks that each run the job's\n"
                + "adaptive level controller with its default settings (shedding included) over the service\n"
                + "times of a measured ladder: rung 0's time per frame from level none's measured frames/s,\n"
                + "each rung's from its measured speed-up, its quality as measured. Deterministic (fluid\n"
                + "arrivals, no noise); a 90-minute trace takes about a second.\n\n"
                + "Three strategies on the same trace:\n"
                + "  autoscale      starts sized for the calm; the scaling policy reads the subtasks'\n"
                + "                 fullQualityLoad every --evaluation-seconds and rescales through a restart\n"
                + "                 (stop with a savepoint, restore) that stops labelling for --restart-seconds\n"
                + "  fixed-peak     fixed, sized for the peak at the policy's target load\n"
                + "  fixed-average  fixed, the fewest slots whose full-quality capacity covers the mean load;\n"
                + "                 compression (and shedding) absorb the peak\n\n"
                + "Prints a table (slot-seconds, share of frames labelled at full quality, skipped frames,\n"
                + "frame age p50/p99, expected quality) and what Flink's busy-time autoscaler would conclude\n"
                + "at the peak next to the full-quality load; writes DIR/capacity-sim.json and\n"
                + "DIR/capacity-sim.png. See operations.md, cost control.\n\n"
                + "Options:\n"
                + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv, LADDER);
        Path file = args.path(LADDER).orElseThrow();
        double calm = args.number(CALM, DEFAULT_CALM, v -> v > 0, "a number > 0");
        double peak = args.number(PEAK, DEFAULT_PEAK, v -> v > 0, "a number > 0");
        List<Double> minutes = args.numberList(MINUTES, DEFAULT_MINUTES, false, v -> v > 0, "a number > 0");
        if (minutes.size() != 3) {
            throw args.error(MINUTES, "expected three numbers (calm, peak, calm) but got " + minutes.size());
        }
        double restart = args.number(RESTART, DEFAULT_RESTART_SECONDS, v -> v >= 0, "a number >= 0");
        long step = (long) args.number(
                STEP,
                DEFAULT_STEP_MS,
                v -> v >= 1 && v == Math.rint(v) && 1000 % v == 0,
                "a whole number of ms that divides 1000");
        double evaluation = args.number(
                EVALUATION,
                DEFAULT_EVALUATION_SECONDS,
                v -> v > 0 && (v * 1000) % step == 0,
                "a positive multiple of --step-ms, in seconds");
        ScalingConfig scaling = scaling(args);
        CapacityTrace trace = new CapacityTrace(
                calm, peak, minutes(minutes.get(0)), minutes(minutes.get(1)), minutes(minutes.get(2)));
        SimLadder ladder;
        try {
            ladder = SimLadder.of(MeasuredLadder.read(file), file.toString());
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandFailedException("cannot use " + file + ": " + Cli.describe(e), e);
        }
        ControllerConfig controller = ControlOptions.config(new Configuration(), ladder.ladder());
        CapacitySimulation sim = new CapacitySimulation(
                ladder,
                trace,
                new CapacitySimulation.Settings(
                        step, Math.round(restart * 1000), Math.round(evaluation * 1000), controller, scaling));
        List<CapacitySimulation.Outcome> runs = new ArrayList<>();
        for (CapacitySimulation.Strategy s : strategies(trace, scaling)) {
            runs.add(sim.run(s));
        }
        CapacityReport report =
                report(String.join(" ", prepend(argv)), ladder, trace, restart, scaling, evaluation, runs);
        out.print(report.table());
        Path dir = args.path(OUT).orElse(Path.of("."));
        Path json = dir.resolve("capacity-sim.json");
        Path png = dir.resolve("capacity-sim.png");
        try {
            JsonFiles.write(json, report);
            CapacityPlot.write(
                    runs,
                    trace,
                    ladder,
                    controller.latencyTarget().toMillis(),
                    report.scaling(),
                    String.format(
                            Locale.ROOT,
                            "capacity-sim: calm %.2f, peak %.2f slots; restart %.0f s; %s",
                            calm,
                            peak,
                            restart,
                            file.getFileName()),
                    png);
        } catch (IOException e) {
            throw new CommandFailedException("cannot write " + dir + ": " + Cli.describe(e), e);
        }
        out.println("wrote " + json + " and " + png);
        return Cli.OK;
    }

    /** The three strategies: autoscaled from the calm's size, fixed for the peak, fixed for the mean. */
    static List<CapacitySimulation.Strategy> strategies(CapacityTrace trace, ScalingConfig scaling) {
        int calm = scaling.parallelismFor(1, trace.calm());
        int peak = scaling.parallelismFor(1, trace.peak());
        int mean = (int) Math.max(1, Math.ceil(trace.mean() - 1e-9));
        return List.of(
                new CapacitySimulation.Strategy(
                        "autoscale", "scaling policy on the full-quality load, from " + calm + " slots", calm, true),
                new CapacitySimulation.Strategy(
                        "fixed-peak", "fixed, sized for the peak at the target load", peak, false),
                new CapacitySimulation.Strategy(
                        "fixed-average", "fixed, sized for the mean load; compression only", mean, false));
    }

    private static ScalingConfig scaling(ParsedArgs args) throws UsageException {
        ScalingConfig d = ScalingConfig.defaults();
        if (!args.has(WINDOWS)) {
            return d;
        }
        List<Double> w = args.numberList(WINDOWS, List.of(), false, v -> v > 0, "a number of seconds > 0");
        if (w.size() != 3) {
            throw args.error(WINDOWS, "expected three numbers (up, down, stabilization) but got " + w.size());
        }
        try {
            return d.withWindows(seconds(w.get(0)), seconds(w.get(1)), seconds(w.get(2)));
        } catch (IllegalArgumentException e) {
            throw args.error(WINDOWS, e.getMessage());
        }
    }

    static CapacityReport report(
            String command,
            SimLadder ladder,
            CapacityTrace trace,
            double restartSeconds,
            ScalingConfig scaling,
            double evaluationSeconds,
            List<CapacitySimulation.Outcome> runs) {
        List<String> levels = new ArrayList<>();
        List<Double> quality = new ArrayList<>();
        for (int i = 0; i < ladder.size(); i++) {
            levels.add(ladder.ladder().level(i).toString());
            quality.add(Double.isNaN(ladder.quality()[i]) ? null : ladder.quality()[i]);
        }
        List<CapacityReport.Summary> summaries = new ArrayList<>();
        for (CapacitySimulation.Outcome o : runs) {
            summaries.add(CapacityReport.summarize(o, ladder, trace, scaling));
        }
        return new CapacityReport(
                command,
                new CapacityReport.LadderInfo(
                        ladder.source(),
                        ladder.batch(),
                        ladder.slotFramesPerSecond(),
                        levels,
                        ladder.msPerFrame(),
                        quality),
                new CapacityReport.TraceInfo(
                        trace.calm(),
                        trace.peak(),
                        trace.before().toSeconds(),
                        trace.peakFor().toSeconds(),
                        trace.after().toSeconds(),
                        trace.mean()),
                restartSeconds,
                CapacityReport.ScalingInfo.of(scaling, evaluationSeconds),
                summaries);
    }

    private static List<String> prepend(String[] argv) {
        List<String> out = new ArrayList<>();
        out.add("capacity-sim");
        out.addAll(List.of(argv));
        return out;
    }

    private static Duration minutes(double m) {
        return Duration.ofMillis(Math.round(m * 60_000));
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
