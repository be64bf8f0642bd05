package org.tocomstream.job.tocom;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.job.tocom.TocomProofRun.Member;

/**
 * What {@code tocom proof} reports once its TEST cells are measured: the (m, n) table and the four
 * checks on standard output, then the JSON file and the heat map where they were asked for.
 */
final class TocomProofReport {

    /** The checks' figures, kept for the JSON file. */
    private record Outcome(double meanReduction, double meanGain, double[] ci, List<Map<String, Object>> checks) {}

    private final TocomProofSettings s;
    private final List<Member> members;
    private final Map<Integer, CompensatorCalibration> calibrations;
    private final PrintStream out;

    TocomProofReport(
            TocomProofSettings settings,
            List<Member> members,
            Map<Integer, CompensatorCalibration> calibrations,
            PrintStream out) {
        this.s = settings;
        this.members = members;
        this.calibrations = calibrations;
        this.out = out;
    }

    /**
     * Prints the table and the checks, then writes the files.
     *
     * @param tuning per candidate s, the pooled VALIDATION figures {klPlain, klComp, gain, pairs}
     * @param best the s the TEST cells were measured at
     * @param gainSum per TEST image, the sum over the mismatched pairs of (comp - plain)
     */
    void write(
            TokenCompensator plugin,
            TreeSet<Integer> degrees,
            Map<Double, double[]> tuning,
            double best,
            List<CompensatorEvaluation.Cell> cells,
            int[] gainSum)
            throws CommandFailedException {
        int images = s.testSize();
        TocomEvalReport report = TocomEvalReport.of(
                String.join(",", members.stream().map(mb -> mb.dir().toString()).toList()),
                s.plugin().toString(),
                members.get(0).spec(),
                plugin,
                best,
                calibrations.isEmpty() ? "side" : "side, x calibration factors",
                images,
                cells);
        printTable(out, members, degrees, cells, images, best, !calibrations.isEmpty());
        Outcome outcome = runChecks(cells, gainSum);
        if (s.json() != null) {
            writeJson(tuning, best, report, outcome);
        }
        if (s.heatmap() != null) {
            try {
                TocomHeatmap.write(report, s.heatmap());
            } catch (IOException e) {
                throw new CommandFailedException("cannot write " + s.heatmap() + ": " + Cli.describe(e), e);
            }
        }
    }

    /** The four checks over the mismatched pairs, each printed as PASS or FAIL. */
    private Outcome runChecks(List<CompensatorEvaluation.Cell> cells, int[] gainSum) {
        int images = s.testSize();
        int mismatched = 0;
        for (Member mb : members) {
            for (CompensatorPair p : mb.pairs()) {
                mismatched += p.isIdentity() ? 0 : 1;
            }
        }
        double sumReduction = 0;
        int lowered = 0;
        double worst = Double.POSITIVE_INFINITY;
        CompensatorPair worstPair = null;
        for (CompensatorEvaluation.Cell c : cells) {
            if (c.pair().isIdentity()) {
                continue;
            }
            double reduction = c.klPlain() > 0 ? 1 - c.klCompensated() / c.klPlain() : 0;
            sumReduction += reduction;
            lowered += c.klCompensated() < c.klPlain() ? 1 : 0;
            double gain = c.accuracyCompensated() - c.accuracyPlain();
            if (gain < worst) {
                worst = gain;
                worstPair = c.pair();
            }
        }
        double meanReduction = sumReduction / mismatched;
        double[] perImage = new double[images];
        double meanGain = 0;
        for (int i = 0; i < images; i++) {
            perImage[i] = (double) gainSum[i] / mismatched;
            meanGain += perImage[i] / images;
        }
        double[] ci = TocomProofRun.bootstrap(perImage, s.bootstrap(), 0);
        List<Map<String, Object>> checks = new ArrayList<>();
        check(
                out,
                checks,
                "KL to the degree-m model lower with the plugin for every mismatched pair",
                lowered == mismatched,
                String.format(Locale.ROOT, "%d of %d pairs", lowered, mismatched));
        check(
                out,
                checks,
                "KL at least 30 % lower on average over the mismatched pairs",
                meanReduction >= 0.30,
                String.format(Locale.ROOT, "mean of the per-pair reductions %.1f %%", 100 * meanReduction));
        check(
                out,
                checks,
                "mean top-1 gain > 0 with its 95 % bootstrap interval above 0",
                meanGain > 0 && ci[0] > 0,
                String.format(
                        Locale.ROOT,
                        "%+.3f points, 95 %% interval [%+.3f, %+.3f] (%d resamples of %d images)",
                        100 * meanGain,
                        100 * ci[0],
                        100 * ci[1],
                        s.bootstrap(),
                        images));
        check(
                out,
                checks,
                "no pair loses more than 0.3 points of top-1",
                worst >= -0.003 - 1e-12,
                String.format(Locale.ROOT, "worst pair %s: %+.2f points", worstPair, 100 * worst));
        return new Outcome(meanReduction, meanGain, ci, checks);
    }

