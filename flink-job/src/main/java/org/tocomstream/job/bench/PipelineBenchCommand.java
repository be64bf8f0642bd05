package org.tocomstream.job.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.job.run.GeneratedFrames;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;

/**
 * {@code bench-pipeline}: the streaming job's throughput against the bare engine's, and frame age
 * under load, on this machine with an in-process broker.
 *
 * <ol>
 *   <li>Bare engine: {@code VitModel.logits} on batches of {@code --batch} preprocessed frames at
 *       {@code --level} (the call the inference operator makes), from as many threads at once as
 *       the job has batches in flight ({@code --max-in-flight}), on one shared model as in the
 *       job, images/s; measured before and again after the job's run, and the job compared with
 *       their mean.
 *   <li>Pipeline capacity: after a warm-up run of the same job ({@code --warmup-frames}, JIT),
 *       {@code --frames} JPEG frames written to a topic first, then the whole
 *       job (Kafka source, decode, batching inference, Kafka sink; parallelism 1, the same model,
 *       level and max batch size) reads them as a bounded job; labels/s between the labels
 *       written at 10 % and at 100 % of the frames (record timestamps), so start-up is excluded.
 *   <li>Age under load: the job runs unbounded while synthetic cameras publish at each of {@code
 *       --loads} times the measured capacity for {@code --seconds}; frame age (read time minus
 *       capture time, at a {@code read_committed} reader) p50/p99 over the labels of frames
 *       captured after the first quarter of the phase.
 * </ol>
 */
public final class PipelineBenchCommand implements Command {

    private final OptionParser parser = new OptionParser("bench-pipeline")
            .value("--model", "DIR", "model directory (default: vit_demo with random weights)")
            .value("--preset", "NAME", "instead of --model: this architecture with random weights")
            .value("--frame-size", "PX", "side of the JPEG camera frames (default: the model's input size)")
            .value("--level", "LEVEL", "compression level (default none)")
            .value("--batch", "N", "batch size of the engine and the job's max batch size (default 8)")
            .value("--max-delay-ms", "MS", "the job's max batch delay (default 50)")
            .value(
                    "--max-in-flight",
                    "N",
                    "the job's batches in flight; the engine is timed with N callers (default 1)")
            .value("--threads", "N", "libtorch intra-op threads, engine and job (default: libtorch's, the cores)")
            .value("--frames", "N", "frames of the capacity run (default 2000)")
            .value("--warmup-frames", "N", "frames of the warm-up run of the same job before it (default: --frames)")
            .value("--streams", "N", "camera streams (default 4)")
            .value("--loads", "LIST", "loads for the age runs, fractions of capacity (default 0.5,0.9)")
            .value("--seconds", "S", "length of each load run (default 20)")
            .value("--json", "FILE", "also write the results as JSON");

    @Override
    public String name() {
        return "bench-pipeline";
    }

    @Override
    public String summary() {
        return "job throughput vs the bare engine, frame age at 50 % / 90 % load (in-process Kafka)";
    }

