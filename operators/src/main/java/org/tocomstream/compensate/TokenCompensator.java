package org.tocomstream.compensate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/**
 * A Token Compensator (ToCom, {@code src/docs/token-reduction.md}): a low-rank delta on the query and value
 * projections of every attention block that makes a ViT running at ToMe degree n behave like the
 * same model at degree m. The entry type of this package: an immutable plugin on the Java heap,
 * loaded from or saved to a file, and {@link #bind bound} to a loaded model to be applied per
 * forward call.
 *
 * <pre>{@code
 * TokenCompensator plugin = TokenCompensator.loadFor(Path.of("tocom.safetensors"), modelDir);
 * try (VitModel model = VitModel.load(modelDir, Device.cpu());
 *         BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH)) {
 *     CompressionLevel level = CompressionLevel.tome(8);        // this batch's level: n = 8
 *     float[][] logits = model.logits(pixels, shape,
 *             ForwardContext.at(level).withAdapter(tocom.adapter(level))); // m from model.json
 * }
 * }</pre>
 *
 * <h2>Structure</h2>
 *
 * For each block i and each of q and v, a down projection D (R, D) and an up projection U (D, R),
 * R = {@link CompensatorConfig#rank()}; U starts at zero, so a fresh plugin changes nothing. The
 * pair (m → n) selects channels by the mask difference: Δ(m→n) = U·diag(M(n) − M(m))·D, added with
 * scale s. Hence Δ(m→m) = 0, Δ(m→n) = −Δ(n→m) and Δ(a→b) + Δ(b→c) = Δ(a→c) exactly.
 *
 * <h2>File format</h2>
 *
 * A safetensors file (F32) holding exactly the 4·depth tensors {@code
 * blocks.{i}.attn.{q,v}_tocom.adapter_down.weight} (R, D) and {@code
 * blocks.{i}.attn.{q,v}_tocom.adapter_up.weight} (D, R), plus a JSON sidecar next to it ({@code
 * tocom.safetensors} → {@code tocom.json}):
 *
 * <pre>{@code
 * {
 *   "formatVersion": 1,
 *   "method": "tome",
 *   "baseModel": {"architecture": "vit_demo", "weightsSha256": "1a2b…"},
 *   "rankPerStep": 2,
 *   "maxDegree": 16,
 *   "defaultScale": 0.1,
 *   "depth": 12,
 *   "embedDim": 128
 * }
 * }</pre>
 *
 * {@code weightsSha256} is the SHA-256 of the base model's weights file ({@link
 * #weightsSha256(Path)}); the stream's model id is its first 8 hex digits. Loading against
 * another base model, a pair outside 0..maxDegree, or any missing, extra or mis-shaped tensor is
 * an error naming the values.
 */
public final class TokenCompensator {

    /** The two projections a compensator changes. */
    public enum Projection {
        Q("q"),
        V("v");

        private final String prefix;

        Projection(String prefix) {
            this.prefix = prefix;
        }
    }

    /**
     * File name of a model directory's own plugin: {@code tocom.safetensors} (sidecar {@code
     * tocom.json}) next to {@code model.json}, which the stream applies unless told otherwise.
     */
    public static final String FILE_NAME = "tocom.safetensors";

    private final CompensatorConfig config;
    private final int depth;
    private final int embedDim;
    private final String baseArchitecture;
    private final String baseWeightsSha256;
    private final Map<String, HostTensor> tensors;
    private final String source;

    private TokenCompensator(
            CompensatorConfig config,
            int depth,
            int embedDim,
            String baseArchitecture,
            String baseWeightsSha256,
            Map<String, HostTensor> tensors,
            String source) {
        this.config = config;
        this.depth = depth;
        this.embedDim = embedDim;
        this.baseArchitecture = baseArchitecture;
        this.baseWeightsSha256 = baseWeightsSha256;
        this.tensors = tensors;
        this.source = source;
    }

    /**
     * A fresh plugin for training: down projections drawn as PyTorch's default {@code Linear}
     * initialisation (uniform in ±1/√D), up projections zero, so it changes nothing yet.
     *
     * @param baseWeightsSha256 identity of the base model ({@link #weightsSha256(Path)})
     */
    public static TokenCompensator initial(
            VitConfig base, String baseWeightsSha256, CompensatorConfig config, long seed) {
        return new TokenCompensator(
                config,
                base.depth(),
                base.attendedDim(),
                base.name(),
                baseWeightsSha256,
                PluginTensors.initial(base.depth(), base.attendedDim(), config, seed),
                "new plugin");
    }

