package org.tocomstream.job.ladder;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.MacsMatch;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.data.CameraScene;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.CompressionOptions;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.tocom.KafkaFrameData;
import org.tocomstream.job.tocom.UnlabelledFrames;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.DecodeConfig;

/**
 * {@code ladder}: measures candidate levels of every family on the user's frames and machine and
 * writes the model's measured ladder ({@link MeasuredLadder}, {@code ladder.json}) and its plot.
 * See {@link #help()}.
 */
public final class LadderCommand implements Command {

    static final String MODEL = "--model";
    static final String IMAGES = "--images";
    static final String TOPIC = "--topic";
    static final String BOOTSTRAP = "--bootstrap";
    static final String RUNGS = "--rungs";
    static final String FAMILIES = "--families";
    static final String DIFFRATE = "--diffrate";
    static final String BATCH = "--batch";
    static final String SIZE = "--size";
    static final String ROUNDS = "--rounds";
    static final String TIMING_FRAMES = "--timing-frames";
    static final String CAMERAS = "--cameras";
    static final String VIDEO = "--video";
    static final String REUSE = "--reuse";
    static final String OUT = "--out";
    static final String PLOT = "--plot";
    static final String STUDENT = "--student";

    static final List<Double> DEFAULT_RUNGS = List.of(1.25, 1.5, 2.0, 3.0);
    static final int DEFAULT_SIZE = 500;
    static final int DEFAULT_ROUNDS = 5;
    static final int DEFAULT_TIMING_FRAMES = 64;

    private final OptionParser parser = DataOptions.declare(
                    new OptionParser("ladder").value(MODEL, "DIR", "model directory (required)"))
            .value(IMAGES, "DIR", "unlabelled frames: every .jpg/.jpeg/.png under DIR")
            .value(
                    CAMERAS,
                    "N",
                    "with --generator: frames of N synthetic cameras (moving objects) instead of still scenes;\n"
                            + "with --video: N cameras, each from its own offset in the video (default 1)")
            .value(VIDEO, "FILE", "unlabelled frames: a video file (any codec FFmpeg decodes)")
            .value(DataOptions.SCENE, "S", "with --cameras: the " + DataOptions.SCENE_HELP)
            .value(TOPIC, "T", "unlabelled frames: a frames topic read once from its beginning")
            .value(BOOTSTRAP, "HOST:PORT", "Kafka bootstrap servers (with --topic)")
            .value(RUNGS, "LIST", "end-to-end speed-ups to buy, each above 1 (default 1.25,1.5,2,3)")
            .value(
                    FAMILIES,
                    "LIST",
                    "families to try (default tome,tome-decreasing,evit,gtp,idle);\n"
                            + "with --student also student (--families student: none and the student only)")
            .value(STUDENT, "DIR", "a student model directory (same labels and preprocessing) to measure too")
            .value(
                    REUSE,
                    "auto|off|F,...",
                    "token-reuse levels: auto (default; on camera sequences: --cameras, --topic),\n"
                            + "off, or the fractions to measure (reuse:F)")
            .value(DIFFRATE, "FILES", "DiffRate schedule files (diffrate search --out) to try too")
            .value(BATCH, "N", "frames per forward pass, the job's vit.batch.max-size (default 8)")
            .value(SIZE, "N", "frames to measure quality on (default 500)")
            .value(ROUNDS, "N", "timed rounds over all levels (default 5, after one warm-up)")
            .value(TIMING_FRAMES, "N", "frames per level and round (default 64, at most --size)")
            .value(OUT, "FILE", "the measured ladder (default DIR/ladder.json)")
            .value(PLOT, "FILE", "the plot (default DIR/ladder.png)")
            .deviceAndCommonFlags();

    @Override
    public String name() {
        return "ladder";
    }

    @Override
    public String summary() {
        return "measure the model's ladder on your frames and machine (ladder.json)";
    }

