package org.tocomstream.job.tocom;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.DegreeSchedule;
import org.tocomstream.compensate.TocomTrainConfig;
import org.tocomstream.compensate.TocomTrainer;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.train.EvaluateCommand;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitCheckpoint;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;

/** {@code tocom train}: its options, their checks, and the run. */
public record TocomTrainRun(Settings s, PrintStream err) {

    static final String MODEL = "--model";
    static final String IMAGES = "--images";
    static final String TOPIC = "--topic";
    static final String BOOTSTRAP = "--bootstrap";
    static final String HELD_OUT = "--held-out";
    static final String TRAIN_SIZE = "--train-size";
    static final String HELD_OUT_SIZE = "--held-out-size";
    static final String OUT = "--out";
    static final String RANK_PER_STEP = "--rank-per-step";
    static final String MAX_DEGREE = "--max-degree";
    static final String DEGREES = "--degrees";
    static final String SCALE = "--scale";
    static final String EPOCHS = "--epochs";
    static final String BATCH = "--batch";
    static final String LR = "--lr";
    static final String MIN_LR = "--min-lr";
    static final String WARMUP_EPOCHS = "--warmup-epochs";
    static final String WEIGHT_DECAY = "--weight-decay";
    static final String RELATIVE_FLOOR = "--relative-floor";
    static final String SEED = "--seed";
    static final String LOG_EVERY = "--log-every";
    static final String CHECKPOINT_EVERY = "--checkpoint-every";

    static final OptionParser PARSER = RungOptions.declare(
                    new OptionParser("tocom train")
                            .value(MODEL, "DIR", "base model directory (required); its weights stay frozen"),
                    "a plugin")
            .value(IMAGES, "DIR", "unlabelled images: every .jpg/.jpeg/.png under DIR")
            .flag(DataOptions.GENERATOR, "synthetic scenes (TRAIN split; labels unused)")
            .value(
                    TOPIC,
                    "T",
                    "unlabelled frames read once from Kafka topic T in the wire format\n"
                            + "(from the beginning; at most --train-size; frames the job would\n"
                            + "dead-letter are skipped)")
            .value(BOOTSTRAP, "HOST:PORT", "Kafka bootstrap servers (with --topic)")
            .value(DataOptions.DATA_SEED, "N", "generator seed (default 0)")
            .value(DataOptions.FRAME_SIZE, "PX", "generator frame side (default 64)")
            .value(DataOptions.CLASSES, "LIST", "generator classes (default the 8 one-colour classes)")
            .value(DataOptions.OBJECT_SCALE, "MIN,MAX", "generator object size (default 0.25,0.6)")
            .value(DataOptions.NOISE, "STD", "generator pixel noise (default 10)")
            .value(TRAIN_SIZE, "N", "generated training scenes, or most frames read with --topic\n(default 4000)")
            .value(HELD_OUT, "DIR", "held-out images for the KL check after each epoch (with --images\nor --topic)")
            .value(HELD_OUT_SIZE, "N", "generated held-out scenes, VALIDATION split (default 256; 0 = none)")
            .value(OUT, "FILE", "plugin file to write, e.g. tocom.safetensors (required)")
            .value(RANK_PER_STEP, "K", "rank per unit step of r (default 2)")
            .value(MAX_DEGREE, "R", "largest ToMe r covered (default min(16, the model's largest\nmerging r))")
            .value(
                    DEGREES,
                    "constant|decreasing",
                    "what degree r stands for: tome:r (default) or ToMe's\n"
                            + "decreasing schedule tome-decreasing:r (2r merged in the first block\n"
                            + "down to 0 in the last)")
            .value(SCALE, "S", "scale s trained at and stored as the default (default 0.1)")
            .value(EPOCHS, "N", "passes over the images (default 10)")
            .value(BATCH, "N", "images per step (default 64)")
            .value(LR, "X", "peak learning rate, AdamW (default 1e-3)")
            .value(MIN_LR, "X", "learning rate at the end of the cosine (default 1e-5)")
            .value(WARMUP_EPOCHS, "X", "linear warm-up in epochs (default 0)")
            .value(WEIGHT_DECAY, "X", "decoupled weight decay (default 0.05)")
            .value(
                    RELATIVE_FLOOR,
                    "F",
                    "each pair's KL is divided by its KL without the plugin + F\n"
                            + "(measured before training), so near-lossless pairs count as much\n"
                            + "as lossy ones and the plugin does not trade them away; F keeps pairs\n"
                            + "with a plain KL of ~0 from dominating (default 0.001; 0 = ToCom's\n"
                            + "recipe: every step's KL as is)")
            .value(SEED, "N", "seed of the plugin's initialisation, shuffling and pairs (default 0)")
            .value(LOG_EVERY, "N", "progress line every N steps (default 20) and after each epoch")
            .value(CHECKPOINT_EVERY, "N", "checkpoint every N steps (default 0: after each epoch)")
            .deviceAndCommonFlags();

