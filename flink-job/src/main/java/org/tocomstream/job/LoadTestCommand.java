package org.tocomstream.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.Shedding;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.model.ModelSpec;

/**
 * {@code loadtest}: the overload experiment of {@code src/docs/overload-experiment.md}, in this
 * JVM (in-process Kafka, local MiniCluster). Measures the job's capacity at the ladder's first
 * rung, then, for each policy on fresh topics, drives camera streams through phases of load
 * relative to that capacity, and writes a CSV and a PNG per policy and a summary JSON with the
 * acceptance checks.
 */
final class LoadTestCommand implements Command {

    /** Job flags that apply to every policy (batching and the controller). */
    private static final Set<String> JOB_FLAGS = Set.of("--model", "--max-batch", "--max-delay", "--max-in-flight",
            "--ladder", "--latency-target", "--target-utilization", "--restore-utilization", "--degrade-dwell",
            "--restore-dwell", "--shed", "--shed-deadline", "--kafka-properties");

    private static final List<JobArgs.Binding> BINDINGS =
            JobArgs.JOB.stream().filter(b -> JOB_FLAGS.contains(b.flag())).collect(Collectors.toList());

    /** Classpath location of the bundled demo model's accuracy per level ({@code src/docs/demo-model-accuracy.json}). */
    static final String ACCURACY_RESOURCE = DemoModel.RESOURCE_DIR + "demo-model-accuracy.json";

    private final OptionParser parser = JobArgs.declare(new OptionParser("loadtest")
                    .value("--streams", "N", "camera streams (default 4)")
                    .value("--phases", "LIST", "load of each phase, multiples of the capacity (default 0.5,1.5,2.5,0.5)")
                    .value("--phase-seconds", "S", "length of each phase (default 60)")
                    .value("--policies", "LIST", "policies to run, in order (default fixed-0,fixed-top,adaptive,adaptive-shed)")
                    .value("--capacity", "FPS", "the job's frames/s at level 0; default: measured first")
                    .value("--capacity-frames", "N", "frames of the capacity measurement (default 2000)")
                    .value("--capacity-seconds", "S", "then the capacity under the cameras: level 0 offered\n"
                            + "1.2x the first figure for S seconds (default min(30, --phase-seconds);\n"
                            + "0 = the first figure alone)")
                    .value("--frame-size", "PX", "side of the JPEG camera frames (default: the model's input size)")
                    .value("--accuracy", "FILE", "accuracy per level (evaluate --json); default: the bundled demo\n"
                            + "model's, when the model is the bundled one")
                    .value("--drain-idle", "S", "after the last phase, stop waiting for outputs after S s\n"
                            + "without one (default 30)")
                    .value("--out", "DIR", "where the CSV, PNG and JSON files go (default loadtest-results)"),
            BINDINGS);

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
                + "--shed, default deadline). One progress line a second. Writes to --out:\n"
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
        ParsedArgs args = parser.parse(argv);
        if (!args.positionals().isEmpty()) {
            throw args.error("unexpected argument '" + args.positionals().get(0) + "'");
        }
        Configuration flags = JobArgs.configuration(args, BINDINGS);
        JobArgs.validate(flags, args);
        if (flags.get(ControlOptions.SHED_MODE) == Shedding.Mode.OFF && args.has("--shed")) {
            throw args.error("--shed", "the adaptive-shed policy needs a mode: deadline or latest-per-stream");
        }
        Shedding.Mode shed = args.has("--shed") ? flags.get(ControlOptions.SHED_MODE) : Shedding.Mode.DEADLINE;
        flags.removeConfig(ControlOptions.SHED_MODE);
        int streams = args.positiveInt("--streams", 4);
        List<Double> phases = phases(args);
        double phaseSeconds = args.number("--phase-seconds", 60, v -> v >= 1, "a number >= 1");
        List<LoadTestPolicy> policies = policies(args);
        double givenCapacity = args.number("--capacity", 0, v -> v > 0, "a number > 0");
        int capacityFrames = args.positiveInt("--capacity-frames", 2000);
        double capacitySeconds = args.number("--capacity-seconds", Math.min(30, phaseSeconds), v -> v >= 0,
                "a number of seconds >= 0");
        int maxBatch = flags.get(StreamJobOptions.MAX_BATCH);
        if (capacityFrames < 10 * maxBatch) {
            throw args.error("--capacity-frames", "must be at least 10 x the max batch size (" + maxBatch + ")");
        }
        double drainIdle = args.number("--drain-idle", 30, v -> v >= 1, "a number >= 1");
        Path outDir = args.path("--out").orElse(Path.of("loadtest-results"));

