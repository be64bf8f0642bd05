package org.tocomstream.compensate;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.NativeAllocator;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.Scalars;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.train.AdamW;
import org.tocomstream.model.train.Gradients;
import org.tocomstream.model.train.LrSchedule;
import org.tocomstream.model.train.Trainer;
import org.tocomstream.model.train.TrainingData;

/**
 * Trains a Token Compensator by self-distillation without labels ({@code algorithms.md} §3.5):
 * the base model stays frozen; every step draws r_src ≠ r_tgt uniformly from 0..maxDegree, the
 * teacher is the base at ToMe r_src (no gradient), the student the base at r_tgt plus
 * Δ(r_src→r_tgt), and the loss is KL(teacher ‖ student) at τ = 1, averaged over the batch. AdamW
 * with linear warm-up and cosine decay; deterministic for a seed.
 *
 * <pre>{@code
 * TocomTrainer trainer = new TocomTrainer(spec, baseWeights, TokenCompensator.weightsSha256(dir),
 *         new CompensatorConfig(2, 8, 0.1), TocomTrainConfig.defaults(5, 32), Device.cpu());
 * TocomTrainer.Summary s = trainer.train(images, heldOut, TocomTrainer.defaultHeldOutPairs(8),
 *         Path.of("tocom.safetensors"), p -> System.err.println(p.line()));
 * }</pre>
 *
 * <p>Output: the plugin file and its sidecar ({@link TokenCompensator#save}), rewritten at every
 * checkpoint, plus {@code <name>.training/} beside it (optimizer moments, the step reached).
 * Calling {@link #train} again with the same output resumes at that step on the same schedule.
 * Labels of the data are ignored. Differences from ToCom's recipe: no adapter dropout, no
 * drop-path, no mixup/RandAugment, batch-mean KL instead of the legacy per-element mean, and
 * optionally ({@link TocomTrainConfig#relativeFloor()}) each pair's KL weighted by the inverse of
 * its KL without the plugin, measured before training on the first {@value #WEIGHT_IMAGES} images.
 */
public final class TocomTrainer {

    static final String STATE_FILE = "state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** Images the plain per-pair KL of the relative weighting is measured on. */
    static final int WEIGHT_IMAGES = 256;
    /** Images per forward pass when measuring (no gradient). */
    private static final int EVAL_BATCH = 64;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final ModelSpec spec;
    private final Map<String, HostTensor> baseWeights;
    private final String baseSha256;
    private final CompensatorConfig pluginConfig;
    private final TocomTrainConfig config;
    private final Device device;

    /**
     * @param spec the base model's spec
     * @param baseWeights its timm-named weights (frozen)
     * @param baseSha256 its identity ({@link TokenCompensator#weightsSha256}), recorded in the plugin
     * @param pluginConfig rank per step, degree range and the scale s trained at
     */
    public TocomTrainer(
            ModelSpec spec,
            Map<String, HostTensor> baseWeights,
            String baseSha256,
            CompensatorConfig pluginConfig,
            TocomTrainConfig config,
            Device device) {
        this.spec = spec;
        this.baseWeights = baseWeights;
        this.baseSha256 = baseSha256;
        this.pluginConfig = pluginConfig;
        this.config = config;
        this.device = device;
    }

    /**
     * What a finished run produced.
     *
     * @param pluginFile the plugin written
     * @param steps steps completed
     * @param heldOutKlPlain mean held-out KL(m ‖ n) without the plugin (NaN without held-out data)
     * @param heldOutKlCompensated the same with the final plugin
     * @param seconds wall time of this invocation
     */
    public record Summary(
            Path pluginFile,
            long steps,
            double heldOutKlPlain,
            double heldOutKlCompensated,
            double seconds) {}

    /**
     * A small fixed set of pairs for held-out checks: 0 ↔ max and 0 ↔ max/2 and max/2 ↔ max, in
     * both directions (fewer when maxDegree is 1).
     */
    public static List<CompensatorPair> defaultHeldOutPairs(int maxDegree) {
        int half = maxDegree / 2;
        LinkedHashSet<CompensatorPair> out = new LinkedHashSet<>();
        int[][] ends = {{0, maxDegree}, {0, half}, {half, maxDegree}};
        for (int[] e : ends) {
            if (e[0] != e[1]) {
                out.add(new CompensatorPair(e[0], e[1]));
                out.add(new CompensatorPair(e[1], e[0]));
            }
        }
        return new ArrayList<>(out);
    }