    static final String HELP = "tocom train: self-distillation on a frozen model. Each step draws r_src != r_tgt\n"
            + "uniformly from 0..max degree; the teacher is the model at ToMe r_src, the student\n"
            + "the model at r_tgt plus Δ(r_src→r_tgt) (r as --degrees says: tome:r or\n"
            + "tome-decreasing:r); with --levels or --ladder degree i is the i-th rung, any\n"
            + "family (the model's trainedCompression must be one); the loss is KL(teacher || student) at\n"
            + "tau = 1. AdamW with cosine decay. Labels are never read. Progress on stderr:\n"
            + "  epoch E/N step S/T kl L pair m->n lr LR I img/s ETA MmSSs [| held-out kl P -> C (change)]\n"
            + "and one summary line on stdout. --out FILE receives the plugin and its sidecar\n"
            + "(FILE without .safetensors + .json) at every checkpoint, and the resume state in\n"
            + "FILE without .safetensors + .training/; the same command again resumes.\n\n"
            + "options:\n"
            + PARSER.optionsHelp();

    record Settings(
            Path model,
            Path images,
            String topic,
            String bootstrap,
            SceneGenerator generator,
            int trainSize,
            Path heldOut,
            int heldOutSize,
            Path out,
            int rankPerStep,
            OptionalInt maxDegree,
            DegreeSchedule degrees,
            RungOptions rungs,
            double scale,
            TocomTrainConfig config,
            Device device) {}

    static Settings settings(String[] argv) throws UsageException {
        ParsedArgs args = PARSER.parseOptions(argv, MODEL);
        String bootstrap = UnlabelledFrames.frameSource(
                args,
                DataOptions.DATA_SEED,
                DataOptions.FRAME_SIZE,
                DataOptions.CLASSES,
                DataOptions.OBJECT_SCALE,
                DataOptions.NOISE,
                HELD_OUT_SIZE);
        if (args.has(TRAIN_SIZE) && !args.has(TOPIC)) {
            args.requires(TRAIN_SIZE, DataOptions.GENERATOR);
        }
        if (args.has(HELD_OUT) && !args.has(TOPIC)) {
            args.requires(HELD_OUT, IMAGES);
        }
        args.required(OUT, "FILE");
        int rank = args.positiveInt(RANK_PER_STEP, 2);
        OptionalInt maxDegree = args.positiveInt(MAX_DEGREE);
        RungOptions rungs = RungOptions.parse(args);
        if (rungs.given()) {
            String rungOption = args.has(RungOptions.LEVELS) ? RungOptions.LEVELS : RungOptions.LADDER;
            args.atMostOne(rungOption, DEGREES);
            args.atMostOne(rungOption, MAX_DEGREE);
        }
        DegreeSchedule degrees;
        try {
            degrees = DegreeSchedule.parse(args.string(DEGREES, "constant"));
        } catch (IllegalArgumentException e) {
            throw args.error(DEGREES, "expected constant or decreasing but got '" + args.string(DEGREES, "") + "'");
        }
        double scale = args.number(SCALE, 0.1, x -> x > 0, "a number > 0");
        int epochs = args.positiveInt(EPOCHS, 10);
        int batch = args.positiveInt(BATCH, 64);
        double lr = args.number(LR, 1e-3, x -> x > 0, "a number > 0");
        double minLr = args.number(MIN_LR, Math.min(1e-5, lr), x -> x >= 0, "a number >= 0");
        if (minLr > lr) {
            throw args.error(MIN_LR, "must not exceed --lr " + lr + " but got '" + args.string(MIN_LR, "") + "'");
        }
        double warmup = args.number(WARMUP_EPOCHS, 0, x -> x >= 0, "a number >= 0");
        if (warmup > epochs) {
            throw args.error(
                    WARMUP_EPOCHS,
                    "must not exceed --epochs " + epochs + " but got '" + args.string(WARMUP_EPOCHS, "") + "'");
        }
        double decay = args.number(WEIGHT_DECAY, 0.05, x -> x >= 0, "a number >= 0");
        double floor = args.number(
                RELATIVE_FLOOR,
                TocomTrainConfig.DEFAULT_RELATIVE_FLOOR,
                x -> x >= 0 && !Double.isInfinite(x),
                "a number >= 0");
        long seed = args.longValue(SEED).orElse(0);
        int logEvery = args.positiveInt(LOG_EVERY, 20);
        int checkpointEvery = args.nonNegativeInt(CHECKPOINT_EVERY, 0);
        int trainSize = args.positiveInt(TRAIN_SIZE, 4000);
        int heldOutSize = args.nonNegativeInt(HELD_OUT_SIZE, 256);
        if (args.has(DataOptions.GENERATOR) && batch > trainSize) {
            throw args.error(BATCH, "exceeds --train-size " + trainSize + ": got '" + batch + "'");
        }
        TocomTrainConfig config =
                new TocomTrainConfig(epochs, batch, lr, minLr, warmup, decay, seed, logEvery, checkpointEvery, floor);
        return new Settings(
                args.path(MODEL).orElseThrow(),
                args.path(IMAGES).orElse(null),
                args.string(TOPIC).orElse(null),
                bootstrap,
                DataOptions.generator(args),
                trainSize,
                args.path(HELD_OUT).orElse(null),
                heldOutSize,
                args.path(OUT).orElseThrow(),
                rank,
                maxDegree,
                degrees,
                rungs,
                scale,
                config,
                DeviceOption.parse(args));
    }

