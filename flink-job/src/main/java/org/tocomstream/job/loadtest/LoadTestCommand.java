package org.tocomstream.job.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.Ladder;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.LadderChoice;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.job.run.JobArgs;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.model.ModelSpec;

/**
 * {@code loadtest}: the overload test of {@code src/docs/loadtest.md}, in this
 * JVM (in-process Kafka, local MiniCluster). Measures the job's capacity at the ladder's first
 * rung, then, for each policy on fresh topics, drives camera streams through phases of load
 * relative to that capacity, and writes a CSV and a PNG per policy and a summary JSON with the
 * acceptance checks.
 */
public final class LoadTestCommand implements Command {

    /** Classpath location of the bundled demo model's accuracy per level ({@code flink-job/src/main/resources/demo-model/demo-model-accuracy.json}). */
    static final String ACCURACY_RESOURCE = DemoModel.RESOURCE_DIR + "demo-model-accuracy.json";

    private final OptionParser parser = JobArgs.declare(
            new OptionParser("loadtest")
                    .value("--streams", "N", "camera streams (default 4)")
                    .value(
                            "--phases",
                            "LIST",
                            "load of each phase, multiples of the capacity (default 0.5,1.5,2.5,0.5)")
                    .value("--phase-seconds", "S", "length of each phase (default 60)")
                    .value(
                            "--policies",
                            "LIST",
                            "policies to run, in order (default fixed-0,fixed-top,adaptive,adaptive-shed;\n"
                                    + "also: default)")
                    .value(
                            LoadTestLadders.OPTION,
                            "LIST",
                            "compare ladders in one run: derived (today's ToMe steps), measured\n"
                                    + "(the model's ladder.json), NAME=LADDER, NAME=FILE.json (a measured\n"
                                    + "ladder in the model directory, from ladder --out); '|'-separated (or\n"
                                    + "',' for derived,measured); each policy runs once per ladder (default policies\n"
                                    + "then: adaptive,default)")
                    .value("--capacity", "FPS", "the job's frames/s at level 0; default: measured first")
                    .value("--capacity-frames", "N", "frames of the capacity measurement (default 2000)")
                    .value(
                            "--capacity-seconds",
                            "S",
                            "then the capacity under the cameras: level 0 offered\n"
                                    + "1.2x the first figure for S seconds (default min(30, --phase-seconds);\n"
                                    + "0 = the first figure alone)")
                    .value("--frame-size", "PX", "side of the JPEG camera frames (default: the model's input size)")
                    .value(
                            DataOptions.OBJECT_SCALE,
                            "MIN,MAX",
                            "camera scenes' object diameter, a fraction of the side (default 0.25,0.6)")
                    .value(DataOptions.NOISE, "STD", "camera scenes' pixel noise, 8-bit levels (default 10)")
                    .value(DataOptions.SCENE, "S", DataOptions.SCENE_HELP)
                    .value(
                            LoadTestCameras.VIDEO,
                            "FILE",
                            "cameras showing a video (any codec FFmpeg decodes), camera i from\n"
                                    + "frame i x len / N on; labels scored by agreement with the plain\n"
                                    + "model's top-1 on each frame (no ground truth)")
                    .value(
                            "--accuracy",
                            "FILE",
                            "accuracy per level (evaluate --json); default: the bundled demo\n"
                                    + "model's, when the model is the bundled one; levels not in it: the\n"
                                    + "model's ladder.json candidates (top-1, or agreement as a proxy)")
                    .value(
                            "--drain-idle",
                            "S",
                            "after the last phase, stop waiting for outputs after S s\n" + "without one (default 30)")
                    .value("--out", "DIR", "where the CSV, PNG and JSON files go (default loadtest-results)"),
            LoadTestOptions.BINDINGS);

    @Override
    public String name() {
        return "loadtest";
    }

    @Override
    public String summary() {
        return "the overload experiment: fixed vs adaptive levels under 0.5x/1.5x/2.5x/0.5x load (in-process Kafka)";
    }

