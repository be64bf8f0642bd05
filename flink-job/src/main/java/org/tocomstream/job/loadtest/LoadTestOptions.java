package org.tocomstream.job.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.control.Shedding;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.run.JobArgs;

/** The options of {@code loadtest}, checked before the model is read. */
record LoadTestOptions(
        Configuration flags,
        Shedding.Mode shed,
        int streams,
        List<Double> phases,
        double phaseSeconds,
        List<LoadTestPolicy> policies,
        double givenCapacity,
        int capacityFrames,
        double capacitySeconds,
        int maxBatch,
        double drainIdle,
        Path outDir) {

    /** Job flags that apply to every policy (batching and the controller). */
    private static final Set<String> JOB_FLAGS = Set.of(
            "--model",
            "--max-batch",
            "--max-delay",
            "--max-in-flight",
            "--ladder",
            "--latency-target",
            "--target-utilization",
            "--restore-utilization",
            "--degrade-dwell",
            "--restore-dwell",
            "--shed",
            "--shed-deadline",
            "--kafka-properties");

    /** The job's option bindings that {@code loadtest} accepts. */
    static final List<JobArgs.Binding> BINDINGS =
            JobArgs.JOB.stream().filter(b -> JOB_FLAGS.contains(b.flag())).collect(Collectors.toList());

    static LoadTestOptions parse(ParsedArgs args) throws UsageException {
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
        double capacitySeconds =
                args.number("--capacity-seconds", Math.min(30, phaseSeconds), v -> v >= 0, "a number of seconds >= 0");
        int maxBatch = flags.get(StreamJobOptions.MAX_BATCH);
        if (capacityFrames < 10 * maxBatch) {
            throw args.error("--capacity-frames", "must be at least 10 x the max batch size (" + maxBatch + ")");
        }
        double drainIdle = args.number("--drain-idle", 30, v -> v >= 1, "a number >= 1");
        Path outDir = args.path("--out").orElse(Path.of("loadtest-results"));
        return new LoadTestOptions(
                flags,
                shed,
                streams,
                phases,
                phaseSeconds,
                policies,
                givenCapacity,
                capacityFrames,
                capacitySeconds,
                maxBatch,
                drainIdle,
                outDir);
    }

    /** The settings every policy shares; the capacity is the given one, 0 when it is to be measured. */
    LoadTestSettings settings(Path modelDir) {
        return new LoadTestSettings(
                modelDir,
                streams,
                phases,
                phaseSeconds,
                givenCapacity,
                maxBatch,
                (int) flags.get(StreamJobOptions.MAX_DELAY).toMillis(),
                flags,
                flags.get(ControlOptions.LATENCY_TARGET),
                shed,
                Duration.ofMillis(Math.round(drainIdle * 1000)));
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
            return LoadTestPolicy.STANDARD;
        }
        List<LoadTestPolicy> out = new ArrayList<>();
        for (String id : args.list("--policies")) {
            LoadTestPolicy p = LoadTestPolicy.byId(id);
            if (p == null) {
                throw args.error("--policies", "unknown policy '" + id + "'; known: " + LoadTestPolicy.ids());
            }
            if (out.contains(p)) {
                throw args.error("--policies", "'" + id + "' given twice");
            }
            out.add(p);
        }
        return out;
    }

    /**
     * The camera scenes: the generator's defaults at {@code px} a side, with {@code --object-scale}
     * and {@code --noise} as {@code train --generator} takes them, and the cameras' {@code --scene} (a model fine-tuned on a harder
     * generator domain is load-tested on frames of that domain).
     */
    static SceneConfig scenes(ParsedArgs args, int px) throws UsageException {
        SceneConfig c;
        try {
            c = SceneConfig.defaults().withSize(px, px);
        } catch (IllegalArgumentException e) {
            throw args.error("--frame-size", e.getMessage());
        }
        if (args.has(DataOptions.OBJECT_SCALE)) {
            String text = args.string(DataOptions.OBJECT_SCALE).orElseThrow();
            String[] parts = text.split(",", -1);
            try {
                if (parts.length != 2) {
                    throw new IllegalArgumentException("expected MIN,MAX such as 0.25,0.6");
                }
                c = c.withScale(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
            } catch (IllegalArgumentException e) {
                throw args.error(DataOptions.OBJECT_SCALE, "'" + text + "': " + e.getMessage());
            }
        }
        double noise = args.number(DataOptions.NOISE, c.noiseStd(), v -> v >= 0 && v <= 64, "a number in [0, 64]");
        return DataOptions.scene(args, c.withNoiseStd(noise));
    }
}