    @Override
    public String help() {
        return "usage: bench-pipeline [--model DIR] [--level L] [--batch N] [--frames N] [--loads 0.5,0.9]\n"
                + "                      [--max-in-flight N] [--threads N] [--warmup-frames N]\n\n"
                + "Measures, on this machine: the bare engine's images/s at batch N and level L; the\n"
                + "whole job's labels/s over a pre-filled frames topic (in-process Kafka, parallelism 1,\n"
                + "same model, level, max batch size, batches in flight; the engine is timed with as\n"
                + "many callers as the job has batches in flight) and its ratio to the engine; then frame age\n"
                + "p50/p99 with cameras at each load (fraction of the measured capacity; frames\n"
                + "pre-encoded, so the cameras cost only the Kafka send).\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    /** The options read before the model is: checked, with libtorch's thread count already set. */
    record Settings(
            String level,
            int batch,
            int maxDelayMs,
            int inFlight,
            int frames,
            int warmupFrames,
            int streams,
            double seconds,
            List<Double> loads) {

        /** {@link PipelineRuns#jobConf} at this level and batching, with {@code inFlight} batches in flight. */
        Configuration jobConf(String bs, Path modelDir, String prefix) {
            Configuration conf = PipelineRuns.jobConf(bs, modelDir, level, batch, maxDelayMs, prefix);
            conf.set(StreamJobOptions.MAX_IN_FLIGHT, inFlight);
            return conf;
        }
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv);
        Settings s = settings(args);
        String levelText = s.level();
        int batch = s.batch();
        int inFlight = s.inFlight();

        Map<String, Object> report = new LinkedHashMap<>();
        DemoModel.Resolved generated = null;
        try {
            generated = generatedModel(args);
            Path modelDir = generated == null ? args.path("--model").orElseThrow() : generated.dir();
            ModelSpec spec = ModelSpec.read(modelDir);
            int px = header(args, s, spec, generated, report, out);
            SceneConfig sceneConfig;
            try {
                sceneConfig = SceneConfig.defaults().withSize(px, px);
            } catch (IllegalArgumentException e) {
                throw args.error("--frame-size", e.getMessage());
            }
            report.put("frameSize", px);
            FramePublisher.Settings fill =
                    new FramePublisher.Settings("bench-frames", s.streams(), 0, "cam-", s.frames() / s.streams(), null);
            GeneratedFrames scenes = new GeneratedFrames(sceneConfig, 0, fill, false);

            double engine = BareEngine.imagesPerSecond(
                    modelDir, spec, scenes, batch, CompressionLevel.parse(levelText), inFlight);
            report.put("torchThreads", JniUtils.getNumThreads());
            out.printf(Locale.ROOT, "libtorch intra-op threads: %d%n", JniUtils.getNumThreads());
            out.printf(Locale.ROOT, "bare engine: %.1f images/s (%.1f ms per batch)%n", engine, batch * 1000 / engine);
            report.put("engineImagesPerSecond", engine);

            try (EmbeddedKafka kafka = EmbeddedKafka.start(Map.of())) {
                String bs = kafka.bootstrapServers();
                try (KafkaTopics topics = KafkaTopics.connect(bs)) {
                    topics.ensure(Map.of("live-frames", 2, "live-labels", 2, "live-dlq", 1));
                }
                double capacity = capacity(bs, s, modelDir, spec, scenes, fill, engine, report, out);
                List<Map<String, Object>> ageRuns = AgeUnderLoad.measure(bs, modelDir, s, capacity, sceneConfig, out);
                report.put("ageUnderLoad", ageRuns);
            }
            if (args.has("--json")) {
                Path json = args.path("--json").orElseThrow();
                JsonFiles.writeWithoutNulls(json, report);
                out.println("wrote " + json);
            }
        } catch (CommandFailedException | UsageException e) {
            throw e;
        } catch (Exception e) {
            throw new CommandFailedException(Cli.describe(e), e);
        } finally {
            if (generated != null) {
                DemoModel.delete(generated.dir());
            }
        }
        return Cli.OK;
    }

    /** The machine, the model and the settings: into the report, then printed; returns the frame side. */
    private static int header(
            ParsedArgs args,
            Settings s,
            ModelSpec spec,
            DemoModel.Resolved generated,
            Map<String, Object> report,
            PrintStream out)
            throws UsageException {
        report.put("machine", PipelineRuns.machine());
        report.put(
                "model",
                spec.architecture().name()
                        + (generated != null && generated.randomWeights() ? " (random weights)" : ""));
        report.put("level", s.level());
        report.put("batch", s.batch());
        report.put("maxInFlight", s.inFlight());
        out.printf(Locale.ROOT, "machine: %s%n", PipelineRuns.machine());
        int px = args.positiveInt("--frame-size", spec.preprocessing().inputSize());
        out.printf(
                Locale.ROOT,
                "model %s, level %s, batch %d, %d batch(es) in flight, frames %d px JPEG%n",
                report.get("model"),
                s.level(),
                s.batch(),
                s.inFlight(),
                px);
        return px;
    }