    @Override
    public String help() {
        return "usage: loadtest [--phases 0.5,1.5,2.5,0.5] [--phase-seconds 60] [--policies LIST] [OPTIONS]\n\n"
                + "Measures the job's capacity at level 0 (frames/s over a pre-filled topic, as bench-pipeline\n"
                + "does), then runs each policy on fresh topics of an in-process Kafka: a warm-up, then N\n"
                + "cameras (pre-encoded scene-generator frames) at each phase's multiple of the capacity, then\n"
                + "a drain until every frame has a label, a skipped record or a dead letter. Policies:\n"
                + "fixed-0 (the ladder's first rung), fixed-top (its last), adaptive, adaptive-shed (with\n"
                + "--shed, default deadline), and on request default (the job's own controller defaults, as\n"
                + "'run' starts it). The ladder is the job's: --ladder, else the model's ladder.json, else\n"
                + "derived; the start prints how much overload it absorbs. One progress line a second.\n"
                + "Camera-sized frames: --frame-size 320; fixed cameras (one background per stream,\n"
                + "only the objects move): --scene static. Cameras showing a video: --video FILE (labels\n"
                + "then scored by agreement with the plain model's top-1, JSON header truth).\n"
                + "--ladders derived,measured compares today's\n"
                + "ladder with the measured one in one run: same capacity, same load, each policy once per\n"
                + "ladder (adaptive[derived], adaptive[measured]; files loadtest-adaptive-measured.*), and\n"
                + "a table and loadtest-ladders.png of age and delivered accuracy per ladder.\n"
                + "Writes to --out:\n"
                + "  loadtest-<policy>.csv   one row a second: t_s, phase, load, arrival_fps, labelled_fps,\n"
                + "                          skipped_fps, dead_lettered_fps, age_p50_ms, age_p99_ms,\n"
                + "                          level_rung, level, backlog\n"
                + "  loadtest-<policy>.png   frames/s, frame age p50/p99 (log) and level over time, phases shaded\n"
                + "  loadtest-summary.json   per policy and phase: frames produced/labelled/skipped/\n"
                + "                          dead-lettered/lost, p50/p99 age, mean level, level changes,\n"
                + "                          expected accuracy (and its sources), top-1 of the labels;\n"
                + "                          the ladders, the accuracy per level and its source; checks\n"
                + "and prints the summary and the checks (PASS/FAIL/SKIP). Exit status 1 when a check fails.\n"
                + "Numbers mean something only on an otherwise idle machine.\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv);
        LoadTestOptions o = LoadTestOptions.parse(args);
        LoadTestCameras.checkFlags(args);
        Configuration flags = o.flags();
        List<Double> phases = o.phases();

        DemoModel.Resolved bundled = null;
        try {
            bundled = bundledModelUnlessGiven(flags, err);
            Path modelDir = bundled == null ? Path.of(flags.get(StreamJobOptions.MODEL_DIR)) : bundled.dir();
            String modelText = bundled == null ? modelDir.toString() : bundled.description();
            ModelSpec spec = ModelSpec.read(modelDir);
            List<LoadTestLadders.Variant> variants = variants(args, flags, modelDir, spec);
            List<LoadTestPolicy> policies = args.has("--policies") || variants.size() == 1
                    ? o.policies()
                    : List.of(LoadTestPolicy.ADAPTIVE, LoadTestPolicy.DEFAULT);
            // A video's frames are not the domain the bundled report or ladder.json measured: an
            // expected accuracy comes only from an --accuracy report given for them.
            LevelAccuracy accuracy = args.has(LoadTestCameras.VIDEO) && !args.has("--accuracy")
                    ? LevelAccuracy.NONE
                    : LevelAccuracy.load(args, bundled, modelDir, err);
            int px = args.positiveInt("--frame-size", spec.preprocessing().inputSize());
            SceneConfig scenes = LoadTestOptions.scenes(args, px);
            Files.createDirectories(o.outDir());
            LoadTestSettings settings = o.settings(modelDir);
            LoadTestCameras cams = LoadTestCameras.open(args, scenes, o.streams(), px, modelDir, out);
            out.printf(Locale.ROOT, "machine: %s%n", PipelineRuns.machine());
            out.printf(
                    Locale.ROOT,
                    "model: %s; ladder %s; %s; latency target %d ms%n",
                    modelText,
                    variants.stream().map(v -> v.ladder().toString()).collect(Collectors.joining(" vs ")),
                    cams.description(),
                    settings.latencyTarget().toMillis());
            Map<String, Object> header = header(o, modelText, variants, px, settings, accuracy);
            // As the job prints them at start with its default controller settings (the default policy).
            List<String> overloads = new ArrayList<>();
            for (LoadTestLadders.Variant v : variants) {
                String overload =
                        v.choice().overload(defaultsOf(flags, modelDir)).describe(modelDir.toString());
                overloads.add(overload);
                out.println(
                        (v.name() == null ? "" : v.name() + ": ") + v.choice().describe());
                out.println((v.name() == null ? "" : v.name() + ": ") + overload);
            }
            header.put("cameras", cams.description());
            header.put(
                    "cameraScene",
                    args.has(LoadTestCameras.VIDEO)
                            ? null
                            : scenes.cameraScene().text());
            header.put("truth", cams.cameras().truthKind());
            header.put("overloadAtDefaults", variants.size() == 1 ? overloads.get(0) : overloads);
            PipelineRuns.Cameras cameras = cams.cameras();
            List<LoadTestAnalysis.Report> reports;
            try (EmbeddedKafka kafka = EmbeddedKafka.start(Map.of())) {
                String bs = kafka.bootstrapServers();
                settings = settings.withCapacity(LoadTestCapacity.measure(
                        bs, settings, variants.get(0).ladder(), cameras, o.capacityFrames(), o.capacitySeconds(), out));
                out.printf(
                        Locale.ROOT,
                        "profile: %d phases of %.0f s: %s frames/s%n",
                        phases.size(),
                        o.phaseSeconds(),
                        rates(phases, settings.capacity()));
                header.put("capacityFramesPerSecond", settings.capacity());
                reports = runPolicies(bs, cameras, policies, variants, settings, accuracy, o.outDir(), out);
            }
            return summarize(reports, settings, header, o.outDir(), out);
        } catch (CommandFailedException | UsageException e) {
            throw e;
        } catch (Exception e) {
            throw new CommandFailedException(Cli.describe(e), e);
        } finally {
            if (bundled != null) {
                DemoModel.delete(bundled.dir());
            }
        }
    }

