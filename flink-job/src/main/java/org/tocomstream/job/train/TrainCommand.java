package org.tocomstream.job.train;

import ai.djl.Device;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.CompressionOptions;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.train.Distillation;
import org.tocomstream.model.train.IdleRecipe;
import org.tocomstream.model.train.TrainConfig;

/**
 * {@code train}: trains a ViT from fresh weights ({@code --preset}) or fine-tunes a model
 * directory ({@code --model}) on an image folder or generated scenes, at a compression level, and
 * writes a model directory that resumes when the same command runs again. This class parses and
 * checks the arguments; {@link TrainRun} does the work. See {@link #help()}.
 */
public final class TrainCommand implements Command {

    static final String PRESET = "--preset";
    static final String MODEL = "--model";
    static final String TRAIN_SIZE = "--train-size";
    static final String VAL_DATA = "--val-data";
    static final String VAL_SIZE = "--val-size";
    static final String EPOCHS = "--epochs";
    static final String BATCH = "--batch";
    static final String LR = "--lr";
    static final String MIN_LR = "--min-lr";
    static final String WARMUP_EPOCHS = "--warmup-epochs";
    static final String WEIGHT_DECAY = "--weight-decay";
    static final String LABEL_SMOOTHING = "--label-smoothing";
    static final String NO_AUGMENT = "--no-augment";
    static final String SEED = "--seed";
    static final String LOG_EVERY = "--log-every";
    static final String INPUT_SIZE = "--input-size";
    static final String CROP_FRACTION = "--crop-fraction";
    static final String OUT = "--out";
    static final String IDLE_RECIPE = "--idle-recipe";
    static final String DISTILL_WEIGHT = "--distill-weight";

    static final int DEFAULT_TRAIN_SIZE = 8000;
    static final int DEFAULT_VAL_SIZE = 1000;

