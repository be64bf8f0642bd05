package org.tocomstream.job.tocom;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CalibrationVerdict;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;

/**
 * {@code tocom calibrate}: fits a plugin trained on a base model to the model it runs on ({@link
 * CompensatorCalibration}), from unlabelled frames: by default each pair's scale by line search
 * on the model's own KL ({@link CompensatorCalibration.Rule#KL_LINE_SEARCH}); or, with the base,
 * the square root of the ratio of plain KLs ({@link CompensatorCalibration.Rule#SQRT_KL_RATIO}).
 * Writes {@code tocom-scales.json} into the model directory, which is also what lets the stream
 * apply the base's plugin to a fine-tuned model.
 */
public record TocomCalibrateRun(Settings s, PrintStream err) {

    static final String MODEL = "--model";
    static final String PLUGIN = "--plugin";
    static final String BASE = "--base";
    static final String IMAGES = TocomTrainRun.IMAGES;
    static final String TOPIC = TocomTrainRun.TOPIC;
    static final String BOOTSTRAP = TocomTrainRun.BOOTSTRAP;
    static final String SIZE = "--size";
    static final String BATCH = "--batch";
    static final String OUT = "--out";
    static final String RULE = "--rule";
    static final String SCALES = "--scales";
    static final List<Double> DEFAULT_SCALES = List.of(0.00625, 0.0125, 0.025, 0.05, 0.1, 0.2, 0.4);

    static final OptionParser PARSER = new OptionParser("tocom calibrate")
            .value(MODEL, "DIR", "the model (required); trained at none or METHOD:m of the plugin")
            .value(PLUGIN, "FILE", "plugin trained on the base model (required)")
            .value(RULE, "R", "kl-line-search (default) or sqrt-kl-ratio")
            .value(BASE, "DIR", "the plugin's base model (sqrt-kl-ratio: required; its weights hash is checked)")
            .value(
                    SCALES,
                    "LIST",
                    "kl-line-search: the scales tried (default "
                            + String.join(
                                    ",",
                                    DEFAULT_SCALES.stream().map(String::valueOf).toList()) + ")")
            .value(IMAGES, "DIR", "unlabelled frames: every .jpg/.jpeg/.png under DIR (the first --size)")
            .flag(DataOptions.GENERATOR, "synthetic scenes (VALIDATION split; labels unused)")
            .value(TOPIC, "T", "unlabelled frames read once from Kafka topic T (from the beginning)")
            .value(BOOTSTRAP, "HOST:PORT", "Kafka bootstrap servers (with --topic)")
            .value(DataOptions.DATA_SEED, "N", "generator seed (default 0)")
            .value(DataOptions.FRAME_SIZE, "PX", "generator frame side (default 64)")
            .value(DataOptions.CLASSES, "LIST", "generator classes (default the 8 one-colour classes)")
            .value(DataOptions.OBJECT_SCALE, "MIN,MAX", "generator object size (default 0.25,0.6)")
            .value(DataOptions.NOISE, "STD", "generator pixel noise (default 10)")
            .value(SIZE, "N", "frames measured on (default 500)")
            .value(BATCH, "N", "images per forward pass (default 64)")
            .value(OUT, "FILE", "where to write (default MODEL/" + CompensatorCalibration.FILE_NAME + ")")
            .deviceAndCommonFlags();

    static final String HELP = "tocom calibrate: fits a plugin, trained once on a base model, to the model it runs\n"
            + "on (m = the model's trainedCompression), from unlabelled frames. Default rule\n"
            + "kl-line-search: for every pair (m, n) each of --scales is tried and the one kept\n"
            + "that brings the model at n + scale x delta closest (KL) to itself at m (none if\n"
            + "no scale helps); fits any model, the base included; the largest scale becomes\n"
            + "the model's default s. --rule sqrt-kl-ratio --base BASE: the plain KLs of the\n"
            + "model and of the base give factor = min(1, sqrt(KL_model / KL_base)), applied\n"
            + "as s x factor. The file (MODEL/" + CompensatorCalibration.FILE_NAME + ") is also what\n"
            + "lets the stream apply the base's plugin to a fine-tuned model. One line per pair;\n"
            + "then, after a line search, whether the plugin helps the model: a warning when\n"
            + String.format(
                    Locale.ROOT,
                    "more than %.0f %% of the pairs are off or the mean KL falls by less than %.0f %%,\n",
                    100 * CalibrationVerdict.MAX_OFF_FRACTION,
                    100 * CalibrationVerdict.MIN_MEAN_KL_REDUCTION)
            + "with the tocom train command that trains a plugin on the model itself instead.\n\n"
            + "options:\n"
            + PARSER.optionsHelp();

