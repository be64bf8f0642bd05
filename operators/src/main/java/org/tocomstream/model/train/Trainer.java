package org.tocomstream.model.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
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
 * augmentation, deterministic for a seed. The output directory is a model directory ({@code
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

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final ModelSpec spec;
    private final TrainConfig config;
    private final Device device;

    /**
     * @param spec the model being trained; its labels must match the data's, and the output's
     *     {@code model.json} records {@code config.level()} as the trained compression
     */
    public Trainer(ModelSpec spec, TrainConfig config, Device device) {
        this.spec = spec;
        this.config = config;
        this.device = device;
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
        if (!train.labels().equals(spec.labels())) {
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
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (String key : TimmKeys.expectedShapes(cfg).keySet()) {
                HostTensor t = start.get(key);
                if (t == null) {
                    throw new IllegalArgumentException("initial weights lack " + key);
                }
                NDArray p = paramManager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
                p.setRequiresGradient(true);
                params.put(key, p);
            }
            AdamW optimizer =
                    new AdamW(params, decayed(params), 0.9, 0.999, 1e-8, config.weightDecay(), root.newSubManager());
            long step = 0;
            if (resume) {
                TrainState state = readState(stateDir);
                if (state.totalSteps != totalSteps || state.batchSize != config.batchSize()) {
                    throw new IllegalArgumentException(String.format(
                            "%s holds a run of %d steps at batch %d; this run has %d steps at batch %d",
                            stateDir, state.totalSteps, state.batchSize, totalSteps, config.batchSize()));
                }
                optimizer.restore(Safetensors.read(stateDir.resolve(OPTIMIZER_FILE)), state.step);
                step = state.step;
            }
            VitForward forward = new VitForward(cfg, params);
            long[] shape = {config.batchSize(), cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
            int pixelsPerImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();

            double lossSum = 0;
            long correct = 0;
            long seen = 0;
            long windowStart = System.nanoTime();
            long runStart = windowStart;
            long stepsThisRun = 0;
            double lastValidation = Double.NaN;
            while (step < totalSteps) {
                int epoch = (int) (step / perEpoch);
                int[] order = permutation(train.size(), config.seed() * 1_000_003L + epoch);
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
                double lr = schedule.at(step);
                try (NDManager batch = root.newSubManager()) {
                    NDArray x = batch.create(FloatBuffer.wrap(pixels), new Shape(shape));
                    NDArray y = batch.create(labels);
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDArray logits = forward.forward(x, config.level());
                        NDArray loss = smoothedCrossEntropy(logits, y, config.labelSmoothing());
                        float lossValue = loss.getFloat();
                        // The step of the checkpoint on disk, should this step have to stop.
                        long lastCheckpoint =
                                config.epochs() > 0 && step >= perEpoch ? (step / perEpoch) * perEpoch : 0;
                        if (!Float.isFinite(lossValue)) {
                            // Stop before the optimizer spreads NaN into the weights: the last
                            // checkpoint on disk stays the last good model.
                            throw new NonFiniteLossException(step, lossValue, lastCheckpoint);
                        }
                        gc.backward(loss);
                        String bad = Gradients.firstNonFinite(params);
                        if (bad != null) {
                            // One inf or NaN in a gradient poisons Adam's moments and then every
                            // weight: stop as for a non-finite loss, naming where it came from.
                            throw new NonFiniteLossException(step, lossValue, bad, lastCheckpoint);
                        }
                        lossSum += lossValue * config.batchSize();
                        correct += logits.argMax(1)
                                .toType(DataType.INT32, false)
                                .eq(y)
                                .sum()
                                .getLong();
                    }
                    optimizer.update(lr);
                }
                step++;
                stepsThisRun++;
                seen += config.batchSize();
                boolean epochEnd = step % perEpoch == 0;
                if (epochEnd) {
                    writeCheckpoint(outDir, outSpec, params, optimizer, step, totalSteps);
                    if (validation != null) {
                        lastValidation = accuracy(forward, validation, config.level(), root);
                    }
                }
                if (step % config.logEverySteps() == 0 || epochEnd || step == totalSteps) {
                    long now = System.nanoTime();
                    double windowSec = (now - windowStart) / 1e9;
                    double perStep = (now - runStart) / 1e9 / stepsThisRun;
                    progress.accept(new TrainProgress(
                            (int) ((step - 1) / perEpoch) + 1,
                            config.epochs(),
                            step,
                            totalSteps,
                            lossSum / seen,
                            (double) correct / seen,
                            lr,
                            seen / windowSec,
                            perStep * (totalSteps - step),
                            epochEnd ? lastValidation : Double.NaN));
                    lossSum = 0;
                    correct = 0;
                    seen = 0;
                    windowStart = System.nanoTime();
                }
            }
            return new TrainSummary(outDir, step, lastValidation, (System.nanoTime() - runStart) / 1e9);
        }
    }

    /**
     * Top-1 accuracy of timm-named weights on {@code data} at {@code level}, in batches of 64.
     */
    public static double accuracy(
            VitConfig cfg, Map<String, HostTensor> weights, TrainingData data, CompressionLevel level, Device device) {
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            weights.forEach((k, t) -> arrays.put(k, root.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
            return accuracy(new VitForward(cfg, arrays), data, level, root);
        }
    }

    static double accuracy(VitForward forward, TrainingData data, CompressionLevel level, NDManager root) {
        VitConfig cfg = forward.config();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        int batchSize = 64;
        long correct = 0;
        for (int start = 0; start < data.size(); start += batchSize) {
            int n = Math.min(batchSize, data.size() - start);
            float[] pixels = new float[n * perImage];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                TrainingData.Example ex = data.get(start + i, null);
                System.arraycopy(ex.pixels(), 0, pixels, i * perImage, perImage);
                labels[i] = ex.label();
            }
            try (NDManager batch = root.newSubManager()) {
                NDArray x = batch.create(
                        FloatBuffer.wrap(pixels), new Shape(n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()));
                NDArray pred = forward.forward(x, level).argMax(1).toType(DataType.INT32, false);
                correct += pred.eq(batch.create(labels)).sum().getLong();
            }
        }
        return (double) correct / data.size();
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
     * A seeded Fisher-Yates permutation of {@code 0..n-1}: the order of one epoch's examples.
     * Shared with the compensator's trainer so both draw epochs the same way.
     */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Writes the model directory and the resume state; each file is replaced atomically. */
    private void writeCheckpoint(
            Path outDir, ModelSpec outSpec, Map<String, NDArray> params, AdamW optimizer, long step, long totalSteps)
            throws IOException {
        Path stateDir = outDir.resolve(STATE_DIR);
        Files.createDirectories(stateDir);
        Map<String, HostTensor> weights = new LinkedHashMap<>();
        params.forEach((k, a) -> weights.put(k, new HostTensor(a.getShape().getShape(), a.toFloatArray())));
        Path weightsTmp = outDir.resolve(outSpec.weightsFile() + ".tmp");
        Safetensors.write(weightsTmp, weights, Map.of("step", Long.toString(step)));
        Path optTmp = stateDir.resolve(OPTIMIZER_FILE + ".tmp");
        Safetensors.write(optTmp, optimizer.state(), Map.of("step", Long.toString(step)));
        outSpec.write(outDir);
        Files.move(
                weightsTmp,
                outSpec.weightsPath(outDir),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.move(
                optTmp,
                stateDir.resolve(OPTIMIZER_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        TrainState state = new TrainState();
        state.step = step;
        state.totalSteps = totalSteps;
        state.batchSize = config.batchSize();
        state.level = config.level().toString();
        state.seed = config.seed();
        Path stateTmp = stateDir.resolve(STATE_FILE + ".tmp");
        Files.writeString(stateTmp, GSON.toJson(state), StandardCharsets.UTF_8);
        Files.move(
                stateTmp,
                stateDir.resolve(STATE_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static TrainState readState(Path stateDir) throws IOException {
        try {
            TrainState s = GSON.fromJson(
                    Files.readString(stateDir.resolve(STATE_FILE), StandardCharsets.UTF_8), TrainState.class);
            if (s == null) {
                throw new IOException(stateDir.resolve(STATE_FILE) + " is empty");
            }
            return s;
        } catch (com.google.gson.JsonParseException e) {
            throw new IOException(stateDir.resolve(STATE_FILE) + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** What a checkpoint records about the run (JSON). */
    static final class TrainState {
        long step;
        long totalSteps;
        int batchSize;
        String level;
        long seed;
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