    private static Settings settings(ParsedArgs args) throws UsageException {
        String levelText = args.string("--level", "none");
        try {
            CompressionLevel.parse(levelText);
        } catch (IllegalArgumentException e) {
            throw args.error("--level", e.getMessage());
        }
        args.atMostOne("--model", "--preset");
        int batch = args.positiveInt("--batch", 8);
        int maxDelayMs = args.positiveInt("--max-delay-ms", 50);
        int inFlight = args.positiveInt("--max-in-flight", 1);
        if (args.has("--threads")) {
            // Read once, when the PyTorch engine starts (before the first model loads, below).
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(args.positiveInt("--threads", 1)));
        }
        int frames = args.positiveInt("--frames", 2000);
        int warmupFrames = args.positiveInt("--warmup-frames", frames);
        int streams = args.positiveInt("--streams", 4);
        double seconds = args.number("--seconds", 20, v -> v >= 4, "a number >= 4");
        List<Double> loads = new ArrayList<>();
        for (String l : args.has("--loads") ? args.list("--loads") : List.of("0.5", "0.9")) {
            try {
                double v = Double.parseDouble(l);
                if (!(v > 0 && v <= 2)) {
                    throw new NumberFormatException();
                }
                loads.add(v);
            } catch (NumberFormatException e) {
                throw args.error("--loads", "expected fractions in (0, 2] but got '" + l + "'");
            }
        }
        if (frames < 10 * batch) {
            throw args.error("--frames", "must be at least 10 x --batch");
        }
        return new Settings(levelText, batch, maxDelayMs, inFlight, frames, warmupFrames, streams, seconds, loads);
    }

    /**
     * With {@code --preset}, that architecture with random weights in a temporary directory; without
     * {@code --model}, the demo model; null with {@code --model}.
     */
    private static DemoModel.Resolved generatedModel(ParsedArgs args) throws Exception {
        if (args.has("--model")) {
            return null;
        } else if (args.has("--preset")) {
            String preset = args.string("--preset").orElseThrow();
            if (!VitConfig.presetNames().contains(preset)) {
                throw args.error(
                        "--preset",
                        "unknown preset '" + preset + "'; known: " + String.join(", ", VitConfig.presetNames()));
            }
            Path dir = Files.createTempDirectory("tocom-stream-bench-model-");
            DemoModel.writeRandom(dir, preset, 0);
            return new DemoModel.Resolved(dir, preset + " with random weights", true, true);
        } else {
            return DemoModel.resolve();
        }
    }

    /**
     * The pipeline's capacity over the pre-filled topic, after a warm-up run, and the bare engine
     * timed again; returns the labels/s.
     */
    private static double capacity(
            String bs,
            Settings s,
            Path modelDir,
            ModelSpec spec,
            GeneratedFrames scenes,
            FramePublisher.Settings fill,
            double engine,
            Map<String, Object> report,
            PrintStream out)
            throws Exception {
        String levelText = s.level();
        int batch = s.batch();
        // Warm-up: the same job over as many frames first, so that the measured run does
        // not share the cores with the JIT compiling Kafka's, Flink's and our code (the C2
        // compiler thread was seen taking 5-19 % of a core during a first run, and still
        // 5-10 % in a second run after a warm-up of half as many frames).
        FramePublisher.Settings warmFill = new FramePublisher.Settings(
                "warmup-frames",
                s.streams(),
                0,
                "cam-",
                Math.max(10L * batch, (long) s.warmupFrames() / s.streams()),
                null);
        PipelineRuns.Capacity warm =
                PipelineRuns.measureCapacity(bs, s.jobConf(bs, modelDir, "warmup"), warmFill, scenes);
        out.printf(
                Locale.ROOT,
                "warm-up run: %.1f labels/s (%d labels; not counted)%n",
                warm.labelsPerSecond(),
                warm.labels());
        report.put("warmupLabelsPerSecond", warm.labelsPerSecond());
        PipelineRuns.Capacity measured =
                PipelineRuns.measureCapacity(bs, s.jobConf(bs, modelDir, "bench"), fill, scenes);
        double capacity = measured.labelsPerSecond();
        double engineAfter = BareEngine.imagesPerSecond(
                modelDir, spec, scenes, batch, CompressionLevel.parse(levelText), s.inFlight());
        out.printf(
                Locale.ROOT,
                "bare engine again: %.1f images/s (%.1f ms per batch)%n",
                engineAfter,
                batch * 1000 / engineAfter);
        report.put("engineImagesPerSecondAfter", engineAfter);
        double engineMean = (engine + engineAfter) / 2;
        report.put("engineImagesPerSecondMean", engineMean);
        out.printf(
                Locale.ROOT,
                "pipeline: %.1f labels/s (%d labels; %.0f %% of the bare engine's mean);"
                        + " mean batch %.1f, forward pass %.1f ms per batch in the job, model busy %.0f %% of the time%n",
                capacity,
                measured.labels(),
                100 * capacity / engineMean,
                measured.meanBatch(),
                measured.forwardMsPerBatch(),
                100 * measured.modelBusy());
        report.put("pipelineLabelsPerSecond", capacity);
        report.put("pipelineOverEngine", capacity / engineMean);
        report.put("pipelineMeanBatch", measured.meanBatch());
        report.put("pipelineForwardMsPerBatch", measured.forwardMsPerBatch());
        report.put("pipelineModelBusy", measured.modelBusy());
        report.put("engineMsPerBatchMean", batch * 1000 / engineMean);
        return capacity;
    }
}