    int execute(PrintStream out) throws CommandFailedException {
        ModelSpec spec;
        Map<String, HostTensor> weights;
        String sha;
        try {
            spec = ModelSpec.read(s.model());
            weights = VitCheckpoint.load(spec.weightsPath(s.model()), spec.architecture());
            sha = TokenCompensator.weightsSha256(s.model());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + s.model() + ": " + Cli.describe(e), e);
        }
        CompensatorConfig plugin = pluginConfig(spec);
        int maxDegree = plugin.maxDegree();
        ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
        TrainingData train = trainingImages(pre);
        TrainingData heldOut = heldOutImages(pre);
        if (train.size() < s.config().batchSize()) {
            throw new CommandFailedException(String.format(
                    "--batch %d exceeds the %d images of %s",
                    s.config().batchSize(), train.size(), s.topic() != null ? "topic " + s.topic() : s.images()));
        }
        createOutDirectory();
        long perEpoch = train.size() / s.config().batchSize();
        boolean resume = Files.isRegularFile(TocomTrainer.stateDir(s.out()).resolve("state.json"));
        err.printf(
                Locale.ROOT,
                "tocom train: %s plugin for %s (%s, trained at %s): rank %d per step, %s, s = %s,"
                        + " %d images, %d epochs x %d steps of %d, pairs weighted %s -> %s%n",
                resume ? "resuming the" : "new",
                s.model(),
                spec.architecture().name(),
                spec.trainedCompression(),
                plugin.rankPerStep(),
                plugin.degreesText(),
                plugin.defaultScale(),
                train.size(),
                s.config().epochs(),
                perEpoch,
                s.config().batchSize(),
                s.config().relativeWeighting()
                        ? "by 1 / (plain KL + " + s.config().relativeFloor() + ")"
                        : "uniformly",
                s.out());
        TocomTrainer.Summary summary;
        try {
            summary = new TocomTrainer(spec, weights, sha, plugin, s.config(), s.device())
                    .train(
                            train,
                            heldOut,
                            TocomTrainer.defaultHeldOutPairs(maxDegree),
                            s.out(),
                            p -> err.println(p.line()));
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("training into " + s.out() + " failed: " + Cli.describe(e), e);
        }
        printSummary(summary, perEpoch, out);
        return Cli.OK;
    }

    /** The plugin's shape: over {@code --levels}/{@code --ladder} rungs, else over the schedule's degrees. */
    private CompensatorConfig pluginConfig(ModelSpec spec) throws CommandFailedException {
        DegreeAxis rungs = s.rungs().axis();
        if (rungs == null) {
            return new CompensatorConfig(s.rankPerStep(), maxDegree(spec), s.scale(), s.degrees());
        }
        String option = s.rungs().ladder() == null
                ? RungOptions.LEVELS
                : RungOptions.LADDER + " " + s.rungs().ladder();
        if (rungs.degreeOf(spec.trainedCompression()).isEmpty()) {
            throw new CommandFailedException(String.format(
                    "%s: the model was trained at %s, which is not one of the rungs %s: the stream could not"
                            + " apply the plugin",
                    option, spec.trainedCompression(), rungs.text()));
        }
        TokenGeometry geometry = spec.architecture().geometry();
        for (CompressionLevel level : rungs.levels()) {
            if (!level.fits(geometry)) {
                throw new CommandFailedException(String.format(
                        "%s: rung %s %s",
                        option,
                        level,
                        level.misfit(
                                        geometry,
                                        "the model " + spec.architecture().name())
                                .orElse("")));
            }
        }
        return CompensatorConfig.overLevels(s.rankPerStep(), s.scale(), rungs);
    }

    /**
     * The largest degree the plugin covers: {@code --max-degree}, or at most 16 and what the
     * model can merge; fails when the model was trained beyond it.
     */
    private int maxDegree(ModelSpec spec) throws CommandFailedException {
        // Constant r: the largest whose last block still merges. Decreasing: the first block merges
        // 2r of the patch tokens, at most half of them.
        int mergingR = s.degrees() == DegreeSchedule.CONSTANT
                ? EvaluateCommand.maxMergingR(spec.architecture())
                : spec.architecture().numPatches() / 4;
        int maxDegree = s.maxDegree().orElse(Math.max(1, Math.min(16, mergingR)));
        OptionalInt trained = s.degrees().degreeOf(spec.trainedCompression());
        if (trained.isPresent() && trained.getAsInt() > maxDegree) {
            throw new CommandFailedException(String.format(
                    "the model was trained at %s, beyond --max-degree %d: the stream could not" + " apply the plugin",
                    spec.trainedCompression(), maxDegree));
        }
        return maxDegree;
    }

    private void createOutDirectory() throws CommandFailedException {
        Path parent = s.out().toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new CommandFailedException(
                    "cannot create the directory of --out " + s.out() + ": " + Cli.describe(e), e);
        }
    }

    /** The summary line on stdout: steps, time and the held-out KL without and with the plugin. */
    private void printSummary(TocomTrainer.Summary summary, long perEpoch, PrintStream out) {
        String kl = Double.isNaN(summary.heldOutKlPlain())
                ? "n/a"
                : String.format(
                        Locale.ROOT,
                        "%.5f -> %.5f (%+.1f%%)",
                        summary.heldOutKlPlain(),
                        summary.heldOutKlCompensated(),
                        100 * (summary.heldOutKlCompensated() / summary.heldOutKlPlain() - 1));
        out.printf(
                Locale.ROOT,
                "trained %s: step %d/%d in %.1f s, held-out kl %s%n",
                s.out(),
                summary.steps(),
                perEpoch * s.config().epochs(),
                summary.seconds(),
                kl);
    }

    /** The images the plugin is trained on: generated, read once from the topic, or a folder's. */
    private TrainingData trainingImages(ImagePreprocessor pre) throws CommandFailedException {
        if (s.generator() != null) {
            return new GeneratedData(s.generator(), s.trainSize(), pre);
        } else if (s.topic() != null) {
            return UnlabelledFrames.topic(s.bootstrap(), s.topic(), s.trainSize(), pre, err, "tocom train");
        }
        return UnlabelledFrames.folder(s.images(), IMAGES, pre);
    }

    /** The held-out images, or null: the generator's VALIDATION split, else the folder of {@code --held-out}. */
    private TrainingData heldOutImages(ImagePreprocessor pre) throws CommandFailedException {
        if (s.generator() != null) {
            return s.heldOutSize() > 0
                    ? new GeneratedData(s.generator().split(SceneGenerator.Split.VALIDATION), s.heldOutSize(), pre)
                    : null;
        }
        return s.heldOut() != null ? UnlabelledFrames.folder(s.heldOut(), HELD_OUT, pre) : null;
    }
}