    /**
     * A plugin from tensors named as in the file format (checked).
     *
     * @throws CheckpointException naming a missing, extra or mis-shaped tensor
     */
    public static TokenCompensator of(
            VitConfig base, String baseWeightsSha256, CompensatorConfig config, Map<String, HostTensor> tensors)
            throws CheckpointException {
        return new TokenCompensator(
                config,
                base.depth(),
                base.attendedDim(),
                base.name(),
                baseWeightsSha256,
                PluginTensors.validated(tensors, base.depth(), base.attendedDim(), config, "plugin tensors"),
                "plugin tensors");
    }

    /**
     * Reads a plugin file and its sidecar, without checking which model it belongs to.
     *
     * @throws CheckpointException naming the file and the field or tensor that is wrong
     */
    public static TokenCompensator load(Path file) throws IOException {
        PluginSidecar meta = PluginSidecar.read(PluginSidecar.pathFor(file));
        Map<String, HostTensor> raw = Safetensors.read(file);
        return new TokenCompensator(
                meta.config(),
                meta.depth(),
                meta.embedDim(),
                meta.baseArchitecture(),
                meta.baseWeightsSha256(),
                PluginTensors.validated(raw, meta.depth(), meta.embedDim(), meta.config(), file.toString()),
                file.toString());
    }

    /**
     * Reads a plugin file and checks that it was trained for the model in {@code modelDir}: the
     * weights' SHA-256 and the architecture's depth and width must match.
     *
     * @throws CheckpointException naming both identities when the plugin belongs to another model
     */
    public static TokenCompensator loadFor(Path file, Path modelDir) throws IOException {
        TokenCompensator plugin = load(file);
        ModelSpec spec = ModelSpec.read(modelDir);
        plugin.requireBase(weightsSha256(modelDir), modelDir.toString());
        plugin.requireArchitecture(spec.architecture());
        return plugin;
    }

