package org.tocomstream.compensate;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.NativeAllocator;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.train.Gradients;
import org.tocomstream.model.train.TrainingData;

/**
 * Trains a Token Compensator by self-distillation without labels ({@code src/docs/token-reduction.md}, Self-distillation):
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
            Path pluginFile, long steps, double heldOutKlPlain, double heldOutKlCompensated, double seconds) {}

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
        Gradients.recordOnlyInCollectors();
        VitConfig cfg = spec.architecture();
        requireCovered(heldOutPairs);
        int perEpoch = data.size() / config.batchSize();
        if (perEpoch == 0) {
            throw new IllegalArgumentException(
                    String.format("batch size %d exceeds the %d training images", config.batchSize(), data.size()));
        }
        long totalSteps = (long) perEpoch * config.epochs();
        Path stateDir = stateDir(pluginFile);
        boolean resume = Files.isRegularFile(stateDir.resolve(STATE_FILE));

        NativeAllocator.tuneOnce();
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            VitForward forward = new VitForward(cfg, frozenBase(cfg, root));
            TocomCheckpoint.State state = resume ? TocomCheckpoint.read(stateDir) : null;
            TokenCompensator start = resume
                    ? resumed(pluginFile, stateDir, state, totalSteps)
                    : TokenCompensator.initial(cfg, baseSha256, pluginConfig, config.seed());
            TocomRun run =
                    new TocomRun(this, forward, trainable(start, root), root, engine, pluginFile, perEpoch, totalSteps);
            if (resume) {
                run.restore(Safetensors.read(stateDir.resolve(OPTIMIZER_FILE)), state.step);
            }
            return run.train(data, heldOut, heldOutPairs, progress);
        }
    }

    String baseSha256() {
        return baseSha256;
    }

    CompensatorConfig pluginConfig() {
        return pluginConfig;
    }

    TocomTrainConfig config() {
        return config;
    }

    private void requireCovered(List<CompensatorPair> heldOutPairs) {
        for (CompensatorPair p : heldOutPairs) {
            if (!pluginConfig.covers(p.from()) || !pluginConfig.covers(p.to())) {
                throw new IllegalArgumentException(String.format(
                        "held-out pair %s is outside the degree range 0..%d", p, pluginConfig.maxDegree()));
            }
        }
    }

    /** The base model's weights on the device, in timm's order; fails naming a missing one. */
    private Map<String, NDArray> frozenBase(VitConfig cfg, NDManager root) {
        Map<String, NDArray> base = new LinkedHashMap<>();
        for (String key : TimmKeys.expectedShapes(cfg).keySet()) {
            HostTensor t = baseWeights.get(key);
            if (t == null) {
                throw new IllegalArgumentException("base weights lack " + key);
            }
            base.put(key, root.create(FloatBuffer.wrap(t.data()), new Shape(t.shape())));
        }
        return base;
    }

    /** The plugin a checkpoint holds, once it is known to be this run's. */
    private TokenCompensator resumed(Path pluginFile, Path stateDir, TocomCheckpoint.State state, long totalSteps)
            throws IOException {
        TokenCompensator start = TokenCompensator.load(pluginFile);
        start.requireBase(baseSha256, "this run's base model");
        TocomCheckpoint.requireSameRun(stateDir, state, start.config(), totalSteps, config, pluginConfig);
        return start;
    }

    /** The plugin's tensors as parameters that collect gradients, in a manager of their own. */
    private static Map<String, NDArray> trainable(TokenCompensator start, NDManager root) {
        NDManager paramManager = root.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : start.tensors().entrySet()) {
            HostTensor t = e.getValue();
            NDArray p = paramManager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
            p.setRequiresGradient(true);
            params.put(e.getKey(), p);
        }
        return params;
    }
}
