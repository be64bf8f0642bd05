package org.tocomstream.job.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.job.run.PipelineRuns;

/** {@code loadtest}'s files (a CSV per policy, the summary JSON) and its printed summary table. */
public final class LoadTestOutput {

    /** Version of the summary JSON's layout. */
    static final int SCHEMA_VERSION = 1;

    /** The CSV header; one row per second. */
    static final String CSV_HEADER = "t_s,phase,load,arrival_fps,labelled_fps,skipped_fps,dead_lettered_fps,"
            + "age_p50_ms,age_p99_ms,level_rung,level,backlog";

    private LoadTestOutput() {}

    static String csvName(LoadTestRun.Result r) {
        return "loadtest-" + r.fileId() + ".csv";
    }

    static String pngName(LoadTestRun.Result r) {
        return "loadtest-" + r.fileId() + ".png";
    }

    static final String JSON_NAME = "loadtest-summary.json";

    static void writeCsv(LoadTestAnalysis.Report r, Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(CSV_HEADER + "\n");
            for (LoadTestAnalysis.Second s : r.seconds()) {
                w.write(String.format(
                        Locale.ROOT,
                        "%d,%s,%s,%d,%d,%d,%d,%s,%s,%s,%s,%d%n",
                        s.t(),
                        s.phase(),
                        s.multiplier() == null ? "" : LoadTestSettings.format(s.multiplier()),
                        s.arrived(),
                        s.labelled(),
                        s.skipped(),
                        s.deadLettered(),
                        s.ageP50Ms() == null ? "" : s.ageP50Ms(),
                        s.ageP99Ms() == null ? "" : s.ageP99Ms(),
                        s.level() == null ? "" : String.format(Locale.ROOT, "%.2f", s.level()),
                        s.levelName() == null ? "" : s.levelName(),
                        s.backlog()));
            }
        }
    }

    static void writeJson(
            Map<String, Object> header,
            List<LoadTestAnalysis.Report> reports,
            List<LoadTestChecks.Check> checks,
            Path file)
            throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schemaVersion", SCHEMA_VERSION);
        root.putAll(header);
        List<Map<String, Object>> policies = new ArrayList<>();
        for (LoadTestAnalysis.Report r : reports) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("policy", r.run().id());
            p.put("ladder", r.run().ladderName());
            p.put("settings", r.run().settings());
            p.put("csv", csvName(r.run()));
            p.put("plot", pngName(r.run()));
            p.put("produced", r.run().produced());
            p.put("framesTopicRecords", r.run().framesTopicRecords());
            p.put("drained", r.run().drained());
            p.put("phases", r.phases());
            p.put("total", r.total());
            policies.add(p);
        }
        root.put("policies", policies);
        root.put("checks", checks);
        JsonFiles.write(file, root);
    }

    /**
     * Labels read per second while phase {@code phase} ran: the mean of its rows' {@code
     * labelled_fps}, {@code phase} as the CSV names it ({@code 1}, {@code 2}, ..., {@code drain});
     * null: every row; {@code "-"} when no row is of the phase (the warm-up has none).
     */
    static String labelsPerSecond(LoadTestAnalysis.Report r, String phase) {
        long labels = 0;
        int rows = 0;
        for (LoadTestAnalysis.Second s : r.seconds()) {
            if (phase == null || s.phase().equals(phase)) {
                labels += s.labelled();
                rows++;
            }
        }
        return rows == 0 ? "-" : String.format(Locale.ROOT, "%.1f", (double) labels / rows);
    }

    static void printTable(LoadTestAnalysis.Report r, PrintStream out) {
        out.printf(Locale.ROOT, "%n%s: %s%n", r.run().id(), r.run().settings());
        out.printf(
                Locale.ROOT,
                "  %-7s %5s %8s %8s %8s %8s %7s %5s %5s %8s %8s %8s %5s %7s %6s %8s %6s%n",
                "phase",
                "load",
                "offer/s",
                "label/s",
                "produced",
                "labelled",
                "skipped",
                "dead",
                "lost",
                "p50 ms",
                "p99 ms",
                "p99>5s",
                "level",
                "changes",
                "/min",
                "exp.acc",
                agreement(r) ? "agree" : "top-1");
        List<LoadTestAnalysis.Phase> rows = new ArrayList<>(r.phases());
        rows.add(r.total());
        int n = r.phases().size() - 2; // the phases between the warm-up and the drain
        for (int i = 0; i < rows.size(); i++) {
            LoadTestAnalysis.Phase p = rows.get(i);
            String csvPhase = i == 0 ? "warm-up" : i <= n ? Integer.toString(i) : i == n + 1 ? "drain" : null;
            out.printf(
                    Locale.ROOT,
                    "  %-7s %5s %8.1f %8s %8d %8d %7d %5d %5d %8s %8s %8s %5s %7d %6s %8s %6s%n",
                    p.phase(),
                    p.multiplier() == null ? "-" : LoadTestSettings.format(p.multiplier()) + "x",
                    p.offeredFps(),
                    labelsPerSecond(r, csvPhase),
                    p.produced(),
                    p.labelled(),
                    p.skipped(),
                    p.deadLettered(),
                    p.lost(),
                    text(p.ageP50Ms()),
                    text(p.ageP99Ms()),
                    text(p.ageP99AfterTransitionMs()),
                    p.meanLevel() == null ? "-" : String.format(Locale.ROOT, "%.2f", p.meanLevel()),
                    p.levelChanges(),
                    p.levelChangesPerMinuteSettled() == null
                            ? "-"
                            : String.format(Locale.ROOT, "%.1f", p.levelChangesPerMinuteSettled()),
                    percent(p.expectedAccuracy(), 2),
                    percent(p.measuredTop1(), 1));
        }
    }

    static void printChecks(List<LoadTestChecks.Check> checks, PrintStream out) {
        out.printf(Locale.ROOT, "%nchecks:%n");
        for (LoadTestChecks.Check c : checks) {
            out.printf(Locale.ROOT, "  %-4s %-20s %s: %s%n", c.result(), c.policy(), c.check(), c.detail());
        }
    }

    /**
     * The comparison of ladders ({@code --ladders}): per policy, ladder and phase above 1x, the frame
     * age held and the accuracy of the labels delivered, one row each; nothing when one ladder ran.
     */
    static void printComparison(List<LoadTestAnalysis.Report> reports, PrintStream out) {
        if (reports.stream().allMatch(r -> r.run().ladderName() == null)) {
            return;
        }
        boolean agreement = agreement(reports.get(0));
        out.printf(
                Locale.ROOT,
                "%nladders compared (phases above 1x; %s; right/fr: labels right per frame produced, skipped ones"
                        + " counting as wrong; exp.acc: the same expected from the accuracy per level of the sources"
                        + " named; reused: labels that reused their camera's cache)%n",
                agreement
                        ? "agree: delivered labels equal to the plain model's top-1 on the same frame (video: no"
                                + " ground truth)"
                        : "top-1: delivered labels against the generator's classes");
        out.printf(
                Locale.ROOT,
                "  %-14s %-10s %5s %8s %8s %8s %8s %7s %5s %8s %6s %8s %6s  %s%n",
                "policy",
                "ladder",
                "load",
                "label/s",
                "p50 ms",
                "p99 ms",
                "p99>5s",
                "skipped",
                "level",
                "exp.acc",
                agreement ? "agree" : "top-1",
                "right/fr",
                "reused",
                "accuracy from");
        for (LoadTestAnalysis.Report r : reports) {
            for (int i = 1; i < r.phases().size() - 1; i++) {
                LoadTestAnalysis.Phase p = r.phases().get(i);
                if (p.multiplier() == null || p.multiplier() <= 1) {
                    continue;
                }
                out.printf(
                        Locale.ROOT,
                        "  %-14s %-10s %5s %8s %8s %8s %8s %7d %5s %8s %6s %8s %6s  %s%n",
                        r.run().policy().id(),
                        r.run().ladderName() == null ? "-" : r.run().ladderName(),
                        LoadTestSettings.format(p.multiplier()) + "x",
                        labelsPerSecond(r, Integer.toString(i)),
                        text(p.ageP50Ms()),
                        text(p.ageP99Ms()),
                        text(p.ageP99AfterTransitionMs()),
                        p.skipped(),
                        p.meanLevel() == null ? "-" : String.format(Locale.ROOT, "%.2f", p.meanLevel()),
                        percent(p.expectedAccuracy(), 2),
                        percent(p.measuredTop1(), 1),
                        percent(p.correctPerProduced(), 1),
                        percent(p.reusedFraction(), 0),
                        p.accuracySources().isEmpty() ? "-" : String.join("; ", p.accuracySources()));
            }
        }
    }

    /** The run's labels are scored against the plain model's top-1 (video cameras), not a ground truth. */
    static boolean agreement(LoadTestAnalysis.Report r) {
        return PipelineRuns.TRUTH_PLAIN_TOP1.equals(r.analysis().truthKind());
    }

    private static String text(Long v) {
        return v == null ? "-" : Long.toString(v);
    }

    private static String percent(Double v, int decimals) {
        return v == null ? "-" : String.format(Locale.ROOT, "%." + decimals + "f%%", 100 * v);
    }
}