    /**
     * The plugin file of a model directory by convention ({@value #FILE_NAME} next to {@code
     * model.json}), when there is one.
     */
    public static Optional<Path> inModelDir(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /**
     * One line describing the plugin, e.g. {@code tocom.safetensors (base vit_demo sha256
     * 1a2b3c4d…, rank 2 per step, degrees 0..6, s = 0.1)}.
     */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%s (base %s sha256 %s…, rank %d per step, %s, s = %s)",
                source,
                baseArchitecture,
                baseWeightsSha256.substring(0, Math.min(8, baseWeightsSha256.length())),
                config.rankPerStep(),
                config.degreesText(),
                config.defaultScale());
    }

    /** Writes the plugin file and its sidecar ({@link #sidecarPath}), each replaced atomically. */
    public void save(Path file) throws IOException {
        Safetensors.write(file, tensors, Map.of("format", "pt", "method", "tocom"));
        new PluginSidecar(
                        PluginSidecar.versionFor(config),
                        config.axis().method(),
                        baseArchitecture,
                        baseWeightsSha256,
                        depth,
                        embedDim,
                        config)
                .write(sidecarPath(file));
    }

    /** The sidecar of a plugin file: {@code x.safetensors} → {@code x.json}, else {@code x.json} added. */
    public static Path sidecarPath(Path pluginFile) {
        return PluginSidecar.pathFor(pluginFile);
    }

    /**
     * SHA-256 (lower-case hex) of the weights file of a model directory: its identity (computed
     * once per file version, {@link WeightsHash}).
     */
    public static String weightsSha256(Path modelDir) throws IOException {
        return WeightsHash.sha256(ModelSpec.read(modelDir).weightsPath(modelDir));
    }

    /** The tensor name: {@code blocks.{i}.attn.{q,v}_tocom.adapter_{down,up}.weight}. */
    public static String key(int block, Projection projection, boolean up) {
        return "blocks." + block + ".attn." + projection.prefix + "_tocom.adapter_" + (up ? "up" : "down") + ".weight";
    }

    public CompensatorConfig config() {
        return config;
    }

    /** Number of blocks of the base model. */
    public int depth() {
        return depth;
    }

    /** Width of the base model's blocks: D, or a channel-shuffle model's attended width. */
    public int embedDim() {
        return embedDim;
    }

    /** Architecture name of the base model, as recorded when the plugin was made. */
    public String baseArchitecture() {
        return baseArchitecture;
    }

    /** SHA-256 of the base model's weights file. */
    public String baseWeightsSha256() {
        return baseWeightsSha256;
    }

    /** The tensors, named as in the file (unmodifiable; the arrays must not be mutated). */
    public Map<String, HostTensor> tensors() {
        return tensors;
    }

    /** A copy with another default scale s (the tensors are shared). */
    public TokenCompensator withDefaultScale(double scale) {
        return new TokenCompensator(
                config.withDefaultScale(scale), depth, embedDim, baseArchitecture, baseWeightsSha256, tensors, source);
    }

    /**
     * The pair for a model trained at {@code trained} running a batch at {@code level}: present
     * when both are degrees of this plugin's {@link CompensatorConfig#axis() axis} (for a schedule,
     * none is degree 0; for a level list, both must be rungs of it), empty otherwise (e.g. EViT,
     * or {@code tome:r} for a plugin over the decreasing schedule: the plugin does not apply).
     */
    public Optional<CompensatorPair> pairFor(CompressionLevel trained, CompressionLevel level) {
        return config.axis().pairFor(trained, level);
    }

    /** The pair as labels name it ({@link DegreeAxis#pairText}): {@code "0->4"}, or {@code "none->tome:4"} over rungs. */
    public String pairText(CompensatorPair pair) {
        return config.axis().pairText(pair);
    }

    /** {@link #pairFor(CompressionLevel, CompressionLevel)} for a plugin over {@code schedule}. */
    public static Optional<CompensatorPair> pairFor(
            DegreeSchedule schedule, CompressionLevel trained, CompressionLevel level) {
        OptionalInt m = schedule.degreeOf(trained);
        OptionalInt n = schedule.degreeOf(level);
        if (m.isEmpty() || n.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new CompensatorPair(m.getAsInt(), n.getAsInt()));
    }

    /**
     * @throws IllegalArgumentException naming the pair, the range and the plugin when a degree is
     *     outside 0..maxDegree
     */
    public void checkPair(CompensatorPair pair) {
        if (!config.covers(pair.from()) || !config.covers(pair.to())) {
            throw new IllegalArgumentException(String.format(
                    Locale.ROOT,
                    "compensator pair %s is outside the degree range 0..%d of %s",
                    pair,
                    config.maxDegree(),
                    source));
        }
    }

    /**
     * The weight-space delta of one projection, {@code s·U·diag(M(n) − M(m))·D}, as the (D, D)
     * matrix added to that projection's rows of the fused qkv weight (PyTorch's {@code y = x·Wᵀ}
     * convention). Computed on the heap in double precision; for tests and inspection.
     */
    public HostTensor delta(int block, Projection projection, CompensatorPair pair, double scale) {
        checkPair(pair);
        return PluginTensors.delta(
                tensors.get(key(block, projection, false)).data(),
                tensors.get(key(block, projection, true)).data(),
                config.maskDifference(pair),
                config.rank(),
                embedDim,
                scale);
    }

    /**
     * Puts the plugin on a loaded model's device, to be applied per call. The model's depth and
     * width must match; its identity is checked by {@link #loadFor}, not here.
     *
     * @param mode side branch or merged weights
     * @throws IllegalArgumentException naming both shapes when the model does not fit
     */
    public BoundCompensator bind(VitModel model, CompensatorMode mode) {
        return bind(model, mode, null);
    }

    /**
     * As {@link #bind(VitModel, CompensatorMode)} for a model fine-tuned from the plugin's base:
     * each pair's scale is multiplied by the calibration's factor ({@link
     * BoundCompensator#scale}). Null: the scale is applied as given.
     */
    public BoundCompensator bind(VitModel model, CompensatorMode mode, CompensatorCalibration calibration) {
        requireArchitecture(model.config());
        return BoundCompensator.create(this, model, mode, calibration);
    }

    /**
     * The scale s a model with {@code calibration} (null: none) runs this plugin at unless told
     * otherwise: the calibration's reference scale when it has one ({@link
     * CompensatorCalibration.Rule#KL_LINE_SEARCH}), else the plugin's default s.
     */
    public double defaultScale(CompensatorCalibration calibration) {
        return calibration == null
                ? config().defaultScale()
                : calibration.referenceScale().orElse(config().defaultScale());
    }

    /** @throws CheckpointException naming both hashes when {@code sha256} is not the base's */
    public void requireBase(String sha256, String what) throws CheckpointException {
        if (!baseWeightsSha256.equals(sha256)) {
            throw new CheckpointException(String.format(
                    "%s was trained for base model %s with weights sha256 %s, but %s has" + " weights sha256 %s",
                    source, baseArchitecture, baseWeightsSha256, what, sha256));
        }
    }

    void requireArchitecture(VitConfig cfg) {
        if (cfg.depth() != depth || cfg.attendedDim() != embedDim) {
            throw new IllegalArgumentException(String.format(
                    "%s fits %d blocks of width %d (base %s) but model %s has %d blocks of" + " width %d",
                    source, depth, embedDim, baseArchitecture, cfg.name(), cfg.depth(), cfg.attendedDim()));
        }
    }
}