    @Override
    public String help() {
        return "usage: ladder --model DIR (--data DIR | --generator [--data-seed N] [--frame-size PX] [--cameras N [--scene S]]\n"
                + "              | --images DIR | --topic T --bootstrap HOST:PORT | --video FILE [--cameras N])\n"
                + "              [--rungs LIST] [--families LIST] [--diffrate FILES] [--reuse auto|off|F,...]\n"
                + "              [--student DIR]\n"
                + "              [--batch N] [--size N]\n"
                + "              [--rounds N] [--timing-frames N] [--out FILE] [--plot FILE]\n\n"
                + "Measures candidate compression levels on your frames and this machine and writes\n"
                + "the model's measured ladder, which the streaming job's adaptive control then uses\n"
                + "by default (unless vit.control.ladder is set; see controller.md).\n\n"
                + "Candidates: none, and for each --rungs speed-up s and each family the level\n"
                + "closest in MACs to 1/s, 1/(1.25 s) and 1/(1.6 s) of the uncompressed model, plus\n"
                + "the DiffRate schedules given (a DiffRate schedule per cost comes from\n"
                + "'diffrate search --target-gmacs G --out FILE'). On camera sequences (--generator\n"
                + "--cameras N, --topic, --video) also token-reuse levels reuse:F (--reuse), the\n"
                + "fractions closest in steady-state MACs to the same targets; they run the frames\n"
                + "camera by camera, one frame per camera per forward pass, each camera's cache\n"
                + "carried from frame to frame (its first frame computed in full). With --student DIR\n"
                + "also the candidate student: the student model (a smaller model directory with the\n"
                + "model's labels and preprocessing, loaded on --device) run uncompressed on the\n"
                + "same preprocessed frames, costed by its own MACs; a rung like any other, which\n"
                + "the job runs with vit.model.student = DIR (see student.md).\n\n"
                + "Quality, on --size frames: with labels (--data DIR/<class>/<image>, --generator)\n"
                + "top-1 accuracy; without (--images, --topic) agreement with the uncompressed\n"
                + "model's top-1; mean KL(uncompressed || level) in both cases.\n"
                + "Speed, end to end as the job runs a frame: decode the encoded bytes, preprocess\n"
                + "(model.json) and the forward pass at --batch, over --timing-frames frames, every\n"
                + "level once per round (after a warm-up round), the median of --rounds; speed-up =\n"
                + "frames/s over none's in the same run.\n\n"
                + "Measure on the frames the job will see: --topic reads your cameras' topic;\n"
                + "--generator --cameras N takes the synthetic cameras' moving objects (what 'run'\n"
                + "and 'loadtest' publish; --scene static for fixed cameras), --generator alone\n"
                + "still scenes.\n\n"
                + "Rungs: none, then for each target the level of best quality whose speed-up\n"
                + "reaches it (ties: the faster), faster than the rung before and worth it:\n"
                + "quality x speed-up above the rung before's (more correct labels per second than\n"
                + "that rung with its overflow skipped); a target no level meets is kept in the\n"
                + "file as unreachable and not used. The job costs the rungs by these speed-ups.\n\n"
                + "Output: progress on stderr; the table and the rungs on stdout; --out (JSON) and\n"
                + "--plot (PNG: quality against frames/s, one colour per family, rungs marked).\n\n"
                + "options:\n"
                + parser.optionsHelp();
    }

