package org.tocomstream.job.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitCheckpoint;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.train.DistillTeacher;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.ImageFolderData;
import org.tocomstream.model.train.Trainer;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.model.train.TrainingStoppedException;

/**
 * One {@code train} invocation once its arguments are checked: builds the data and the starting
 * spec, decides between a fresh run and a resume from what {@code --out} holds, runs the {@link
 * Trainer} and prints the summary line.
 */
public record TrainRun(TrainCommand.Settings s, PrintStream err, BooleanSupplier stop) {

    /** The Trainer's resume marker inside a model directory (see {@link Trainer}). */
    static final Path STATE_FILE = Path.of("training", "state.json");

    int execute(PrintStream out) throws CommandFailedException {
        ModelSpec base = s.model() == null ? null : readModel(s.model());
        TrainTeacher teacher = s.teacher() == null ? null : TrainTeacher.read(s.teacher());
        PreprocessConfig pre = teacher != null && base == null
                ? teacher.presetPreprocessing(s.preset(), s.inputSize(), s.cropFraction())
                : preprocessing(base);
        ImagePreprocessor preprocessor = new ImagePreprocessor(pre);
        TrainingData train = trainingData(base, teacher, preprocessor);
        // Unlabelled frames (--images): the student takes the teacher's classes.
        List<String> labels = train.labels().isEmpty() ? teacher.spec().labels() : train.labels();
        TrainingData validation = validationData(labels, preprocessor);

        ModelSpec spec = studentSpec(base, labels, pre);
        if (teacher != null) {
            teacher.check(spec);
        }
        CompressionLevel level = s.config().level();
        Optional<String> misfit = level.misfit(
                spec.architecture().geometry(),
                "the model " + spec.architecture().name());
        if (misfit.isPresent()) {
            throw new CommandFailedException("--level " + level + " " + misfit.get());
        }
        long perEpoch = train.size() / s.config().batchSize();
        long startStep = checkOut(
                spec.withTrainedCompression(level), perEpoch * s.config().epochs());
        // IdleViT's recipe distils from the starting weights, so a resume needs them too.
        boolean needStart = startStep < 0 || s.config().idleRecipe() != null;
        Map<String, HostTensor> initial = needStart ? initialWeights(spec, base) : Map.of();

        VitConfig arch = spec.architecture();
        err.printf(
                Locale.ROOT,
                "train: %s %s (%d px, %d classes) at level %s on %d images: %d epochs x %d steps" + " of %d -> %s%n",
                startStep >= 0 ? "resuming from step " + startStep + " of" : base == null ? "fresh" : "fine-tuning",
                arch.name(),
                arch.imageSize(),
                labels.size(),
                level,
                train.size(),
                s.config().epochs(),
                perEpoch,
                s.config().batchSize(),
                s.out());
        DistillTeacher distill = teacher == null ? null : load(teacher);
        Trainer.TrainSummary summary;
        try {
            summary = new Trainer(spec, s.config(), s.device(), distill, stop)
                    .train(initial, train, validation, s.out(), p -> err.println(p.line()));
        } catch (TrainingStoppedException e) {
            throw new CommandFailedException("training into " + s.out() + " " + e.getMessage(), e);
        } catch (IOException | IllegalArgumentException | Trainer.NonFiniteLossException e) {
            throw new CommandFailedException("training into " + s.out() + " failed: " + Cli.describe(e), e);
        }
        long stepsThisRun = summary.steps() - Math.max(0, startStep);
        double valAcc = summary.validationAccuracy();
        if (stepsThisRun == 0) {
            err.printf("train: %s already holds the finished run; nothing to train%n", s.out());
            if (validation != null) {
                valAcc = revalidate(spec.withTrainedCompression(level), validation);
            }
        }
        long totalSteps = perEpoch * s.config().epochs();
        out.printf(
                Locale.ROOT,
                "trained %s: step %d/%d (+%d this run) in %.1f s, %.1f img/s, val acc %s%n",
                s.out(),
                summary.steps(),
                totalSteps,
                stepsThisRun,
                summary.seconds(),
                summary.seconds() > 0 ? stepsThisRun * s.config().batchSize() / summary.seconds() : 0.0,
                Double.isNaN(valAcc) ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * valAcc));
        return Cli.OK;
    }

    /** The spec trained: fresh from the preset with {@code labels}, or {@code --model}'s. */
    private ModelSpec studentSpec(ModelSpec base, List<String> labels, PreprocessConfig pre) {
        if (base != null) {
            return base.withPreprocessing(pre).withSource(s.commandLine());
        }
        return new ModelSpec(
                ModelSpec.FORMAT_VERSION,
                architecture(s.preset(), pre.inputSize(), labels.size()),
                labels,
                pre,
                CompressionLevel.none(),
                ModelSpec.DEFAULT_WEIGHTS_FILE,
                s.commandLine());
    }

    /** The teacher's weights and settings, announced on stderr. */
    private DistillTeacher load(TrainTeacher teacher) throws CommandFailedException {
        DistillTeacher loaded = teacher.load(s.distillation());
        err.printf(
                "train: distilling from --teacher %s (%s): %s%n",
                s.teacher(),
                teacher.spec().architecture().name(),
                s.distillation().describe());
        return loaded;
    }

    private static ModelSpec readModel(Path dir) throws CommandFailedException {
        try {
            return ModelSpec.read(dir);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + dir + ": " + Cli.describe(e), e);
        }
    }

    private PreprocessConfig preprocessing(ModelSpec base) {
        if (base == null) {
            return TrainCommand.presetPreprocessing(
                    s.inputSize().orElse(s.preset().imageSize()), s.cropFraction());
        }
        PreprocessConfig p = base.preprocessing();
        return new PreprocessConfig(
                p.inputSize(),
                p.mean(),
                p.std(),
                p.interpolation(),
                s.cropFraction().orElse(p.cropFraction()));
    }

    private TrainingData trainingData(ModelSpec base, TrainTeacher teacher, ImagePreprocessor pre)
            throws CommandFailedException {
        if (s.generator() != null) {
            if (base != null && !base.labels().equals(s.generator().labels())) {
                throw new CommandFailedException(String.format(
                        "the labels of --model %s %s differ from the generator's %s",
                        s.model(), base.labels(), s.generator().labels()));
            }
            if (teacher != null && !teacher.spec().labels().equals(s.generator().labels())) {
                throw new CommandFailedException(String.format(
                        "the labels of --teacher %s %s differ from the generator's %s",
                        s.teacher(), teacher.spec().labels(), s.generator().labels()));
            }
            return new GeneratedData(s.generator(), s.trainSize(), pre);
        }
        try {
            if (s.images() != null) {
                return ImageFolderData.unlabeled(s.images(), pre);
            }
            // With --model (or --teacher), class directories map to its labels by name.
            List<String> known = base != null
                    ? base.labels()
                    : teacher != null ? teacher.spec().labels() : null;
            return ImageFolderData.open(s.data(), known, pre);
        } catch (IOException e) {
            throw new CommandFailedException(
                    "cannot read " + (s.images() != null ? "--images" : "--data") + ": " + Cli.describe(e), e);
        }
    }

    private TrainingData validationData(List<String> labels, ImagePreprocessor pre) throws CommandFailedException {
        if (s.valData() != null) {
            try {
                return ImageFolderData.open(s.valData(), labels, pre);
            } catch (IOException e) {
                throw new CommandFailedException("cannot read --val-data: " + Cli.describe(e), e);
            }
        }
        if (s.generator() != null && s.valSize() > 0) {
            return new GeneratedData(s.generator().split(SceneGenerator.Split.VALIDATION), s.valSize(), pre);
        }
        return null;
    }

    /** The preset with one class per label and, if asked, another input size. */
    static VitConfig architecture(VitConfig preset, int inputSize, int classes) {
        VitConfig c = preset.withNumClasses(classes);
        if (inputSize == c.imageSize()) {
            return c;
        }
        return c.withImageSize(inputSize);
    }

    /**
     * Checks that {@code --out} is new, empty, or holds a run of this spec.
     *
     * @return the step its checkpoint reached, or -1 for a fresh run
     */
    private long checkOut(ModelSpec wanted, long totalSteps) throws CommandFailedException {
        Path dir = s.out();
        if (!Files.exists(dir)) {
            return -1;
        }
        if (!Files.isDirectory(dir)) {
            throw new CommandFailedException("--out " + dir + " exists and is not a directory");
        }
        if (!Files.isRegularFile(dir.resolve(STATE_FILE))) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isEmpty()) {
                    return -1;
                }
            } catch (IOException e) {
                throw new CommandFailedException("cannot list --out " + dir + ": " + Cli.describe(e), e);
            }
            throw new CommandFailedException("--out " + dir + " is not empty and holds no training run (" + STATE_FILE
                    + "); give a new or empty directory");
        }
        try {
            ModelSpec held = ModelSpec.read(dir);
            mustMatch("architecture", held.architecture(), wanted.architecture());
            mustMatch("labels", held.labels(), wanted.labels());
            mustMatch("preprocessing", held.preprocessing(), wanted.preprocessing());
            mustMatch("trainedCompression", held.trainedCompression(), wanted.trainedCompression());
            checkSchedule(dir.resolve(STATE_FILE), totalSteps);
            String step = Safetensors.readMetadata(held.weightsPath(dir)).get("step");
            if (step == null) {
                throw new CommandFailedException(
                        "--out " + dir + ": " + held.weightsFile() + " records no training step");
            }
            return Long.parseLong(step);
        } catch (IOException | NumberFormatException e) {
            throw new CommandFailedException("cannot resume from --out " + dir + ": " + Cli.describe(e), e);
        }
    }

    /**
     * Refuses, before anything is loaded, a run whose step count or batch size differs from the
     * checkpoint's (the Trainer checks it too, but only after loading everything).
     */
    private void checkSchedule(Path stateFile, long totalSteps) throws IOException, CommandFailedException {
        JsonObject state;
        try {
            state = JsonParser.parseString(Files.readString(stateFile, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(stateFile + " is not a JSON object: " + Cli.describe(e), e);
        }
        if (!state.has("totalSteps") || !state.has("batchSize")) {
            return; // An older layout: leave the check to the Trainer.
        }
        long heldSteps = state.get("totalSteps").getAsLong();
        int heldBatch = state.get("batchSize").getAsInt();
        if (heldSteps != totalSteps || heldBatch != s.config().batchSize()) {
            throw new CommandFailedException(String.format(
                    "--out %s holds a run of %d steps at batch %d but this command makes %d"
                            + " steps at batch %d; give another --out, or the same --epochs,"
                            + " --batch and data",
                    s.out(), heldSteps, heldBatch, totalSteps, s.config().batchSize()));
        }
    }

    private void mustMatch(String field, Object held, Object wanted) throws CommandFailedException {
        if (!held.equals(wanted)) {
            throw new CommandFailedException(String.format(
                    "--out %s holds a run with %s %s but this command asks for %s;" + " give another --out",
                    s.out(), field, held, wanted));
        }
    }

    private Map<String, HostTensor> initialWeights(ModelSpec spec, ModelSpec base) throws CommandFailedException {
        if (base == null) {
            return VitInit.sinCosPositions(spec.architecture(), s.config().seed());
        }
        try {
            return VitCheckpoint.load(base.weightsPath(s.model()), base.architecture());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException(
                    "cannot load the weights of --model " + s.model() + ": " + Cli.describe(e), e);
        }
    }

    private double revalidate(ModelSpec spec, TrainingData validation) throws CommandFailedException {
        try {
            Map<String, HostTensor> weights = Safetensors.read(spec.weightsPath(s.out()));
            return Trainer.accuracy(spec.architecture(), weights, validation, spec.trainedCompression(), s.device());
        } catch (IOException e) {
            throw new CommandFailedException(
                    "cannot read the trained weights in " + s.out() + ": " + Cli.describe(e), e);
        }
    }
}