    /** The directory holding the resume state of a plugin file: {@code x.safetensors} → {@code x.training}. */
    public static Path stateDir(Path pluginFile) {
        return PluginSidecar.sibling(pluginFile, ".training");
    }

    /**
     * Trains and writes checkpoints to {@code pluginFile} (see the class comment).
     *
     * @param data unlabelled images (labels, if any, are ignored)
     * @param heldOut images for the held-out KL after every epoch, or null
     * @param heldOutPairs the pairs that KL is averaged over
     * @param progress receives a report every {@code logEverySteps} steps and after each epoch
     * @throws IllegalArgumentException when the output holds a run with other settings
     */
    public Summary train(
            TrainingData data,
            TrainingData heldOut,
            List<CompensatorPair> heldOutPairs,
            Path pluginFile,
            Consumer<TocomProgress> progress)
            throws IOException {
        VitConfig cfg = spec.architecture();
        for (CompensatorPair p : heldOutPairs) {
            if (!pluginConfig.covers(p.from()) || !pluginConfig.covers(p.to())) {
                throw new IllegalArgumentException(
                        String.format(
                                "held-out pair %s is outside the degree range 0..%d", p,
                                pluginConfig.maxDegree()));
            }
        }
        int perEpoch = data.size() / config.batchSize();
        if (perEpoch == 0) {
            throw new IllegalArgumentException(
                    String.format(
                            "batch size %d exceeds the %d training images", config.batchSize(),
                            data.size()));
        }
        long totalSteps = (long) perEpoch * config.epochs();
        LrSchedule schedule =
                new LrSchedule(
                        config.lr(), config.minLr(),
                        Math.round(config.warmupEpochs() * perEpoch), totalSteps);
        Path stateDir = stateDir(pluginFile);
        boolean resume = Files.isRegularFile(stateDir.resolve(STATE_FILE));

        NativeAllocator.tuneOnce();
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            Map<String, NDArray> base = new LinkedHashMap<>();
            for (String key : TimmKeys.expectedShapes(cfg).keySet()) {
                HostTensor t = baseWeights.get(key);
                if (t == null) {
                    throw new IllegalArgumentException("base weights lack " + key);
                }
                base.put(key, root.create(FloatBuffer.wrap(t.data()), new Shape(t.shape())));
            }
            VitForward forward = new VitForward(cfg, base);

            TokenCompensator start;
            long step = 0;
            TrainState state = null;
            if (resume) {
                state = readState(stateDir);
                start = TokenCompensator.load(pluginFile);
                start.requireBase(baseSha256, "this run's base model");
                if (state.totalSteps != totalSteps
                        || state.batchSize != config.batchSize()
                        || state.seed != config.seed()
                        || state.relativeFloor != config.relativeFloor()
                        || !start.config().equals(pluginConfig)) {
                    throw new IllegalArgumentException(
                            String.format(
                                    "%s holds a run of %d steps at batch %d, seed %d, relative floor"
                                            + " %s, plugin %s; this run has %d steps at batch %d,"
                                            + " seed %d, relative floor %s, plugin %s",
                                    stateDir, state.totalSteps, state.batchSize, state.seed,
                                    state.relativeFloor, start.config(), totalSteps,
                                    config.batchSize(), config.seed(), config.relativeFloor(),
                                    pluginConfig));
                }
                step = state.step;
            } else {
                start = TokenCompensator.initial(cfg, baseSha256, pluginConfig, config.seed());
            }
            NDManager paramManager = root.newSubManager();
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (Map.Entry<String, HostTensor> e : start.tensors().entrySet()) {
                HostTensor t = e.getValue();
                NDArray p = paramManager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
                p.setRequiresGradient(true);
                params.put(e.getKey(), p);
            }
            AdamW optimizer =
                    new AdamW(
                            params, params.keySet(), 0.9, 0.999, 1e-8, config.weightDecay(),
                            root.newSubManager());
            if (resume) {
                optimizer.restore(Safetensors.read(stateDir.resolve(OPTIMIZER_FILE)), state.step);
            }
            NDArray[][] down = new NDArray[2][cfg.depth()];
            NDArray[][] up = new NDArray[2][cfg.depth()];
            for (Projection p : Projection.values()) {
                for (int i = 0; i < cfg.depth(); i++) {
                    down[p.ordinal()][i] = params.get(TokenCompensator.key(i, p, false));
                    up[p.ordinal()][i] = params.get(TokenCompensator.key(i, p, true));
                }
            }

            double[][] pairWeights = config.relativeWeighting() && step < totalSteps
                    ? pairWeights(plainKlTable(forward, pluginConfig, data, root), config.relativeFloor())
                    : null;
            double klPlain = Double.NaN;
            double klWith = Double.NaN;
            if (heldOut != null && !heldOutPairs.isEmpty()) {
                klPlain = heldOutKl(forward, null, null, pluginConfig, heldOut, heldOutPairs, root);
            }
            int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
            long[] shape = {config.batchSize(), cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
            double lossSum = 0;
            long seen = 0;
            long windowStart = System.nanoTime();
            long runStart = windowStart;
            long stepsThisRun = 0;
            CompensatorPair pair = null;
            while (step < totalSteps) {
                int epoch = (int) (step / perEpoch);
                int[] order = Trainer.permutation(data.size(), config.seed() * 1_000_003L + epoch);
                int offset = (int) (step % perEpoch) * config.batchSize();
                float[] pixels = new float[config.batchSize() * perImage];
                for (int i = 0; i < config.batchSize(); i++) {
                    float[] px = data.get(order[offset + i], null).pixels();
                    System.arraycopy(px, 0, pixels, i * perImage, perImage);
                }
                pair = drawPair(config.seed(), step, pluginConfig.maxDegree());
                double lr = schedule.at(step);
                try (NDManager batch = root.newSubManager()) {
                    NDArray x = batch.create(FloatBuffer.wrap(pixels), new Shape(shape));
                    NDArray teacher = forward.forward(x, pluginConfig.schedule().level(pair.from()));
                    SideBranchAdapter adapter = trainingAdapter(down, up, pair, batch);
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDArray loss = distillationLoss(forward, x, teacher, pluginConfig.schedule(), pair, adapter);
                        float value = loss.getFloat();
                        if (!Float.isFinite(value)) {
                            throw new IllegalStateException(
                                    String.format(
                                            "distillation loss is %s at step %d (pair %s); stopped"
                                                    + " before updating the plugin",
                                            value, step + 1, pair));
                        }
                        gc.backward(pairWeights == null
                                ? loss
                                : loss.mul(Scalars.of(batch, (float) pairWeights[pair.from()][pair.to()])));
                        String bad = Gradients.firstNonFinite(params);
                        if (bad != null) {
                            throw new IllegalStateException(
                                    String.format(
                                            "the gradient of %s is not finite at step %d (pair %s,"
                                                    + " loss %s); stopped before updating the plugin",
                                            bad, step + 1, pair, value));
                        }
                        lossSum += (double) value * config.batchSize();
                    }
                    optimizer.update(lr);
                }
                step++;
                stepsThisRun++;
                seen += config.batchSize();
                boolean epochEnd = step % perEpoch == 0;
                boolean checkpoint =
                        epochEnd
                                || step == totalSteps
                                || (config.checkpointEverySteps() > 0
                                        && step % config.checkpointEverySteps() == 0);
                if (checkpoint) {
                    writeCheckpoint(pluginFile, cfg, params, optimizer, step, totalSteps);
                }
                boolean measured = false;
                if ((epochEnd || step == totalSteps) && !Double.isNaN(klPlain)) {
                    klWith = heldOutKl(forward, down, up, pluginConfig, heldOut, heldOutPairs, root);
                    measured = true;
                }
                if (step % config.logEverySteps() == 0 || epochEnd || step == totalSteps) {
                    long now = System.nanoTime();
                    double perStep = (now - runStart) / 1e9 / stepsThisRun;
                    progress.accept(
                            new TocomProgress(
                                    (int) ((step - 1) / perEpoch) + 1,
                                    config.epochs(),
                                    step,
                                    totalSteps,
                                    lossSum / seen,
                                    pair,
                                    lr,
                                    seen / ((now - windowStart) / 1e9),
                                    perStep * (totalSteps - step),
                                    measured ? klPlain : Double.NaN,
                                    measured ? klWith : Double.NaN));
                    lossSum = 0;
                    seen = 0;
                    windowStart = System.nanoTime();
                }
            }
            if (stepsThisRun == 0 && !Double.isNaN(klPlain)) {
                // Already complete: report the held-out numbers of the plugin on disk.
                klWith = heldOutKl(forward, down, up, pluginConfig, heldOut, heldOutPairs, root);
            }
            return new Summary(
                    pluginFile, step, klPlain, klWith, (System.nanoTime() - runStart) / 1e9);
        }
    }

    /**
     * The step's pair: r_src and r_tgt independent and uniform on 0..maxDegree, r_tgt redrawn
     * until it differs; a function of (seed, step) only, so a resumed run draws the same pairs.
     */
    static CompensatorPair drawPair(long seed, long step, int maxDegree) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        int src = rnd.nextInt(maxDegree + 1);
        int tgt;
        do {
            tgt = rnd.nextInt(maxDegree + 1);
        } while (tgt == src);
        return new CompensatorPair(src, tgt);
    }

    /**
     * The trainable side branch for a pair: the full (R, D) and (D, R) parameters with
     * coef = s·(M(n) − M(m)) in {@code batch}, so the gradient reaches the chunks of m+1..n.
     */
    static SideBranchAdapter trainingAdapter(
            NDArray[][] down, NDArray[][] up, CompensatorPair pair, CompensatorConfig config, NDManager batch) {
        float[] diff = config.maskDifference(pair);
        for (int c = 0; c < diff.length; c++) {
            diff[c] = (float) (diff[c] * config.defaultScale());
        }
        NDArray coef = batch.create(diff);
        return new SideBranchAdapter(down[0], up[0], down[1], up[1], coef);
    }

    private SideBranchAdapter trainingAdapter(
            NDArray[][] down, NDArray[][] up, CompensatorPair pair, NDManager batch) {
        return trainingAdapter(down, up, pair, pluginConfig, batch);
    }

    /**
     * KL(teacher ‖ student) at τ = 1, averaged over the batch: the student is the base at
     * r_tgt = {@code pair.to()} (a degree of {@code degrees}) with {@code adapter} applied.
     *
     * @param teacher (B, classes) logits of the base at r_src
     */
    static NDArray distillationLoss(
            VitForward forward,
            NDArray x,
            NDArray teacher,
            DegreeSchedule degrees,
            CompensatorPair pair,
            SideBranchAdapter adapter) {
        NDArray student = forward.forward(x, ForwardContext.at(degrees.level(pair.to())).withAdapter(adapter));
        return kl(teacher, student);
    }

    /** Batch mean of Σ_c p_t (log p_t − log p_s) for (B, classes) logits. */
    static NDArray kl(NDArray teacherLogits, NDArray studentLogits) {
        NDArray logPt = teacherLogits.logSoftmax(1);
        NDArray logPs = studentLogits.logSoftmax(1);
        return logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {1}).mean();
    }

    /**
     * KL(base at m ‖ base at n) without the plugin for every pair of degrees 0..maxDegree, over the
     * first {@value #WEIGHT_IMAGES} images of {@code data} (one forward pass per degree).
     */
    static double[][] plainKlTable(
            VitForward forward, CompensatorConfig config, TrainingData data, NDManager root) {
        int degrees = config.maxDegree() + 1;
        int count = Math.min(WEIGHT_IMAGES, data.size());
        double[][] sum = new double[degrees][degrees];
        for (int start = 0; start < count; start += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, count - start);
            try (NDManager batch = root.newSubManager()) {
                NDArray x = images(forward.config(), data, start, n, batch);
                NDArray[] logits = new NDArray[degrees];
                for (int r = 0; r < degrees; r++) {
                    logits[r] = forward.forward(x, config.schedule().level(r));
                }
                for (int m = 0; m < degrees; m++) {
                    for (int r = 0; r < degrees; r++) {
                        if (m != r) {
                            sum[m][r] += kl(logits[m], logits[r]).getFloat() * n;
                        }
                    }
                }
            }
        }
        for (double[] row : sum) {
            for (int r = 0; r < row.length; r++) {
                row[r] /= count;
            }
        }
        return sum;
    }

    /**
     * Loss weights from a plain KL table: 1 / (KL(m ‖ n) + floor) for m ≠ n, scaled to mean 1 over
     * those pairs (0 on the diagonal, which is never drawn).
     */
    static double[][] pairWeights(double[][] plainKl, double floor) {
        int degrees = plainKl.length;
        double[][] w = new double[degrees][degrees];
        double total = 0;
        for (int m = 0; m < degrees; m++) {
            for (int n = 0; n < degrees; n++) {
                if (m != n) {
                    w[m][n] = 1 / (Math.max(0, plainKl[m][n]) + floor);
                    total += w[m][n];
                }
            }
        }
        double mean = total / (degrees * (degrees - 1));
        for (double[] row : w) {
            for (int n = 0; n < degrees; n++) {
                row[n] /= mean;
            }
        }
        return w;
    }

    /**
     * Mean over {@code pairs} and images of KL(base at m ‖ base at n [+ plugin]); without {@code
     * down} the plain compressed model.
     */
    static double heldOutKl(
            VitForward forward,
            NDArray[][] down,
            NDArray[][] up,
            CompensatorConfig config,
            TrainingData data,
            List<CompensatorPair> pairs,
            NDManager root) {
        double sum = 0;
        for (int start = 0; start < data.size(); start += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, data.size() - start);
            try (NDManager batch = root.newSubManager()) {
                NDArray x = images(forward.config(), data, start, n, batch);
                Map<Integer, NDArray> plain = new HashMap<>();
                for (CompensatorPair p : pairs) {
                    NDArray teacher = plain.computeIfAbsent(p.from(), r -> forward.forward(x, config.schedule().level(r)));
                    NDArray student = down == null
                            ? plain.computeIfAbsent(p.to(), r -> forward.forward(x, config.schedule().level(r)))
                            : forward.forward(x, ForwardContext.at(config.schedule().level(p.to()))
                                    .withAdapter(trainingAdapter(down, up, p, config, batch)));
                    sum += kl(teacher, student).getFloat() * n;
                }
            }
        }
        return sum / ((double) data.size() * pairs.size());
    }

    /** Images {@code start .. start+n-1} of {@code data} as one (n, C, H, W) array in {@code manager}. */
    private static NDArray images(VitConfig cfg, TrainingData data, int start, int n, NDManager manager) {
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        float[] pixels = new float[n * perImage];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data.get(start + i, null).pixels(), 0, pixels, i * perImage, perImage);
        }
        return manager.create(
                FloatBuffer.wrap(pixels), new Shape(n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()));
    }

    private void writeCheckpoint(
            Path pluginFile,
            VitConfig cfg,
            Map<String, NDArray> params,
            AdamW optimizer,
            long step,
            long totalSteps)
            throws IOException {
        Path stateDir = stateDir(pluginFile);
        Files.createDirectories(stateDir);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        params.forEach((k, a) -> tensors.put(k, new HostTensor(a.getShape().getShape(), a.toFloatArray())));
        Safetensors.write(
                stateDir.resolve(OPTIMIZER_FILE), optimizer.state(), Map.of("step", Long.toString(step)));
        TokenCompensator.of(cfg, baseSha256, pluginConfig, tensors).save(pluginFile);
        TrainState state = new TrainState();
        state.step = step;
        state.totalSteps = totalSteps;
        state.batchSize = config.batchSize();
        state.seed = config.seed();
        state.relativeFloor = config.relativeFloor();
        Path tmp = stateDir.resolve(STATE_FILE + ".tmp");
        Files.writeString(tmp, GSON.toJson(state), StandardCharsets.UTF_8);
        Files.move(tmp, stateDir.resolve(STATE_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static TrainState readState(Path stateDir) throws IOException {
        Path file = stateDir.resolve(STATE_FILE);
        try {
            TrainState s = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), TrainState.class);
            if (s == null) {
                throw new IOException(file + " is empty");
            }
            return s;
        } catch (com.google.gson.JsonParseException e) {
            throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** What a checkpoint records about the run (JSON). */
    static final class TrainState {
        long step;
        long totalSteps;
        int batchSize;
        long seed;
        double relativeFloor;
    }
}
