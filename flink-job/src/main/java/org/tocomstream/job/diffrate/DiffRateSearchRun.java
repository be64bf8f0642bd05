package org.tocomstream.job.diffrate;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.tocom.UnlabelledFrames;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitCheckpoint;
import org.tocomstream.model.train.DiffRateSearch;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;

/** {@code diffrate search}: its options, their checks, and the run. */
public record DiffRateSearchRun(Settings s, PrintStream err) {

    static final String MODEL = "--model";
    static final String IMAGES = "--images";
    static final String TOPIC = "--topic";
    static final String BOOTSTRAP = "--bootstrap";
    static final String TARGET = "--target-gmacs";
    static final String TRAIN_SIZE = "--train-size";
    static final String EPOCHS = "--epochs";
    static final String BATCH = "--batch";
    static final String LR = "--lr";
    static final String MIN_LR = "--min-lr";
    static final String FLOPS_WEIGHT = "--flops-weight";
    static final String SEED = "--seed";
    static final String LOG_EVERY = "--log-every";
    static final String OUT = "--out";
    static final String START = "--start";

    static final OptionParser PARSER = new OptionParser("diffrate search")
            .value(MODEL, "DIR", "model directory (required); its weights stay frozen")
            .value(IMAGES, "DIR", "images: every .jpg/.jpeg/.png under DIR (unlabelled)")
            .flag(DataOptions.GENERATOR, "synthetic scenes (TRAIN split; labels add a cross-entropy term)")
            .value(TOPIC, "T", "unlabelled frames read once from Kafka topic T (at most --train-size)")
            .value(BOOTSTRAP, "HOST:PORT", "Kafka bootstrap servers (with --topic)")
            .value(DataOptions.DATA_SEED, "N", "generator seed (default 0)")
            .value(DataOptions.FRAME_SIZE, "PX", "generator frame side (default 64)")
            .value(DataOptions.CLASSES, "LIST", "generator classes (default the 8 one-colour classes)")
            .value(
                    DataOptions.OBJECT_SCALE,
                    "MIN,MAX",
                    "generator object diameter, fraction of the side (default 0.25,0.6)")
            .value(DataOptions.NOISE, "STD", "generator pixel noise in 8-bit levels (default 10)")
            .value(TARGET, "X", "GMACs per image to reach (required), below the model's dense cost")
            .value(TRAIN_SIZE, "N", "generated scenes, or most frames read with --topic (default 2000)")
            .value(EPOCHS, "N", "passes over the images (default 3)")
            .value(BATCH, "N", "images per step (default 32)")
            .value(LR, "X", "AdamW rate at the start of the cosine (default 0.05)")
            .value(MIN_LR, "X", "rate at its end (default 0.005, or --lr when lower)")
            .value(FLOPS_WEIGHT, "L", "λ of λ·(GMACs − target)² (default 50 / target²)")
            .value(SEED, "N", "shuffling seed (default 0)")
            .value(LOG_EVERY, "N", "progress line every N steps (default 20) and after each epoch")
            .value(OUT, "FILE", "schedule file to write (default diffrate-schedule.json)")
            .value(
                    START,
                    "half|target",
                    "where the counts start: target = nothing pruned and merging down a geometric\n"
                            + "schedule that already costs the target (default); half = zero logits, about half\n"
                            + "the tokens in every block (the paper's start, for its ~20x longer runs)")
            .deviceAndCommonFlags();

    static final String HELP = "diffrate search: learns for a frozen model, per block, how many tokens to keep\n"
            + "after pruning and after merging so that the model costs --target-gmacs and its\n"
            + "output stays close to its own uncompressed output (KL; plus cross-entropy with\n"
            + "generator labels). Progress on stderr:\n"
            + "  epoch E/N step S/T loss L kl K gmacs G (target T) lr LR I img/s\n"
            + "and one summary line on stdout. --out FILE receives the schedule after every\n"
            + "epoch (use it as --level diffrate:file=FILE) and FILE without .json +\n"
            + ".search.safetensors the resume state; the same command again resumes.\n"
            + "See src/docs/token-reduction.md (DiffRate search).\n\n"
            + "options:\n"
            + PARSER.optionsHelp();

    record Settings(
            Path model,
            Path images,
            String topic,
            String bootstrap,
            SceneGenerator generator,
            int trainSize,
            Path out,
            DiffRateSearch.Config config,
            Device device) {}