        DemoModel.Resolved bundled = null;
        try {
            Path modelDir;
            String modelText;
            if (flags.get(StreamJobOptions.MODEL_DIR) != null) {
                modelDir = Path.of(flags.get(StreamJobOptions.MODEL_DIR));
                modelText = modelDir.toString();
            } else {
                bundled = DemoModel.resolve();
                modelDir = bundled.dir();
                modelText = bundled.description();
                if (bundled.randomWeights()) {
                    err.println("loadtest: warning: random weights; expected accuracy is not reported");
                }
            }
            ModelSpec spec = ModelSpec.read(modelDir);
            Ladder ladder;
            try {
                ladder = ControlOptions.ladder(flags, CostModel.of(spec.architecture().geometry()));
            } catch (IllegalArgumentException e) {
                throw args.error("--ladder", e.getMessage());
            }
            Map<String, Double> accuracy = accuracy(args, bundled, err);
            int px = args.positiveInt("--frame-size", spec.preprocessing().inputSize());
            SceneConfig scenes;
            try {
                scenes = SceneConfig.defaults().withSize(px, px);
            } catch (IllegalArgumentException e) {
                throw args.error("--frame-size", e.getMessage());
            }
            Files.createDirectories(outDir);
            LoadTestSettings settings = new LoadTestSettings(modelDir, streams, phases, phaseSeconds, givenCapacity,
                    maxBatch, (int) flags.get(StreamJobOptions.MAX_DELAY).toMillis(), flags,
                    flags.get(ControlOptions.LATENCY_TARGET), shed, Duration.ofMillis(Math.round(drainIdle * 1000)));
            out.printf(Locale.ROOT, "machine: %s%n", PipelineRuns.machine());
            out.printf(Locale.ROOT, "model: %s; ladder %s; %d streams of %d px JPEG; latency target %d ms%n", modelText,
                    ladder, streams, px, settings.latencyTarget().toMillis());
            PipelineRuns.Cameras cameras = PipelineRuns.preEncoded(scenes, 1, streams);
            Map<String, Object> header = new LinkedHashMap<>();
            List<LoadTestAnalysis.Report> reports = new ArrayList<>();
            LoadTestAnalysis analysis = new LoadTestAnalysis(ladder, accuracy, cameras, phases);
            try (EmbeddedKafka kafka = EmbeddedKafka.start(Map.of())) {
                String bs = kafka.bootstrapServers();
                settings = settings.withCapacity(
                        capacity(bs, settings, ladder, cameras, capacityFrames, capacitySeconds, out));
                out.printf(Locale.ROOT, "profile: %d phases of %.0f s: %s frames/s%n", phases.size(), phaseSeconds,
                        rates(phases, settings.capacity()));
                header.put("machine", PipelineRuns.machine());
                header.put("model", modelText);
                header.put("ladder", ladder.toString());
                header.put("streams", streams);
                header.put("frameSize", px);
                header.put("maxBatch", maxBatch);
                header.put("latencyTargetMs", settings.latencyTarget().toMillis());
                header.put("capacityFramesPerSecond", settings.capacity());
                header.put("capacityMeasured", givenCapacity == 0);
                header.put("phaseSeconds", phaseSeconds);
                header.put("phases", phases);
                header.put("accuracySource", accuracy == null ? null
                        : args.string("--accuracy").orElse("bundled " + ACCURACY_RESOURCE));
                LoadTestRun runner = new LoadTestRun(bs, settings, cameras, out);
                for (LoadTestPolicy p : policies) {
                    out.printf(Locale.ROOT, "%n%s: %s%n", p.id(), p.describe(settings, ladder));
                    LoadTestAnalysis.Report r = analysis.analyse(runner.run(p, ladder));
                    reports.add(r);
                    LoadTestOutput.writeCsv(r, outDir.resolve(LoadTestOutput.csvName(p)));
                    LoadTestPlot.write(r, ladder, phases, settings.latencyTarget().toMillis(),
                            String.format(Locale.ROOT, "%s: %s; capacity %.1f frames/s, %d streams", p.id(),
                                    r.run().settings(), settings.capacity(), streams),
                            outDir.resolve(LoadTestOutput.pngName(p)));
                }
            }
            List<LoadTestChecks.Check> checks = LoadTestChecks.evaluate(reports, settings, analysis);
            out.printf(Locale.ROOT, "%nsummary (counts by the phase a frame was captured in; ages, levels and changes"
                    + " by the time the label was read)%n");
            for (LoadTestAnalysis.Report r : reports) {
                LoadTestOutput.printTable(r, out);
            }
            LoadTestOutput.printChecks(checks, out);
            Path json = outDir.resolve(LoadTestOutput.JSON_NAME);
            LoadTestOutput.writeJson(header, reports, checks, json);
            out.println("wrote " + outDir.resolve("loadtest-*.csv") + ", *.png and " + json);
            return checks.stream().anyMatch(c -> c.result().equals("FAIL")) ? Main.FAILED : Main.OK;
        } catch (CommandFailedException | UsageException e) {
            throw e;
        } catch (Exception e) {
            throw new CommandFailedException(Main.describe(e), e);
        } finally {
            if (bundled != null) {
                DemoModel.delete(bundled.dir());
            }
        }
    }

    private static String rates(List<Double> phases, double capacity) {
        return phases.stream()
                .map(m -> String.format(Locale.ROOT, "%sx = %.1f", LoadTestSettings.format(m), m * capacity))
                .collect(Collectors.joining(", "));
    }

    private static double capacity(String bs, LoadTestSettings s, Ladder ladder, PipelineRuns.Cameras cameras,
            int frames, double underLoadSeconds, PrintStream out) throws Exception {
        if (s.capacity() > 0) {
            out.printf(Locale.ROOT, "capacity at %s: %.1f frames/s (given)%n", ladder.level(0), s.capacity());
            return s.capacity();
        }
        // A warm-up run of the same job over half as many frames first: in a fresh JVM the JIT
        // compiles Kafka's, Flink's and our code during the first run and takes 5-19 % of a core
        // (bench-pipeline), which would understate the capacity and so every phase's load.
        out.printf(Locale.ROOT, "warming up over %d frames, then measuring the capacity at %s over %d frames ...%n",
                Math.max(1, frames / 2), ladder.level(0), frames);
        PipelineRuns.measureCapacity(bs, capacityConf(bs, s, ladder, "lt-warmup"),
                new FramePublisher.Settings("lt-warmup-frames", s.streams(), 0, "cam-",
                        Math.max(1, (frames / 2 + s.streams() - 1) / s.streams()), null), cameras.frames());
        Configuration conf = capacityConf(bs, s, ladder, "lt-capacity");
        FramePublisher.Settings fill = new FramePublisher.Settings("lt-capacity-frames", s.streams(), 0, "cam-",
                (frames + s.streams() - 1) / s.streams(), null);
        PipelineRuns.Capacity c = PipelineRuns.measureCapacity(bs, conf, fill, cameras.frames());
        out.printf(Locale.ROOT, "capacity at %s over a filled topic: %.1f frames/s (%d labels, mean batch %.1f,"
                        + " model busy %.0f %%)%n",
                ladder.level(0), c.labelsPerSecond(), c.labels(), c.meanBatch(), 100 * c.modelBusy());
        if (underLoadSeconds <= 0) {
            return c.labelsPerSecond();
        }
        return capacityUnderLoad(bs, s, ladder, cameras, c.labelsPerSecond(), underLoadSeconds, out);
    }

    /** Share of the first capacity figure the under-load measurement offers: enough to saturate. */
    static final double UNDER_LOAD_OFFER = 1.2;

    /**
     * The capacity while the cameras publish: the phases run the producer, the broker and the
     * label reader in the same JVM as the job, and on a small machine they take a share of the
     * cores that a run over a filled topic does not see (2 cores: the filled topic gave 249
     * frames/s, level 0 then labelled 185-236 frames/s in the 1.0x phases). Level 0 fixed, offered
     * {@link #UNDER_LOAD_OFFER} x the first figure, so it is saturated; the capacity is the mean
     * of the labels per second over the phase's second half.
     */
    private static double capacityUnderLoad(String bs, LoadTestSettings s, Ladder ladder,
            PipelineRuns.Cameras cameras, double firstFigure, double seconds, PrintStream out) throws Exception {
        out.printf(Locale.ROOT, "measuring the capacity at %s under the cameras: %.1f frames/s offered for %.0f s ...%n",
                ladder.level(0), UNDER_LOAD_OFFER * firstFigure, seconds);
        LoadTestSettings probe = s.withCapacity(firstFigure).withProfile(List.of(UNDER_LOAD_OFFER), seconds);
        LoadTestRun.Result r = new LoadTestRun(bs, probe, cameras, out, "capacity-").run(LoadTestPolicy.FIXED_0, ladder);
        LoadTestAnalysis.Report report =
                new LoadTestAnalysis(ladder, null, cameras, List.of(UNDER_LOAD_OFFER)).analyse(r);
        long[] labelled = report.seconds().stream()
                .filter(x -> x.phase().equals("1") && x.t() >= seconds / 2 && x.t() < seconds)
                .mapToLong(LoadTestAnalysis.Second::labelled)
                .toArray();
        if (labelled.length == 0) {
            out.printf(Locale.ROOT, "capacity at %s: %.1f frames/s (the run under the cameras was too short to"
                    + " tell)%n", ladder.level(0), firstFigure);
            return firstFigure;
        }
        // The mean, not the median: labels arrive a batch at a time, so a second's count is a
        // multiple of the batch size give or take, and the median of such counts is that coarse.
        double mean = Arrays.stream(labelled).average().orElseThrow();
        out.printf(Locale.ROOT, "capacity at %s under the cameras: %.1f frames/s (mean of %d seconds; %.0f %% of"
                + " the filled-topic figure)%n", ladder.level(0), mean, labelled.length, 100 * mean / firstFigure);
        return mean;
    }

    /** The capacity run's job: the ladder's first rung, fixed, with the command line's job flags. */
    private static Configuration capacityConf(String bs, LoadTestSettings s, Ladder ladder, String prefix) {
        Configuration conf = PipelineRuns.jobConf(bs, s.modelDir(), ladder.level(0).toString(), s.maxBatch(),
                s.maxDelayMs(), prefix);
        conf.addAll(s.jobFlags());
        conf.set(ControlOptions.POLICY, ControlOptions.Policy.FIXED);
        conf.set(StreamJobOptions.LEVEL, ladder.level(0).toString());
        return conf;
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
                throw args.error("--accuracy", Main.describe(e));
            }
        } else if (bundled != null && !bundled.randomWeights()) {
            try (InputStream in = LoadTestCommand.class.getClassLoader().getResourceAsStream(ACCURACY_RESOURCE)) {
                if (in == null) {
                    err.println("loadtest: warning: no " + ACCURACY_RESOURCE + " in this build; expected accuracy is not reported");
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

    private static List<Double> phases(ParsedArgs args) throws UsageException {
        List<Double> phases = new ArrayList<>();
        for (String p : args.has("--phases") ? args.list("--phases") : List.of("0.5", "1.5", "2.5", "0.5")) {
            try {
                double v = Double.parseDouble(p);
                if (!(v > 0 && v <= 10)) {
                    throw new NumberFormatException();
                }
                phases.add(v);
            } catch (NumberFormatException e) {
                throw args.error("--phases", "expected multiples of the capacity in (0, 10] but got '" + p + "'");
            }
        }
        return phases;
    }

    private static List<LoadTestPolicy> policies(ParsedArgs args) throws UsageException {
        if (!args.has("--policies")) {
            return List.of(LoadTestPolicy.values());
        }
        List<LoadTestPolicy> out = new ArrayList<>();
        for (String id : args.list("--policies")) {
            LoadTestPolicy p = LoadTestPolicy.byId(id);
            if (p == null) {
                throw args.error("--policies", "unknown policy '" + id + "'; known: fixed-0, fixed-top, adaptive, adaptive-shed");
            }
            if (out.contains(p)) {
                throw args.error("--policies", "'" + id + "' given twice");
            }
            out.add(p);
        }
        return out;
    }
}