    /** {@code --ladders}' variants, else the one ladder the job would use (a variant without a name). */
    private static List<LoadTestLadders.Variant> variants(
            ParsedArgs args, Configuration flags, Path modelDir, ModelSpec spec) throws UsageException {
        CostModel cost = CostModel.of(spec.architecture().geometry());
        List<LoadTestLadders.Variant> variants = LoadTestLadders.parse(args, flags, modelDir, cost);
        return variants.isEmpty()
                ? List.of(new LoadTestLadders.Variant(null, ladder(args, flags, modelDir, cost)))
                : variants;
    }

    /** Without {@code --model}, the bundled demo model; otherwise null. */
    private static DemoModel.Resolved bundledModelUnlessGiven(Configuration flags, PrintStream err) throws IOException {
        if (flags.get(StreamJobOptions.MODEL_DIR) != null) {
            return null;
        }
        DemoModel.Resolved bundled = DemoModel.resolve();
        if (bundled.randomWeights()) {
            err.println("loadtest: warning: random weights; expected accuracy is not reported");
        }
        return bundled;
    }

    /** The ladder as the job would resolve it: {@code --ladder}, else the model's ladder.json, else derived. */
    private static LadderChoice ladder(ParsedArgs args, Configuration flags, Path modelDir, CostModel cost)
            throws UsageException {
        try {
            return LadderChoice.resolve(defaultsOf(flags, modelDir), cost);
        } catch (IllegalArgumentException e) {
            throw args.error("--ladder", e.getMessage());
        }
    }

    /** The job flags given, on the model, with the adaptive policy the local run defaults to. */
    private static Configuration defaultsOf(Configuration flags, Path modelDir) {
        Configuration c = new Configuration(flags);
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        return c;
    }

