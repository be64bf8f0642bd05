package org.tocomstream.model.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.NativeAllocator;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;

/**
 * Supervised training and fine-tuning of a ViT, optionally at a compression level (the merge runs
 * in the forward pass and gradients flow through the size-weighted average).
 *
 * <p>AdamW with linear warm-up and cosine decay, label-smoothed cross-entropy, optional crop/flip
 * augmentation, deterministic for a seed. With {@link TrainConfig#idleRecipe()} the forward pass is
 * IdleViT's masked training form and the loss its recipe ({@link IdleRecipe}); validation still
 * runs the inference form. The output directory is a model directory ({@code
 * model.json} + {@code model.safetensors}, loadable by {@code VitModel.load}) plus {@code
 * training/} holding the optimizer moments and the step reached, so {@link #train} on the same
 * directory resumes where the last checkpoint left off and follows the same schedule.
 *
 * <pre>{@code
 * Trainer trainer = new Trainer(spec, TrainConfig.defaults(10, 64), Device.cpu());
 * TrainSummary s = trainer.train(VitInit.truncatedNormal(spec.architecture(), 0),
 *         trainData, validationData, outDir, p -> System.err.println(p.line()));
 * }</pre>
 */
public final class Trainer {

    static final String STATE_DIR = "training";
    static final String STATE_FILE = "state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";

    private final ModelSpec spec;
    private final TrainConfig config;
    private final Device device;
    private final DistillTeacher distill;
    private final BooleanSupplier stop;

    /**
     * @param spec the model being trained; its labels must match the data's, and the output's
     *     {@code model.json} records {@code config.level()} as the trained compression
     */
    public Trainer(ModelSpec spec, TrainConfig config, Device device) {
        this(spec, config, device, null);
    }

    /**
     * A student distilled from {@code teacher} ({@link Distillation}); the data may then be
     * unlabelled (no labels: no cross-entropy). Projectors are saved in {@code training/} only.
     */
    public Trainer(ModelSpec spec, TrainConfig config, Device device, DistillTeacher teacher) {
        this(spec, config, device, teacher, () -> false);
    }

    /**
     * As above, stopping between two steps once {@code stop} says so (Ctrl-C), never inside a step
     * or a checkpoint's writing: {@link #train} then throws {@link TrainingStoppedException}.
     */
    public Trainer(ModelSpec spec, TrainConfig config, Device device, DistillTeacher teacher, BooleanSupplier stop) {
        if (teacher != null && (config.idleRecipe() != null || !config.level().isNone())) {
            throw new IllegalArgumentException("distillation trains at no compression, without IdleViT's recipe");
        }
        this.spec = spec;
        this.config = config;
        this.device = device;
        this.distill = teacher;
        this.stop = stop;
    }