    /** The checked command line. */
    private record Settings(
            Path modelDir,
            List<Double> rungs,
            List<MacsMatch.Family> families,
            List<String> diffRate,
            int batch,
            int size,
            int rounds,
            int timingFrames,
            Path out,
            Path plot,
            LadderReuse.Choice reuse,
            Path student,
            Device device) {}

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv, MODEL);
        Settings s = settings(args);
        try (VitModel model = load(s.modelDir(), s.device());
                LadderStudent student =
                        s.student() == null ? null : LadderStudent.load(STUDENT, s.student(), s.device(), model)) {
            VitConfig cfg = model.config();
            List<CompressionLevel> diffRate = new ArrayList<>();
            for (String file : s.diffRate()) {
                CompressionLevel level = CompressionOptions.parseLevel(args, DIFFRATE, "diffrate:file=" + file);
                CompressionOptions.requireFits(args, DIFFRATE, level, cfg);
                diffRate.add(level);
            }
            LadderFrames frames = frames(args, model, s.size(), !s.reuse().off(), err);
            List<LadderCandidates> candidates = LadderCandidates.of(cfg.geometry(), s.rungs(), s.families(), diffRate);
            CostModel cost = CostModel.of(cfg.geometry());
            candidates = withReuse(candidates, s, frames, cost, err);
            if (student != null) {
                candidates = student.plus(candidates);
                cost = student.cost(cost);
                err.println(student.description(cost));
            }
            err.printf(
                    "ladder: %d candidate levels on %s, batch %d%n",
                    candidates.size(), frames.description(), s.batch());
            DecodeConfig limits = DecodeConfig.defaults();
            ImagePreprocessor pre =
                    new ImagePreprocessor(model.spec().preprocessing(), limits.maxPixels(), limits.maxDecodedBytes());
            LadderMeasurement measure =
                    new LadderMeasurement(model, student == null ? null : student.model(), pre, s.batch(), err);
            List<CompressionLevel> levels = LadderCandidates.levels(candidates);
            LadderMeasurement.Quality quality;
            double[] fps;
            try {
                quality = measure.quality(frames, levels);
                fps = measure.speed(frames, levels, s.timingFrames(), s.rounds());
            } catch (ImageDecodeException | IllegalStateException e) {
                throw new CommandFailedException(frames.description() + ": " + Cli.describe(e), e);
            }
            MeasuredLadder ladder = LadderReport.build(
                    "ladder " + String.join(" ", argv),
                    cfg.name(),
                    sha(s.modelDir()),
                    frames,
                    s.batch(),
                    cost,
                    candidates,
                    quality,
                    fps,
                    s.rungs(),
                    student == null ? null : student.named());
            LadderReport.print(ladder, out);
            write(ladder, s, out);
            return Cli.OK;
        }
    }

    /** {@code candidates} and the reuse levels when the frames are camera sequences. */
    private static List<LadderCandidates> withReuse(
            List<LadderCandidates> candidates, Settings s, LadderFrames frames, CostModel cost, PrintStream err) {
        if (s.reuse().off()) {
            return candidates;
        }
        if (!frames.sequences()) {
            err.printf(
                    "ladder: no token-reuse candidates: %s are not camera sequences (%s)%n",
                    frames.description(), LadderReuse.SOURCES);
            return candidates;
        }
        return LadderCandidates.plus(candidates, s.reuse().levels(cost, s.rungs()), "reuse");
    }

    private static void write(MeasuredLadder ladder, Settings s, PrintStream out) throws CommandFailedException {
        try {
            ladder.write(s.out());
        } catch (IOException e) {
            throw new CommandFailedException("cannot write " + s.out() + ": " + Cli.describe(e), e);
        }
        try {
            LadderPlot.write(ladder, s.plot());
        } catch (IOException e) {
            throw new CommandFailedException("cannot write " + s.plot() + ": " + Cli.describe(e), e);
        }
        out.println("wrote " + s.out() + " and " + s.plot());
    }

    private Settings settings(ParsedArgs args) throws UsageException {
        args.atMostOne(DataOptions.DATA, DataOptions.GENERATOR, IMAGES, TOPIC, VIDEO);
        if (args.has(CAMERAS) && !args.has(DataOptions.GENERATOR) && !args.has(VIDEO)) {
            throw args.error(CAMERAS, "requires --generator or --video");
        }
        args.requires(DataOptions.SCENE, DataOptions.GENERATOR);
        args.requires(DataOptions.SCENE, CAMERAS);
        if (!args.has(DataOptions.DATA)
                && !args.has(DataOptions.GENERATOR)
                && !args.has(IMAGES)
                && !args.has(TOPIC)
                && !args.has(VIDEO)) {
            throw args.error(
                    "give --data DIR, --generator, --images DIR or --topic T --bootstrap HOST:PORT (or --video FILE)");
        }
        if (args.has(VIDEO)) {
            args.requires(BOOTSTRAP, TOPIC);
        } else if (args.has(DataOptions.DATA)) {
            DataOptions.check(args);
            args.requires(BOOTSTRAP, TOPIC);
        } else {
            UnlabelledFrames.frameSource(
                    args,
                    DataOptions.DATA_SEED,
                    CAMERAS,
                    DataOptions.FRAME_SIZE,
                    DataOptions.CLASSES,
                    DataOptions.OBJECT_SCALE,
                    DataOptions.NOISE);
        }
        List<Double> rungs =
                args.numberList(RUNGS, DEFAULT_RUNGS, true, d -> d > 1 && d < 1000, "distinct speed-ups above 1");
        int size = args.positiveInt(SIZE, DEFAULT_SIZE);
        Path modelDir = args.path(MODEL).orElseThrow();
        return new Settings(
                modelDir,
                rungs,
                LadderCandidates.families(args, FAMILIES, STUDENT, args.has(STUDENT)),
                args.has(DIFFRATE) ? args.list(DIFFRATE) : List.of(),
                args.positiveInt(BATCH, StreamJobOptions.MAX_BATCH.defaultValue()),
                size,
                args.positiveInt(ROUNDS, DEFAULT_ROUNDS),
                Math.min(size, args.positiveInt(TIMING_FRAMES, DEFAULT_TIMING_FRAMES)),
                args.path(OUT).orElse(modelDir.resolve(MeasuredLadder.FILE_NAME)),
                args.path(PLOT).orElse(modelDir.resolve("ladder.png")),
                LadderReuse.parse(args, REUSE, args.has(CAMERAS) || args.has(TOPIC) || args.has(VIDEO)),
                args.path(STUDENT).orElse(null),
                DeviceOption.parse(args));
    }

    /** The frames of the command line; generator cameras' frames consecutive when {@code consecutive}. */
    private static LadderFrames frames(ParsedArgs args, VitModel model, int size, boolean consecutive, PrintStream err)
            throws UsageException, CommandFailedException {
        if (args.has(VIDEO)) {
            return LadderFrames.video(args.path(VIDEO).orElseThrow(), args.positiveInt(CAMERAS, 1), size, err);
        }
        List<String> labels = model.spec().labels();
        SceneGenerator generator = DataOptions.generator(args);
        if (generator != null && args.has(CAMERAS)) {
            int streams = args.positiveInt(CAMERAS, 1);
            generator = SceneGenerator.of(DataOptions.scene(args, generator.config()), generator.seed());
            SceneGenerator test = generator.split(SceneGenerator.Split.TEST);
            if (!labels.equals(test.labels())) {
                throw new CommandFailedException(String.format(
                        "the labels of --model %s differ from the generator's %s", labels, test.labels()));
            }
            err.printf("ladder: rendering %d frames of %d synthetic cameras%n", size, streams);
            return LadderFrames.cameras(
                    generator,
                    streams,
                    size,
                    consecutive,
                    String.format(
                            "%d frames of %d synthetic cameras%s%s, %s, JPEG",
                            size,
                            streams,
                            test.config().cameraScene() == CameraScene.STATIC ? " (static scene)" : "",
                            consecutive ? ", consecutive" : "",
                            DataOptions.describe(test)));
        }
        if (generator != null) {
            SceneGenerator test = generator.split(SceneGenerator.Split.TEST);
            if (!labels.equals(test.labels())) {
                throw new CommandFailedException(String.format(
                        "the labels of --model %s differ from the generator's %s", labels, test.labels()));
            }
            err.printf("ladder: rendering %d generator scenes%n", size);
            return LadderFrames.generator(generator, size, size + " scenes, " + DataOptions.describe(test) + ", JPEG");
        }
        if (args.has(TOPIC)) {
            String topic = args.string(TOPIC).orElseThrow();
            ImagePreprocessor pre = new ImagePreprocessor(model.spec().preprocessing());
            KafkaFrameData read =
                    UnlabelledFrames.topic(args.string(BOOTSTRAP).orElseThrow(), topic, size, pre, err, "ladder");
            return new LadderFrames(
                    read.encoded(),
                    null,
                    read.size() + " frames of topic " + topic + " (unlabelled)",
                    read.streams().toArray(String[]::new),
                    read.seqs());
        }
        boolean labelled = args.has(DataOptions.DATA);
        Path dir = args.path(labelled ? DataOptions.DATA : IMAGES).orElseThrow();
        try {
            return LadderFrames.folder(dir, labelled ? labels : null, size);
        } catch (IOException e) {
            throw new CommandFailedException(
                    "cannot read " + (labelled ? DataOptions.DATA : IMAGES) + ": " + Cli.describe(e), e);
        }
    }

    private static VitModel load(Path dir, Device device) throws CommandFailedException {
        try {
            return VitModel.load(dir, device);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + dir + ": " + Cli.describe(e), e);
        }
    }

    private static String sha(Path dir) throws CommandFailedException {
        try {
            return TokenCompensator.weightsSha256(dir);
        } catch (IOException e) {
            throw new CommandFailedException("cannot read the weights of " + dir + ": " + Cli.describe(e), e);
        }
    }
}