    private final OptionParser parser = DistillOptions.declare(CompressionOptions.declare(
                            DataOptions.declare(new OptionParser("train")
                                            .value(PRESET, "NAME", "architecture preset, fresh weights")
                                            .value(MODEL, "DIR", "model directory to fine-tune"))
                                    .value(TRAIN_SIZE, "N", "generated training scenes (default 8000)")
                                    .value(VAL_DATA, "DIR", "validation image folder (labels as the training data's)")
                                    .value(
                                            VAL_SIZE,
                                            "N",
                                            "generated validation scenes, VALIDATION split (default 1000;\n0 = no validation)"))
                    .value(EPOCHS, "N", "passes over the training data (required)")
                    .value(BATCH, "N", "images per step (default 64; an epoch drops its last partial batch)")
                    .value(LR, "X", "peak learning rate, AdamW (default 1e-3)")
                    .value(MIN_LR, "X", "learning rate at the end of the cosine decay (default 1e-5)")
                    .value(WARMUP_EPOCHS, "X", "linear warm-up, in epochs, fractions allowed (default 1)")
                    .value(WEIGHT_DECAY, "X", "decoupled weight decay on matrices (default 0.05)")
                    .value(LABEL_SMOOTHING, "X", "label smoothing in [0, 1) (default 0.1)")
                    .flag(NO_AUGMENT, "no random crop and flip")
                    .value(SEED, "N", "seed of the fresh weights, shuffling and augmentation (default 0)")
                    .value(LOG_EVERY, "N", "progress line every N steps (default 20) and after each epoch")
                    .value(
                            INPUT_SIZE,
                            "PX",
                            "network input side, --preset only: a multiple of the patch size;\n"
                                    + "sets the architecture's imageSize (default the preset's)")
                    .value(CROP_FRACTION, "X", "centre-crop fraction in (0, 1] (default 0.875, or the model's)")
                    .flag(
                            IDLE_RECIPE,
                            "IdleViT's fine-tuning recipe at an idle level (needs --model):\n"
                                    + "masked form, token-cut loss, distillation from the model")
                    .value(DISTILL_WEIGHT, "W", "--idle-recipe's logit distillation weight (default 10)")
                    .value(OUT, "DIR", "model directory to write, resumed if it holds this run (required)"))
            .deviceAndCommonFlags();

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train or fine-tune a ViT at a compression level; writes a model directory";
    }

    @Override
    public String help() {
        return "usage: train (--preset NAME | --model DIR) (--data DIR | --generator) --epochs N --out DIR\n"
                + "             [--tome R | --evit K | --schedule r1,r2,.. | --level TEXT]\n"
                + "             [--val-data DIR | --val-size N] [--train-size N] [--data-seed N]\n"
                + "             [--frame-size PX] [--batch N] [--lr X] [--min-lr X] [--warmup-epochs X]\n"
                + "             [--weight-decay X] [--label-smoothing X] [--no-augment] [--seed N]\n"
                + "             [--log-every N] [--input-size PX] [--crop-fraction X] [--device DEV]\n"
                + "             [--idle-recipe [--distill-weight W]]\n"
                + "             [--teacher DIR [--images DIR] [--projectors Q] [--feature-weight B]\n"
                + "              [--kd-weight W | --no-kd] [--temperature T]]\n\n"
                + "AdamW with linear warm-up then cosine decay, label-smoothed cross-entropy, random\n"
                + "crop (75-100 % of the area) and flip. The compression option is the level every\n"
                + "training forward pass runs at (merging or pruning inside the graph, gradients flow\n"
                + "through it); model.json records it as trainedCompression.\n\n"
                + "Model. --preset NAME: fresh weights (truncated normal, --seed), the preset's\n"
                + "architecture with one class per data label; preprocessing ImageNet mean/std,\n"
                + "bicubic, resize the shorter side to input-size / crop-fraction, centre-crop.\n"
                + "--model DIR: fine-tune its weights with its preprocessing (--crop-fraction may\n"
                + "override); its labels must match the data's (generator: the same list; folder:\n"
                + "every class directory must be one of the model's labels).\n\n"
                + "Data. --data DIR: an image folder, classes = sorted sub-directory names.\n"
                + "--generator: --train-size scenes of the TRAIN split of --data-seed. Validation\n"
                + "after every epoch: --val-data DIR, or with --generator --val-size scenes of the\n"
                + "VALIDATION split. Generated objects lie wholly inside the centred square, so\n"
                + "--crop-fraction 1.0 suits generated data (0.875 cuts the square's border).\n\n"
                + "IdleViT recipe. --idle-recipe with --model and an idle level (--level idle:K):\n"
                + "every idle block trains in its masked form (all tokens attend, idle keys get\n"
                + "-1e5, the residual updates are multiplied by the selection mask), and the loss\n"
                + "adds a token-cut loss per idle block, W·KL(dense || student) of the logits and\n"
                + "100·W·MSE of the L2-normalised class features, the dense model being --model's\n"
                + "weights at no compression, frozen (W = --distill-weight, default 10). Defaults\n"
                + "become --lr 1e-5, --min-lr 1e-6, --warmup-epochs 0. Validation runs the\n"
                + "inference form.\n\n"
                + "Distillation. --teacher DIR distils the student (--preset or --model; another\n"
                + "architecture allowed) from that model, frozen, at no compression. The loss is\n"
                + "CE + W·T²·KL(softmax(t/T) || softmax(s/T)) + B·mean(1 - cos(f, f_t)): f_t is the\n"
                + "teacher's class token after its final norm (what its head reads), f the mean of Q\n"
                + "projectors ReLU(Linear(student width -> teacher width)) of the student's. Defaults\n"
                + "Q 3, B 25, W 1, T 4; --no-kd sets W 0, --feature-weight 0 drops the projectors.\n"
                + "The projectors are saved in training/ (resume restores them and their optimizer\n"
                + "state), never in model.safetensors. Labels and input size must be the teacher's;\n"
                + "a --preset student takes the teacher's preprocessing. --images DIR trains on\n"
                + "unlabelled frames (no CE; the progress acc is then agreement with the teacher).\n\n"
                + "Checkpoints and resume. After every epoch --out receives model.json,\n"
                + "model.safetensors (loadable by predict and evaluate) and training/ (optimizer\n"
                + "state and step). Running the same command again resumes from the last finished\n"
                + "epoch, on the same schedule; when the run is already complete it trains nothing\n"
                + "and reports the validation accuracy again. Refused: an --out holding a run with\n"
                + "another architecture, labels, preprocessing, level, step count, batch size or\n"
                + "distillation settings (--teacher or not, Q, B, W, T), and a non-empty --out\n"
                + "without training/. (Other hyper-parameters, and the teacher's weights, are not\n"
                + "recorded: resume with the same command line.) Ctrl-C (SIGINT or SIGTERM) stops\n"
                + "between two steps, never inside one or while a checkpoint is written, and says\n"
                + "which step the checkpoint on disk is from.\n\n"
                + "Output. Progress on stderr:\n"
                + "  epoch E/EPOCHS step S/TOTAL loss L acc A% lr LR I img/s ETA MmSSs [| val acc V%]\n"
                + "and one summary line on stdout:\n"
                + "  trained DIR: step S/TOTAL (+N this run) in T s, I img/s, val acc V% (or n/a)\n\n"
                + "options:\n"
                + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        return run(argv, out, err, () -> false);
    }

    /** Ctrl-C stops training between two steps; the last finished epoch's checkpoint stays. */
    @Override
    public boolean stopsOnSignal() {
        return true;
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err, BooleanSupplier stop)
            throws UsageException, CommandFailedException {
        return new TrainRun(settings(parser.parseOptions(argv), argv), err, stop).execute(out);
    }

    /** Everything the command line asks for, checked; data and models are not touched yet. */
    record Settings(
            VitConfig preset,
            Path model,
            Path data,
            SceneGenerator generator,
            int trainSize,
            Path valData,
            int valSize,
            TrainConfig config,
            OptionalInt inputSize,
            OptionalDouble cropFraction,
            Path out,
            Device device,
            String commandLine,
            Path teacher,
            Distillation distillation,
            Path images) {}

    private static Settings settings(ParsedArgs args, String[] argv) throws UsageException {
        checkCombinations(args);
        CompressionLevel level = CompressionOptions.level(args);
        int epochs = args.positiveInt(EPOCHS, 1);
        int batch = args.positiveInt(BATCH, 64);
        IdleRecipe recipe = idleRecipe(args, level);
        Distillation distillation = DistillOptions.parse(args, level, IDLE_RECIPE);
        double lr = args.number(LR, recipe == null ? 1e-3 : IdleRecipe.DEFAULT_LR, x -> x > 0, "a number > 0");
        double minLr = args.number(
                MIN_LR, Math.min(recipe == null ? 1e-5 : IdleRecipe.DEFAULT_MIN_LR, lr), x -> x >= 0, "a number >= 0");
        if (minLr > lr) {
            throw args.error(MIN_LR, "must not exceed --lr " + lr + " but got '" + args.string(MIN_LR, "") + "'");
        }
        double warmup =
                args.number(WARMUP_EPOCHS, recipe == null ? Math.min(1.0, epochs) : 0.0, x -> x >= 0, "a number >= 0");
        if (warmup > epochs) {
            throw args.error(
                    WARMUP_EPOCHS,
                    "must not exceed --epochs " + epochs + " but got '" + args.string(WARMUP_EPOCHS, "") + "'");
        }
        double weightDecay = args.number(WEIGHT_DECAY, 0.05, x -> x >= 0, "a number >= 0");
        double smoothing = args.number(LABEL_SMOOTHING, 0.1, x -> x >= 0 && x < 1, "a number in [0, 1)");
        long seed = args.longValue(SEED).orElse(0);
        int logEvery = args.positiveInt(LOG_EVERY, 20);
        OptionalDouble crop = args.number(CROP_FRACTION, x -> x > 0 && x <= 1, "a number in (0, 1]");
        OptionalInt inputSize = args.positiveInt(INPUT_SIZE);
        int trainSize = args.positiveInt(TRAIN_SIZE, DEFAULT_TRAIN_SIZE);
        int valSize = args.nonNegativeInt(VAL_SIZE, DEFAULT_VAL_SIZE);
        SceneGenerator generator = DataOptions.generator(args);
        if (generator != null && batch > trainSize) {
            throw args.error(BATCH, "exceeds --train-size " + trainSize + ": got '" + batch + "'");
        }

        VitConfig preset = preset(args, inputSize);
        TrainConfig config;
        try {
            config = new TrainConfig(
                    epochs,
                    batch,
                    lr,
                    minLr,
                    warmup,
                    weightDecay,
                    smoothing,
                    level,
                    !args.has(NO_AUGMENT),
                    seed,
                    logEvery,
                    recipe);
        } catch (IllegalArgumentException e) {
            // Every field was checked above; this only guards against a rule added later.
            throw args.error(e.getMessage());
        }
        return new Settings(
                preset,
                args.path(MODEL).orElse(null),
                args.path(DataOptions.DATA).orElse(null),
                generator,
                trainSize,
                args.path(VAL_DATA).orElse(null),
                valSize,
                config,
                inputSize,
                crop,
                args.path(OUT).orElseThrow(),
                DeviceOption.parse(args),
                "tocom-stream train " + String.join(" ", argv),
                args.path(DistillOptions.TEACHER).orElse(null),
                distillation,
                args.path(DistillOptions.IMAGES).orElse(null));
    }

    /** IdleViT's recipe when {@code --idle-recipe} asks for it, checked against the level; else null. */
    private static IdleRecipe idleRecipe(ParsedArgs args, CompressionLevel level) throws UsageException {
        args.requires(DISTILL_WEIGHT, IDLE_RECIPE);
        if (!args.has(IDLE_RECIPE)) {
            return null;
        }
        args.requires(IDLE_RECIPE, MODEL);
        if (level.method() != CompressionLevel.Method.IDLE) {
            throw args.error(IDLE_RECIPE, "needs an idle level (--level idle:K) but the level is " + level);
        }
        return new IdleRecipe(args.number(
                DISTILL_WEIGHT, IdleRecipe.DEFAULT_DISTILL_WEIGHT, x -> x >= 0 && x < 1e6, "a number in [0, 1e6)"));
    }

    /** The required options, and those that exclude or need each other. */
    private static void checkCombinations(ParsedArgs args) throws UsageException {
        args.atMostOne(PRESET, MODEL);
        if (!args.has(PRESET) && !args.has(MODEL)) {
            throw args.error("give --preset NAME (fresh weights) or --model DIR (fine-tune)");
        }
        DistillOptions.checkData(args, TRAIN_SIZE, VAL_SIZE);
        args.atMostOne(VAL_DATA, VAL_SIZE);
        args.requires(INPUT_SIZE, PRESET);
        args.required(EPOCHS, "N");
        args.required(OUT, "DIR");
    }

    /** The {@code --preset} architecture, its patch size checked against {@code --input-size}; null without it. */
    private static VitConfig preset(ParsedArgs args, OptionalInt inputSize) throws UsageException {
        if (!args.has(PRESET)) {
            return null;
        }
        VitConfig preset;
        try {
            preset = VitConfig.preset(args.string(PRESET, ""));
        } catch (IllegalArgumentException e) {
            throw args.error(PRESET, e.getMessage());
        }
        if (inputSize.isPresent() && inputSize.getAsInt() % preset.patchSize() != 0) {
            throw args.error(
                    INPUT_SIZE,
                    String.format(
                            "expected a multiple of %s's patch size %d but got '%s'",
                            preset.name(), preset.patchSize(), args.string(INPUT_SIZE, "")));
        }
        return preset;
    }

    /** The preprocessing of a {@code --preset} run: timm's DeiT transform at the input size. */
    static PreprocessConfig presetPreprocessing(int inputSize, OptionalDouble cropFraction) {
        PreprocessConfig deit = PreprocessConfig.deitEval(inputSize);
        return new PreprocessConfig(
                inputSize,
                deit.mean(),
                deit.std(),
                deit.interpolation(),
                cropFraction.orElse(PreprocessConfig.DEFAULT_CROP_FRACTION));
    }
}