    /** The summary JSON's header: the machine, the model, the ladders, the job settings and the accuracies. */
    private static Map<String, Object> header(
            LoadTestOptions o,
            String modelText,
            List<LoadTestLadders.Variant> variants,
            int px,
            LoadTestSettings settings,
            LevelAccuracy accuracy) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("machine", PipelineRuns.machine());
        header.put("model", modelText);
        header.put("ladder", variants.get(0).ladder().toString());
        header.put("ladderSource", variants.get(0).choice().source());
        List<Map<String, Object>> ladders = new ArrayList<>();
        List<CompressionLevel> levels = new ArrayList<>();
        for (LoadTestLadders.Variant v : variants) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("name", v.name());
            l.put("ladder", v.ladder().toString());
            l.put("source", v.choice().source());
            ladders.add(l);
            for (int i = 0; i < v.ladder().size(); i++) {
                if (!levels.contains(v.ladder().level(i))) {
                    levels.add(v.ladder().level(i));
                }
            }
        }
        header.put("ladders", ladders);
        header.put("streams", o.streams());
        header.put("frameSize", px);
        header.put("maxBatch", o.maxBatch());
        header.put("latencyTargetMs", settings.latencyTarget().toMillis());
        header.put("capacityFramesPerSecond", settings.capacity());
        header.put("capacityMeasured", o.givenCapacity() == 0);
        header.put("phaseSeconds", o.phaseSeconds());
        header.put("phases", o.phases());
        header.put("accuracySource", accuracy.evaluateSource());
        header.put("accuracyPerLevel", LevelAccuracy.table(accuracy, levels));
        return header;
    }

    /**
     * Each policy in turn, over each ladder in turn (the same policy's ladders back to back), on
     * topics of their own; each run's CSV and PNG written as soon as it has run, and with more than
     * one ladder the comparison plot at the end; returns their reports.
     */
    private static List<LoadTestAnalysis.Report> runPolicies(
            String bs,
            PipelineRuns.Cameras cameras,
            List<LoadTestPolicy> policies,
            List<LoadTestLadders.Variant> variants,
            LoadTestSettings settings,
            LevelAccuracy accuracy,
            Path outDir,
            PrintStream out)
            throws Exception {
        List<LoadTestAnalysis.Report> reports = new ArrayList<>();
        for (LoadTestPolicy p : policies) {
            for (LoadTestLadders.Variant v : variants) {
                Ladder ladder = v.ladder();
                String tag = v.name() == null ? "" : v.name() + "-";
                LoadTestRun runner = new LoadTestRun(bs, settings, cameras, out, tag);
                LoadTestAnalysis analysis = new LoadTestAnalysis(ladder, accuracy, cameras, settings.phases());
                out.printf(
                        Locale.ROOT,
                        "%n%s%s: %s%n",
                        p.id(),
                        v.name() == null ? "" : "[" + v.name() + "]",
                        p.describe(settings, ladder));
                LoadTestAnalysis.Report r = analysis.analyse(runner.run(p, ladder, v.name()));
                reports.add(r);
                LoadTestOutput.writeCsv(r, outDir.resolve(LoadTestOutput.csvName(r.run())));
                LoadTestPlot.write(
                        r,
                        ladder,
                        settings.phases(),
                        settings.latencyTarget().toMillis(),
                        String.format(
                                Locale.ROOT,
                                "%s: %s; capacity %.1f frames/s, %d streams",
                                r.run().id(),
                                r.run().settings(),
                                settings.capacity(),
                                settings.streams()),
                        outDir.resolve(LoadTestOutput.pngName(r.run())));
            }
        }
        if (variants.size() > 1) {
            LoadTestComparePlot.write(reports, settings, outDir.resolve(LoadTestComparePlot.FILE_NAME));
        }
        return reports;
    }

    /** Prints the summary tables and the checks, writes the JSON; returns the exit status. */
    private static int summarize(
            List<LoadTestAnalysis.Report> reports,
            LoadTestSettings settings,
            Map<String, Object> header,
            Path outDir,
            PrintStream out)
            throws IOException {
        List<LoadTestChecks.Check> checks = LoadTestChecks.evaluate(reports, settings);
        out.printf(
                Locale.ROOT,
                "%nsummary (counts by the phase a frame was captured in; ages, levels and changes"
                        + " by the time the label was read)%n");
        for (LoadTestAnalysis.Report r : reports) {
            LoadTestOutput.printTable(r, out);
        }
        LoadTestOutput.printComparison(reports, out);
        LoadTestOutput.printChecks(checks, out);
        Path json = outDir.resolve(LoadTestOutput.JSON_NAME);
        LoadTestOutput.writeJson(header, reports, checks, json);
        out.println("wrote " + outDir.resolve("loadtest-*.csv") + ", *.png and " + json);
        return checks.stream().anyMatch(c -> c.result().equals("FAIL")) ? Cli.FAILED : Cli.OK;
    }

    private static String rates(List<Double> phases, double capacity) {
        return phases.stream()
                .map(m -> String.format(Locale.ROOT, "%sx = %.1f", LoadTestSettings.format(m), m * capacity))
                .collect(Collectors.joining(", "));
    }
}