    record Settings(
            Path model,
            Path plugin,
            CompensatorCalibration.Rule rule,
            Path base,
            List<Double> scales,
            Path images,
            String topic,
            String bootstrap,
            SceneGenerator generator,
            int size,
            int batch,
            Path out,
            Device device,
            List<String> frameArgs) {}

    static Settings settings(String[] argv) throws UsageException {
        ParsedArgs args = PARSER.parseOptions(argv, MODEL, PLUGIN);
        CompensatorCalibration.Rule rule;
        try {
            rule = CompensatorCalibration.Rule.parse(
                    args.string(RULE).orElse(CompensatorCalibration.Rule.KL_LINE_SEARCH.id()));
        } catch (IllegalArgumentException e) {
            throw args.error(RULE, e.getMessage());
        }
        if (rule == CompensatorCalibration.Rule.SQRT_KL_RATIO) {
            args.required(BASE, "DIR");
        } else if (args.has(BASE)) {
            throw args.error(
                    BASE,
                    "rule " + rule.id() + " measures the model alone; leave out " + BASE + " (or give " + RULE + " "
                            + CompensatorCalibration.Rule.SQRT_KL_RATIO.id() + ")");
        }
        if (args.has(SCALES) && rule != CompensatorCalibration.Rule.KL_LINE_SEARCH) {
            throw args.error(SCALES, "only rule kl-line-search tries scales");
        }
        List<Double> scales = args.numberList(SCALES, DEFAULT_SCALES, true, v -> v > 0, "distinct scales > 0");
        String bootstrap = UnlabelledFrames.frameSource(
                args,
                DataOptions.DATA_SEED,
                DataOptions.FRAME_SIZE,
                DataOptions.CLASSES,
                DataOptions.OBJECT_SCALE,
                DataOptions.NOISE);
        SceneGenerator generator = DataOptions.generator(args);
        Path model = args.path(MODEL).orElseThrow();
        return new Settings(
                model,
                args.path(PLUGIN).orElseThrow(),
                rule,
                args.path(BASE).orElse(null),
                scales,
                args.path(IMAGES).orElse(null),
                args.string(TOPIC).orElse(null),
                bootstrap,
                generator == null ? null : generator.split(SceneGenerator.Split.VALIDATION),
                args.positiveInt(SIZE, 500),
                args.positiveInt(BATCH, 64),
                args.path(OUT).orElse(model.resolve(CompensatorCalibration.FILE_NAME)),
                DeviceOption.parse(args),
                TocomCalibrateAdvice.frameArgs(args));
    }