    /**
     * Trains and writes checkpoints to {@code outDir} after every epoch. If {@code outDir} already
     * holds a checkpoint of this run, training resumes from it and {@code initialWeights} is
     * ignored.
     *
     * @param initialWeights timm-named starting weights (fresh initialisation or a checkpoint)
     * @param validation held-out data evaluated after every epoch, or null
     * @param progress receives a report every {@code logEverySteps} steps and after each epoch
     */
    public TrainSummary train(
            Map<String, HostTensor> initialWeights,
            TrainingData train,
            TrainingData validation,
            Path outDir,
            Consumer<TrainProgress> progress)
            throws IOException {
        Gradients.recordOnlyInCollectors();
        boolean labelled = distill == null || !train.labels().isEmpty();
        if (labelled && !train.labels().equals(spec.labels())) {
            throw new IllegalArgumentException(String.format(
                    "training data labels %s differ from the model's labels %s", train.labels(), spec.labels()));
        }
        VitConfig cfg = spec.architecture();
        int perEpoch = train.size() / config.batchSize();
        if (perEpoch == 0) {
            throw new IllegalArgumentException(
                    String.format("batch size %d exceeds the %d training examples", config.batchSize(), train.size()));
        }
        long totalSteps = (long) perEpoch * config.epochs();
        LrSchedule schedule =
                new LrSchedule(config.lr(), config.minLr(), Math.round(config.warmupEpochs() * perEpoch), totalSteps);
        ModelSpec outSpec = spec.withTrainedCompression(config.level());
        Path stateDir = outDir.resolve(STATE_DIR);
        boolean resume = Files.isRegularFile(stateDir.resolve(STATE_FILE));

        NativeAllocator.tuneOnce();
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            NDManager paramManager = root.newSubManager();
            Map<String, HostTensor> start = resume ? Safetensors.read(outSpec.weightsPath(outDir)) : initialWeights;
            Map<String, NDArray> params = trainable(cfg, start, paramManager);
            Distiller distiller = distill == null
                    ? null
                    : Distiller.open(distill, cfg, spec.labels(), resume, stateDir, config.seed(), paramManager);
            Map<String, NDArray> updated = distiller == null ? params : distiller.withProjectors(params);
            AdamW optimizer =
                    new AdamW(updated, decayed(updated), 0.9, 0.999, 1e-8, config.weightDecay(), root.newSubManager());
            long step = resume ? resumedStep(stateDir, optimizer, totalSteps) : 0;
            VitForward forward = new VitForward(cfg, params);
            VitForward teacher = config.idleRecipe() == null ? null : frozen(cfg, initialWeights, paramManager);
            Step how = new Step(forward, teacher, distiller, labelled, updated);

            TrainingWindow window = new TrainingWindow();
            double lastValidation = Double.NaN;
            while (step < totalSteps) {
                if (stop.getAsBoolean()) {
                    throw new TrainingStoppedException(step, totalSteps, step - step % perEpoch);
                }
                Batch batch = batch(train, cfg, step, perEpoch);
                double lr = schedule.at(step);
                StepResult done = gradientStep(engine, root, how, optimizer, batch, lr, step, perEpoch);
                window.add(done.loss(), done.correct(), config.batchSize());
                step++;
                boolean epochEnd = step % perEpoch == 0;
                if (epochEnd) {
                    TrainCheckpoint.write(outDir, outSpec, params, optimizer, state(step, totalSteps), how.extra());
                    if (validation != null) {
                        lastValidation = TopOne.accuracy(forward, validation, config.level(), root);
                    }
                }
                if (step % config.logEverySteps() == 0 || epochEnd || step == totalSteps) {
                    int epoch = (int) ((step - 1) / perEpoch) + 1;
                    progress.accept(window.report(
                            epoch, config.epochs(), step, totalSteps, lr, epochEnd ? lastValidation : Double.NaN));
                }
            }
            return new TrainSummary(outDir, step, lastValidation, window.seconds());
        }
    }

    /** The starting weights as parameters that collect gradients, in timm's order. */
    private static Map<String, NDArray> trainable(VitConfig cfg, Map<String, HostTensor> start, NDManager manager) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (String key : TimmKeys.expectedShapes(cfg).keySet()) {
            HostTensor t = start.get(key);
            if (t == null) {
                throw new IllegalArgumentException("initial weights lack " + key);
            }
            NDArray p = manager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
            p.setRequiresGradient(true);
            params.put(key, p);
        }
        return params;
    }

    /**
     * IdleViT's teacher: the starting weights, frozen. Needed on resume too, since the
     * checkpoint holds the student.
     */
    private static VitForward frozen(VitConfig cfg, Map<String, HostTensor> start, NDManager manager) {
        if (start.isEmpty()) {
            throw new IllegalArgumentException(
                    "IdleViT's recipe distils from the starting weights: pass them on resume too");
        }
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (String key : TimmKeys.expectedShapes(cfg).keySet()) {
            HostTensor t = start.get(key);
            if (t == null) {
                throw new IllegalArgumentException("initial weights lack " + key);
            }
            arrays.put(key, manager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape())));
        }
        return new VitForward(cfg, arrays);
    }

    /**
     * The step the checkpoint in {@code stateDir} reached, once it is known to be this run's; the
     * optimizer's moments are restored to it.
     */
    private long resumedStep(Path stateDir, AdamW optimizer, long totalSteps) throws IOException {
        TrainCheckpoint.State state = TrainCheckpoint.read(stateDir);
        TrainCheckpoint.requireDistillation(stateDir, state, distill == null ? null : distill.settings());
        if (state.totalSteps != totalSteps || state.batchSize != config.batchSize()) {
            throw new IllegalArgumentException(String.format(
                    "%s holds a run of %d steps at batch %d; this run has %d steps at batch %d",
                    stateDir, state.totalSteps, state.batchSize, totalSteps, config.batchSize()));
        }
        optimizer.restore(Safetensors.read(stateDir.resolve(OPTIMIZER_FILE)), state.step);
        return state.step;
    }

    /** The examples of {@code step}: its slice of the epoch's seeded order, augmented when configured. */
    private Batch batch(TrainingData train, VitConfig cfg, long step, int perEpoch) {
        int pixelsPerImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        int epoch = (int) (step / perEpoch);
        int[] order = EpochOrder.permutation(train.size(), config.seed() * 1_000_003L + epoch);
        int offset = (int) (step % perEpoch) * config.batchSize();
        float[] pixels = new float[config.batchSize() * pixelsPerImage];
        int[] labels = new int[config.batchSize()];
        SplittableRandom augment =
                config.augment() ? new SplittableRandom(config.seed() ^ (step * 0x9E3779B97F4A7C15L)) : null;
        for (int i = 0; i < config.batchSize(); i++) {
            TrainingData.Example ex = train.get(order[offset + i], augment);
            System.arraycopy(ex.pixels(), 0, pixels, i * pixelsPerImage, pixelsPerImage);
            labels[i] = ex.label();
        }
        return new Batch(pixels, labels);
    }

    /**
     * One optimizer update on {@code batch} at learning rate {@code lr}, in a manager of its own.
     *
     * @throws NonFiniteLossException before the update, when the loss or a gradient is not finite
     */
    private StepResult gradientStep(
            Engine engine, NDManager root, Step how, AdamW optimizer, Batch batch, double lr, long step, int perEpoch) {
        VitForward forward = how.forward();
        VitConfig cfg = forward.config();
        long[] shape = {config.batchSize(), cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
        StepResult done;
        try (NDManager manager = root.newSubManager()) {
            NDArray x = manager.create(FloatBuffer.wrap(batch.pixels()), new Shape(shape));
            NDArray y = manager.create(batch.labels());
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray logits;
                NDArray loss;
                NDArray reference = y;
                if (how.distiller() != null) {
                    Distiller.Parts parts =
                            how.distiller().step(forward, x, y, how.labelled(), config.labelSmoothing());
                    logits = parts.logits();
                    loss = parts.total();
                    reference = parts.reference();
                } else if (how.teacher() == null) {
                    logits = forward.forward(x, config.level());
                    loss = smoothedCrossEntropy(logits, y, config.labelSmoothing());
                } else {
                    IdleRecipeLoss.Parts parts = IdleRecipeLoss.step(
                            config.idleRecipe(), forward, how.teacher(), x, y, config.level(), config.labelSmoothing());
                    logits = parts.logits();
                    loss = parts.total();
                }
                float lossValue = loss.getFloat();
                // The step of the checkpoint on disk, should this step have to stop.
                long lastCheckpoint = config.epochs() > 0 && step >= perEpoch ? (step / perEpoch) * perEpoch : 0;
                if (!Float.isFinite(lossValue)) {
                    // Stop before the optimizer spreads NaN into the weights: the last
                    // checkpoint on disk stays the last good model.
                    throw new NonFiniteLossException(step, lossValue, lastCheckpoint);
                }
                gc.backward(loss);
                String bad = Gradients.firstNonFinite(how.updated());
                if (bad != null) {
                    // One inf or NaN in a gradient poisons Adam's moments and then every
                    // weight: stop as for a non-finite loss, naming where it came from.
                    throw new NonFiniteLossException(step, lossValue, bad, lastCheckpoint);
                }
                long correct = logits.argMax(1)
                        .toType(DataType.INT32, false)
                        .eq(reference)
                        .sum()
                        .getLong();
                done = new StepResult(lossValue, correct);
            }
            optimizer.update(lr);
        }
        return done;
    }

    /** The state a checkpoint at {@code step} records. */
    private TrainCheckpoint.State state(long step, long totalSteps) {
        TrainCheckpoint.State state = TrainCheckpoint.of(step, totalSteps, config);
        state.distillation = distill == null ? null : distill.settings().describe();
        return state;
    }

    /**
     * How a step computes its loss: the student, IdleViT's frozen teacher or the distiller (or
     * neither), whether the data has labels, and every parameter the optimizer updates.
     */
    private record Step(
            VitForward forward,
            VitForward teacher,
            Distiller distiller,
            boolean labelled,
            Map<String, NDArray> updated) {
        /** Training-only tensors a checkpoint keeps in {@code training/}. */
        Map<String, NDArray> extra() {
            return distiller == null ? Map.of() : distiller.projectorParams();
        }
    }

    /** One step's examples: {@code batchSize} images in NCHW order and their labels. */
    private record Batch(float[] pixels, int[] labels) {}

    /** One step's batch-mean loss and its correct top-1 predictions. */
    private record StepResult(float loss, long correct) {}

    /**
     * Top-1 accuracy of timm-named weights on {@code data} at {@code level}, in batches of 64.
     */
    public static double accuracy(
            VitConfig cfg, Map<String, HostTensor> weights, TrainingData data, CompressionLevel level, Device device) {
        return TopOne.accuracy(cfg, weights, data, level, device);
    }

    /** Mean over the batch of cross-entropy against (1 - ε)·one-hot + ε / K. */
    static NDArray smoothedCrossEntropy(NDArray logits, NDArray labels, double eps) {
        long classes = logits.getShape().get(1);
        NDArray logp = logits.logSoftmax(1);
        NDArray target =
                labels.oneHot((int) classes, DataType.FLOAT32).mul(1 - eps).add(eps / classes);
        return target.mul(logp).sum(new int[] {1}).mean().neg();
    }

    /** Matrices decay; biases, norms, the position embedding and prefix tokens do not (timm). */
    private static Set<String> decayed(Map<String, NDArray> params) {
        return params.entrySet().stream()
                .filter(e -> e.getValue().getShape().dimension() >= 2)
                .map(Map.Entry::getKey)
                .filter(k -> !k.equals(TimmKeys.POS_EMBED)
                        && !k.equals(TimmKeys.CLS_TOKEN)
                        && !k.equals(TimmKeys.DIST_TOKEN))
                .collect(Collectors.toSet());
    }

    /**
     * Thrown when a training step's loss is NaN or infinite. Nothing of that step reaches the
     * weights, and the checkpoint in the output directory is the one of the last finished epoch.
     */
    public static final class NonFiniteLossException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NonFiniteLossException(long step, float loss, long checkpointStep) {
            super(String.format(
                    "training loss is %s at step %d; stopped before updating the weights (the checkpoint"
                            + " on disk is from step %d)",
                    loss, step + 1, checkpointStep));
        }

        NonFiniteLossException(long step, float loss, String parameter, long checkpointStep) {
            super(String.format(
                    "the gradient of %s is not finite at step %d (loss %s); stopped before updating the"
                            + " weights (the checkpoint on disk is from step %d)",
                    parameter, step + 1, loss, checkpointStep));
        }
    }

    /**
     * What a finished run produced.
     *
     * @param modelDir the model directory written
     * @param steps steps completed
     * @param validationAccuracy held-out accuracy after the last epoch (NaN without validation data)
     * @param seconds wall time of this invocation
     */
    public record TrainSummary(Path modelDir, long steps, double validationAccuracy, double seconds) {}
}