    static Settings settings(String[] argv) throws UsageException {
        ParsedArgs args = PARSER.parseOptions(argv, MODEL);
        String bootstrap = UnlabelledFrames.frameSource(
                args,
                DataOptions.DATA_SEED,
                DataOptions.FRAME_SIZE,
                DataOptions.CLASSES,
                DataOptions.OBJECT_SCALE,
                DataOptions.NOISE);
        if (args.has(TRAIN_SIZE) && !args.has(TOPIC)) {
            args.requires(TRAIN_SIZE, DataOptions.GENERATOR);
        }
        args.required(TARGET, "X");
        double target = args.number(TARGET, 0, x -> x > 0 && !Double.isInfinite(x), "a number > 0");
        int epochs = args.positiveInt(EPOCHS, 3);
        int batch = args.positiveInt(BATCH, 32);
        double lr = args.number(LR, 0.05, x -> x > 0, "a number > 0");
        double minLr = args.number(MIN_LR, Math.min(0.005, lr), x -> x >= 0, "a number >= 0");
        if (minLr > lr) {
            throw args.error(MIN_LR, "must not exceed --lr " + lr + " but got '" + args.string(MIN_LR, "") + "'");
        }
        double lambda = args.number(FLOPS_WEIGHT, 0, x -> x > 0 && !Double.isInfinite(x), "a number > 0");
        long seed = args.longValue(SEED).orElse(0);
        int logEvery = args.positiveInt(LOG_EVERY, 20);
        DiffRateSearch.Start start = start(args);
        int trainSize = args.positiveInt(TRAIN_SIZE, 2000);
        if (args.has(DataOptions.GENERATOR) && batch > trainSize) {
            throw args.error(BATCH, "exceeds --train-size " + trainSize + ": got '" + batch + "'");
        }
        return new Settings(
                args.path(MODEL).orElseThrow(),
                args.path(IMAGES).orElse(null),
                args.string(TOPIC).orElse(null),
                bootstrap,
                DataOptions.generator(args),
                trainSize,
                args.path(OUT).orElse(Path.of("diffrate-schedule.json")),
                new DiffRateSearch.Config(target, epochs, batch, lr, minLr, lambda, seed, logEvery, start),
                DeviceOption.parse(args));
    }

    private static DiffRateSearch.Start start(ParsedArgs args) throws UsageException {
        String text = args.string(START, "target").trim();
        return switch (text) {
            case "half" -> DiffRateSearch.Start.HALF;
            case "target" -> DiffRateSearch.Start.TARGET;
            default -> throw args.error(START, "expected half or target but got '" + text + "'");
        };
    }

    int execute(PrintStream out) throws CommandFailedException {
        ModelSpec spec;
        Map<String, HostTensor> weights;
        try {
            spec = ModelSpec.read(s.model());
            weights = VitCheckpoint.load(spec.weightsPath(s.model()), spec.architecture());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + s.model() + ": " + Cli.describe(e), e);
        }
        CostModel cost = CostModel.of(spec.architecture().geometry());
        double dense = cost.gmacs(CompressionLevel.none());
        if (s.config().targetGmacs() >= dense) {
            throw new CommandFailedException(String.format(
                    Locale.ROOT,
                    "--target-gmacs %s is not below the model's dense %.5f GMACs",
                    s.config().targetGmacs(),
                    dense));
        }
        ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
        TrainingData images = images(pre);
        if (images.size() < s.config().batchSize()) {
            throw new CommandFailedException(
                    String.format("--batch %d exceeds the %d images", s.config().batchSize(), images.size()));
        }
        try {
            Path parent = s.out().toAbsolutePath().getParent();
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new CommandFailedException(
                    "cannot create the directory of --out " + s.out() + ": " + Cli.describe(e), e);
        }
        err.printf(
                Locale.ROOT,
                "diffrate search: %s (%s, dense %.5f GMACs) to %.5f GMACs (%.1f%%), %d images, %d epochs x %d"
                        + " steps of %d -> %s%n",
                s.model(),
                spec.architecture().name(),
                dense,
                s.config().targetGmacs(),
                100 * s.config().targetGmacs() / dense,
                images.size(),
                s.config().epochs(),
                images.size() / s.config().batchSize(),
                s.config().batchSize(),
                s.out());
        DiffRateSearch.Result r;
        try {
            r = new DiffRateSearch(spec.architecture(), weights, s.config(), s.device())
                    .search(images, s.out(), p -> err.println(p.line()));
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("search into " + s.out() + " failed: " + Cli.describe(e), e);
        }
        out.printf(
                Locale.ROOT,
                "searched %s: %d steps in %.1f s, %.5f GMACs (target %.5f, %+.2f%%; %.5f before the"
                        + " projection), loss %.4f; level diffrate:file=%s%n",
                s.out(),
                r.steps(),
                r.seconds(),
                r.gmacs(),
                s.config().targetGmacs(),
                100 * (r.gmacs() / s.config().targetGmacs() - 1),
                r.roundedGmacs(),
                r.loss(),
                s.out());
        return Cli.OK;
    }

    /** Generated scenes (labelled), frames read once from the topic, or a folder's images. */
    private TrainingData images(ImagePreprocessor pre) throws CommandFailedException {
        if (s.generator() != null) {
            return new GeneratedData(s.generator(), s.trainSize(), pre);
        } else if (s.topic() != null) {
            return UnlabelledFrames.topic(s.bootstrap(), s.topic(), s.trainSize(), pre, err, "diffrate search");
        }
        return UnlabelledFrames.folder(s.images(), IMAGES, pre);
    }
}