    int execute(PrintStream out) throws CommandFailedException {
        TokenCompensator plugin;
        ModelSpec spec;
        String modelSha;
        try {
            plugin = TokenCompensator.load(s.plugin());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load --plugin " + s.plugin() + ": " + Cli.describe(e), e);
        }
        if (s.base() != null) {
            try {
                plugin.requireBase(TokenCompensator.weightsSha256(s.base()), BASE + " " + s.base());
            } catch (IOException | RuntimeException e) {
                throw new CommandFailedException(Cli.describe(e), e);
            }
        }
        try {
            spec = ModelSpec.read(s.model());
            modelSha = TokenCompensator.weightsSha256(s.model());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot read --model " + s.model() + ": " + Cli.describe(e), e);
        }
        OptionalInt m = plugin.config().axis().degreeOf(spec.trainedCompression());
        if (m.isEmpty() || !plugin.config().covers(m.getAsInt())) {
            throw new CommandFailedException(String.format(
                    Locale.ROOT,
                    "--model %s was trained at %s; the plugin covers %s",
                    s.model(),
                    spec.trainedCompression(),
                    plugin.config().axis().isLevelList()
                            ? "its rungs " + plugin.config().axis().text()
                            : String.format(
                                    Locale.ROOT,
                                    "none and %s:m for m in 0..%d",
                                    plugin.config().axis().method(),
                                    plugin.config().maxDegree())));
        }
        List<CompensatorPair> pairs = new ArrayList<>();
        for (int n = 0; n <= plugin.config().maxDegree(); n++) {
            if (n != m.getAsInt()) {
                pairs.add(new CompensatorPair(m.getAsInt(), n));
            }
        }
        TrainingData frames = frames(new ImagePreprocessor(spec.preprocessing()));
        err.printf(
                Locale.ROOT,
                "tocom calibrate: %s (trained at %s), rule %s%s, %d pairs %d->n, %d frames%n",
                s.model(),
                spec.trainedCompression(),
                s.rule().id(),
                s.base() == null ? " at scales " + s.scales() : " against base " + s.base(),
                pairs.size(),
                m.getAsInt(),
                frames.size());
        CompensatorCalibration calibration;
        if (s.rule() == CompensatorCalibration.Rule.KL_LINE_SEARCH) {
            calibration = CompensatorCalibration.lineSearch(
                    plugin.baseWeightsSha256(),
                    modelSha,
                    frames.size(),
                    measure(s.model(), plugin, frames, pairs, s.scales(), "model"));
        } else {
            List<CompensatorEvaluation.Cell> model = measure(s.model(), plugin, frames, pairs, List.of(0.0), "model")
                    .get(0.0);
            List<CompensatorEvaluation.Cell> base = measure(s.base(), plugin, frames, pairs, List.of(0.0), "base")
                    .get(0.0);
            calibration = CompensatorCalibration.of(plugin.baseWeightsSha256(), modelSha, frames.size(), model, base);
        }
        try {
            calibration.save(s.out());
        } catch (IOException e) {
            throw new CommandFailedException("cannot write " + s.out() + ": " + Cli.describe(e), e);
        }
        out.print(calibration.describe());
        out.printf(Locale.ROOT, "wrote %s%n", s.out());
        CalibrationVerdict.of(calibration)
                .ifPresent(v -> out.print(TocomCalibrateAdvice.text(
                        v, plugin, s.model(), modelSha.equals(plugin.baseWeightsSha256()), s.frameArgs())));
        return Cli.OK;
    }

    /**
     * The KLs of {@code pairs} for the model in {@code dir} at each scale, the plugin applied as
     * given (scale 0: plain KLs only, one forward per degree).
     */
    private Map<Double, List<CompensatorEvaluation.Cell>> measure(
            Path dir,
            TokenCompensator plugin,
            TrainingData frames,
            List<CompensatorPair> pairs,
            List<Double> scales,
            String what)
            throws CommandFailedException {
        try (VitModel model = VitModel.load(dir, s.device());
                BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH)) {
            Map<Double, List<CompensatorEvaluation.Cell>> byScale = new LinkedHashMap<>();
            for (double scale : scales) {
                byScale.put(
                        scale,
                        CompensatorEvaluation.run(
                                model,
                                tocom,
                                frames,
                                pairs,
                                scale,
                                s.batch(),
                                line -> err.println("tocom calibrate: " + what + (scale > 0 ? " at scale " + scale : "")
                                        + ": " + line)));
            }
            return byScale;
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("measuring " + dir + " failed: " + Cli.describe(e), e);
        }
    }

    private TrainingData frames(ImagePreprocessor pre) throws CommandFailedException {
        if (s.generator() != null) {
            return new GeneratedData(s.generator(), s.size(), pre);
        }
        TrainingData all = s.topic() != null
                ? UnlabelledFrames.topic(s.bootstrap(), s.topic(), s.size(), pre, err, "tocom calibrate")
                : UnlabelledFrames.folder(s.images(), IMAGES, pre);
        if (all.size() == 0) {
            throw new CommandFailedException("no frames in " + (s.topic() != null ? "topic " + s.topic() : s.images()));
        }
        int size = Math.min(s.size(), all.size());
        return new TrainingData() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public List<String> labels() {
                return all.labels();
            }

            @Override
            public Example get(int index, SplittableRandom augment) {
                return all.get(index, augment);
            }
        };
    }
}
