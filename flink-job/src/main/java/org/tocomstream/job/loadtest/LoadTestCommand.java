package org.tocomstream.job.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.Ladder;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
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
import org.tocomstream.job.train.EvaluateReport;
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
                            "--accuracy",
                            "FILE",
                            "accuracy per level (evaluate --json); default: the bundled demo\n"
                                    + "model's, when the model is the bundled one")
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
                + "Camera-sized frames: --frame-size 320. Writes to --out:\n"
                + "  loadtest-<policy>.csv   one row a second: t_s, phase, load, arrival_fps, labelled_fps,\n"
                + "                          skipped_fps, dead_lettered_fps, age_p50_ms, age_p99_ms,\n"
                + "                          level_rung, level, backlog\n"
                + "  loadtest-<policy>.png   frames/s, frame age p50/p99 (log) and level over time, phases shaded\n"
                + "  loadtest-summary.json   per policy and phase: frames produced/labelled/skipped/\n"
                + "                          dead-lettered/lost, p50/p99 age, mean level, level changes,\n"
                + "                          expected accuracy; and the checks\n"
                + "and prints the summary and the checks (PASS/FAIL/SKIP). Exit status 1 when a check fails.\n"
                + "Numbers mean something only on an otherwise idle machine.\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv);
        LoadTestOptions o = LoadTestOptions.parse(args);
        Configuration flags = o.flags();
        int streams = o.streams();
        List<Double> phases = o.phases();

        DemoModel.Resolved bundled = null;
        try {
            bundled = bundledModelUnlessGiven(flags, err);
            Path modelDir = bundled == null ? Path.of(flags.get(StreamJobOptions.MODEL_DIR)) : bundled.dir();
            String modelText = bundled == null ? modelDir.toString() : bundled.description();
            ModelSpec spec = ModelSpec.read(modelDir);
            LadderChoice choice = ladder(args, flags, modelDir, spec);
            Ladder ladder = choice.ladder();
            Map<String, Double> accuracy = accuracy(args, bundled, err);
            int px = args.positiveInt("--frame-size", spec.preprocessing().inputSize());
            SceneConfig scenes = scenes(args, px);
            Files.createDirectories(o.outDir());
            LoadTestSettings settings = o.settings(modelDir);
            out.printf(Locale.ROOT, "machine: %s%n", PipelineRuns.machine());
            out.printf(
                    Locale.ROOT,
                    "model: %s; ladder %s; %d streams of %d px JPEG; latency target %d ms%n",
                    modelText,
                    ladder,
                    streams,
                    px,
                    settings.latencyTarget().toMillis());
            // As the job prints them at start with its default controller settings (the default policy).
            String overload = choice.overload(defaultsOf(flags, modelDir)).describe(modelDir.toString());
            out.println(choice.describe());
            out.println(overload);
            PipelineRuns.Cameras cameras = PipelineRuns.preEncoded(scenes, 1, streams);
            Map<String, Object> header;
            List<LoadTestAnalysis.Report> reports;
            LoadTestAnalysis analysis = new LoadTestAnalysis(ladder, accuracy, cameras, phases);
            try (EmbeddedKafka kafka = EmbeddedKafka.start(Map.of())) {
                String bs = kafka.bootstrapServers();
                settings = settings.withCapacity(LoadTestCapacity.measure(
                        bs, settings, ladder, cameras, o.capacityFrames(), o.capacitySeconds(), out));
                out.printf(
                        Locale.ROOT,
                        "profile: %d phases of %.0f s: %s frames/s%n",
                        phases.size(),
                        o.phaseSeconds(),
                        rates(phases, settings.capacity()));
                header = header(args, o, modelText, choice, px, settings, accuracy);
                header.put("overloadAtDefaults", overload);
                reports = runPolicies(
                        new LoadTestRun(bs, settings, cameras, out),
                        o.policies(),
                        settings,
                        ladder,
                        analysis,
                        o.outDir(),
                        out);
            }
            return summarize(reports, settings, analysis, header, o.outDir(), out);
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
    private static LadderChoice ladder(ParsedArgs args, Configuration flags, Path modelDir, ModelSpec spec)
            throws UsageException {
        try {
            return LadderChoice.resolve(
                    defaultsOf(flags, modelDir),
                    CostModel.of(spec.architecture().geometry()));
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

    private static SceneConfig scenes(ParsedArgs args, int px) throws UsageException {
        try {
            return SceneConfig.defaults().withSize(px, px);
        } catch (IllegalArgumentException e) {
            throw args.error("--frame-size", e.getMessage());
        }
    }

    /** The summary JSON's header: the machine, the model, the job settings and the measured capacity. */
    private static Map<String, Object> header(
            ParsedArgs args,
            LoadTestOptions o,
            String modelText,
            LadderChoice ladder,
            int px,
            LoadTestSettings settings,
            Map<String, Double> accuracy) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("machine", PipelineRuns.machine());
        header.put("model", modelText);
        header.put("ladder", ladder.ladder().toString());
        header.put("ladderSource", ladder.source());
        header.put("streams", o.streams());
        header.put("frameSize", px);
        header.put("maxBatch", o.maxBatch());
        header.put("latencyTargetMs", settings.latencyTarget().toMillis());
        header.put("capacityFramesPerSecond", settings.capacity());
        header.put("capacityMeasured", o.givenCapacity() == 0);
        header.put("phaseSeconds", o.phaseSeconds());
        header.put("phases", o.phases());
        header.put(
                "accuracySource",
                accuracy == null ? null : args.string("--accuracy").orElse("bundled " + ACCURACY_RESOURCE));
        return header;
    }

    /** Each policy in turn, its CSV and PNG written as soon as it has run; returns their reports. */
    private static List<LoadTestAnalysis.Report> runPolicies(
            LoadTestRun runner,
            List<LoadTestPolicy> policies,
            LoadTestSettings settings,
            Ladder ladder,
            LoadTestAnalysis analysis,
            Path outDir,
            PrintStream out)
            throws Exception {
        List<LoadTestAnalysis.Report> reports = new ArrayList<>();
        for (LoadTestPolicy p : policies) {
            out.printf(Locale.ROOT, "%n%s: %s%n", p.id(), p.describe(settings, ladder));
            LoadTestAnalysis.Report r = analysis.analyse(runner.run(p, ladder));
            reports.add(r);
            LoadTestOutput.writeCsv(r, outDir.resolve(LoadTestOutput.csvName(p)));
            LoadTestPlot.write(
                    r,
                    ladder,
                    settings.phases(),
                    settings.latencyTarget().toMillis(),
                    String.format(
                            Locale.ROOT,
                            "%s: %s; capacity %.1f frames/s, %d streams",
                            p.id(),
                            r.run().settings(),
                            settings.capacity(),
                            settings.streams()),
                    outDir.resolve(LoadTestOutput.pngName(p)));
        }
        return reports;
    }

    /** Prints the summary tables and the checks, writes the JSON; returns the exit status. */
    private static int summarize(
            List<LoadTestAnalysis.Report> reports,
            LoadTestSettings settings,
            LoadTestAnalysis analysis,
            Map<String, Object> header,
            Path outDir,
            PrintStream out)
            throws IOException {
        List<LoadTestChecks.Check> checks = LoadTestChecks.evaluate(reports, settings, analysis);
        out.printf(
                Locale.ROOT,
                "%nsummary (counts by the phase a frame was captured in; ages, levels and changes"
                        + " by the time the label was read)%n");
        for (LoadTestAnalysis.Report r : reports) {
            LoadTestOutput.printTable(r, out);
        }
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

    /** Accuracy per canonical level text, or null when there is none for this model. */
    private static Map<String, Double> accuracy(ParsedArgs args, DemoModel.Resolved bundled, PrintStream err)
            throws UsageException, IOException {
        EvaluateReport report;
        if (args.has("--accuracy")) {
            Path file = args.path("--accuracy").orElseThrow();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                report = EvaluateReport.read(r, file.toString());
            } catch (IOException e) {
                throw args.error("--accuracy", Cli.describe(e));
            }
        } else if (bundled != null && !bundled.randomWeights()) {
            try (InputStream in = LoadTestCommand.class.getClassLoader().getResourceAsStream(ACCURACY_RESOURCE)) {
                if (in == null) {
                    err.println("loadtest: warning: no " + ACCURACY_RESOURCE
                            + " in this build; expected accuracy is not reported");
                    return null;
                }
                report = EvaluateReport.read(new InputStreamReader(in, StandardCharsets.UTF_8), ACCURACY_RESOURCE);
            }
        } else {
            return null;
        }
        Map<String, Double> byLevel = new HashMap<>();
        for (EvaluateReport.Row row : report.rows()) {
            byLevel.put(LoadTestAnalysis.canonical(row.level()), row.accuracy());
        }
        return byLevel;
    }
}