    private void writeJson(Map<Double, double[]> tuning, double best, TocomEvalReport report, Outcome outcome)
            throws CommandFailedException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("plugin", s.plugin().toString());
        json.put(
                "models",
                members.stream()
                        .map(mb -> Map.of("dir", mb.dir().toString(), "m", mb.m(), "isPluginBase", mb.isBase()))
                        .toList());
        Map<String, Object> tuned = new LinkedHashMap<>();
        for (Map.Entry<Double, double[]> e : tuning.entrySet()) {
            double[] a = e.getValue();
            tuned.put(
                    Double.toString(e.getKey()),
                    Map.of("meanKlPlain", a[0] / a[3], "meanKlCompensated", a[1] / a[3], "meanTop1Gain", a[2] / a[3]));
        }
        json.put("tuneImages", s.tuneSize());
        json.put("scaleTuning", tuned);
        json.put("chosenScale", best);
        if (!calibrations.isEmpty()) {
            json.put("calibration", calibrationJson());
        }
        json.put("testImages", s.testSize());
        json.put("cells", report.cells());
        json.put("meanKlReductionOverPairs", outcome.meanReduction());
        json.put("meanTop1Gain", outcome.meanGain());
        json.put("meanTop1GainCi95", outcome.ci());
        json.put("checks", outcome.checks());
        try {
            JsonFiles.write(s.json(), json);
        } catch (IOException e) {
            throw new CommandFailedException("cannot write " + s.json() + ": " + Cli.describe(e), e);
        }
    }

    /** The rule, the base model with {@code --calibrate-with}, and each model's factors by pair. */
    private Map<String, Object> calibrationJson() {
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("rule", calibrations.values().iterator().next().rule().id());
        if (s.calibrateWith() != null) {
            cal.put("base", s.calibrateWith().toString());
        }
        for (Member mb : members) {
            Map<String, Object> factors = new LinkedHashMap<>();
            calibrations
                    .get(mb.m())
                    .pairs()
                    .forEach((p, f) -> factors.put(
                            p.toString(),
                            s.lineSearch()
                                    ? Map.of(
                                            "klModel",
                                            f.klModel(),
                                            "klCompensated",
                                            f.klCompensated(),
                                            "factor",
                                            f.factor())
                                    : Map.of("klModel", f.klModel(), "klBase", f.klBase(), "factor", f.factor())));
            cal.put("m" + mb.m(), factors);
        }
        return cal;
    }

    private static void check(
            PrintStream out, List<Map<String, Object>> checks, String what, boolean pass, String detail) {
        out.printf(Locale.ROOT, "%s  %s: %s%n", pass ? "PASS" : "FAIL", what, detail);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("check", what);
        c.put("pass", pass);
        c.put("detail", detail);
        checks.add(c);
    }

    private static void printTable(
            PrintStream out,
            List<Member> members,
            TreeSet<Integer> degrees,
            List<CompensatorEvaluation.Cell> cells,
            int images,
            double scale,
            boolean calibrated) {
        out.printf(
                Locale.ROOT,
                "TEST split, %d images, s = %s%s: top-1 at n without -> with the plugin, and KL to the"
                        + " model at its own m (change)%n",
                images,
                scale,
                calibrated ? " x each pair's factor" : "");
        StringBuilder head = new StringBuilder(String.format("%-10s", "model m"));
        for (int n : degrees) {
            head.append(String.format(Locale.ROOT, " | %-30s", "n = " + n));
        }
        out.println(head);
        // One model per m, so a pair names its cell.
        Map<CompensatorPair, CompensatorEvaluation.Cell> byPair = new LinkedHashMap<>();
        for (CompensatorEvaluation.Cell c : cells) {
            byPair.put(c.pair(), c);
        }
        for (Member mb : members) {
            StringBuilder row = new StringBuilder(String.format("%-10s", "m = " + mb.m()));
            for (int n : degrees) {
                CompensatorEvaluation.Cell c = byPair.get(new CompensatorPair(mb.m(), n));
                if (c == null) {
                    row.append(String.format(" | %-30s", "-"));
                } else if (c.pair().isIdentity()) {
                    row.append(String.format(
                            Locale.ROOT,
                            " | %-30s",
                            String.format(Locale.ROOT, "%.2f %% (reference)", 100 * c.accuracyPlain())));
                } else {
                    row.append(String.format(
                            Locale.ROOT,
                            " | %-30s",
                            String.format(
                                    Locale.ROOT,
                                    "%.2f->%.2f %% KL %+.0f %%",
                                    100 * c.accuracyPlain(),
                                    100 * c.accuracyCompensated(),
                                    c.klPlain() > 0 ? 100 * (c.klCompensated() / c.klPlain() - 1) : 0.0)));
                }
            }
            out.println(row);
        }
        out.println();
    }
}
