package org.tocomstream.compensate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.QvAdapter;
import org.tocomstream.model.VitModel;

/**
 * A {@link TokenCompensator} on one loaded model's device: turns the (m → n) pair of each call
 * into the {@link QvAdapter} a call's {@link ForwardContext} carries to {@link
 * VitModel#logits(float[], long[], ForwardContext)}. m is the model's {@code
 * trainedCompression}, n the batch's level. Switching pairs is a map look-up: the plugin stays on
 * the device, each pair's arrays (the active channels in side-branch mode, the merged qkv weights
 * in merged mode) are built on first use and cached.
 *
 * <pre>{@code
 * try (BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH)) {
 *     QvAdapter a = tocom.adapter(CompressionLevel.tome(8)); // null: nothing to apply
 *     float[][] logits = model.logits(pixels, shape,
 *             ForwardContext.at(CompressionLevel.tome(8)).withAdapter(a));
 * }
 * }</pre>
 *
 * <p>Thread-safe: concurrent calls may use different pairs. Closing it frees the plugin's and
 * the cached pairs' native memory; close it before the model. Memory of the cache: side branch
 * 4·k·D floats per block and pair (k = rankPerStep·|n − m|); merged 3·D² floats per block and pair.
 */
public final class BoundCompensator implements AutoCloseable {

    private record Key(CompensatorPair pair, CompensatorMode mode, double scale) {}

    private final TokenCompensator plugin;
    private final CompressionLevel trained;
    private final CompensatorMode mode;
    private final NDManager manager;
    private final NDArray[][] down;
    private final NDArray[][] up;
    private final Map<Key, QvAdapter> adapters = new ConcurrentHashMap<>();
    private final CompensatorCalibration calibration;

    private BoundCompensator(
            TokenCompensator plugin,
            CompensatorCalibration calibration,
            CompressionLevel trained,
            CompensatorMode mode,
            NDManager manager,
            NDArray[][] down,
            NDArray[][] up) {
        this.plugin = plugin;
        this.calibration = calibration;
        this.trained = trained;
        this.mode = mode;
        this.manager = manager;
        this.down = down;
        this.up = up;
    }

    static BoundCompensator create(
            TokenCompensator plugin, VitModel model, CompensatorMode mode, CompensatorCalibration calibration) {
        Objects.requireNonNull(mode, "mode");
        NDManager manager = model.newBatchManager();
        manager.setName("tocom:" + plugin.baseArchitecture());
        try {
            int depth = plugin.depth();
            NDArray[][] down = new NDArray[2][depth];
            NDArray[][] up = new NDArray[2][depth];
            for (Projection p : Projection.values()) {
                for (int i = 0; i < depth; i++) {
                    down[p.ordinal()][i] = array(manager, plugin.tensors().get(TokenCompensator.key(i, p, false)));
                    up[p.ordinal()][i] = array(manager, plugin.tensors().get(TokenCompensator.key(i, p, true)));
                }
            }
            return new BoundCompensator(
                    plugin, calibration, model.spec().trainedCompression(), mode, manager, down, up);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public TokenCompensator plugin() {
        return plugin;
    }

    /**
     * The per-pair factors of the model's {@link CompensatorCalibration} (a model fine-tuned from
     * the plugin's base must have one, the base may), or null when the scale is applied as given.
     */
    public CompensatorCalibration calibration() {
        return calibration;
    }

    /** The scale s this binding runs at unless told otherwise ({@link TokenCompensator#defaultScale}). */
    public double defaultScale() {
        return plugin.defaultScale(calibration);
    }

    /**
     * The scale to apply to {@code pair} when the requested scale is {@code scale}: {@code scale}
     * times the calibration's factor for the pair, {@code scale} itself without a calibration.
     */
    public double scale(CompensatorPair pair, double scale) {
        return calibration == null ? scale : calibration.scale(pair, scale);
    }

    /** The mode {@link #adapter(CompressionLevel)} uses. */
    public CompensatorMode mode() {
        return mode;
    }

    /**
     * The pair for a batch at {@code level}: m = the model's trained degree (or rung), n = the
     * level's. Empty when either is not a degree of the plugin's axis (the plugin does not apply).
     */
    public Optional<CompensatorPair> pairFor(CompressionLevel level) {
        return plugin.pairFor(trained, level);
    }

    /**
     * The pair of a batch at {@code level} as its label names it ({@link DegreeAxis#pairText}):
     * {@code "0->4"} over a schedule, {@code "none->tome:4"} over rungs; empty without a pair.
     */
    public Optional<String> pairText(CompressionLevel level) {
        return pairFor(level).map(plugin::pairText);
    }

    /**
     * The adapter for a batch at {@code level} in this binding's mode at {@link #defaultScale()}
     * (times the calibration's factor for the pair, when there is one), or null when nothing
     * is to be applied (no pair, m = n, or s = 0).
     *
     * @throws IllegalArgumentException when the pair is outside the plugin's degree range
     */
    public QvAdapter adapter(CompressionLevel level) {
        Optional<CompensatorPair> pair = pairFor(level);
        return pair.isEmpty() ? null : adapter(pair.get(), mode, scale(pair.get(), defaultScale()));
    }

    /**
     * The adapter for an explicit pair and scale, used as given (no calibration factor; see
     * {@link #scale}), or null when it changes nothing (m = n or s = 0, where the forward pass then
     * is exactly the plain compressed model).
     *
     * @throws IllegalArgumentException when the pair is outside the plugin's degree range or the
     *     scale is negative or not finite
     */
    public QvAdapter adapter(CompensatorPair pair, CompensatorMode mode, double scale) {
        plugin.checkPair(pair);
        CompensatorConfig.checkScale(scale, "compensator scale");
        if (pair.isIdentity() || scale == 0) {
            return null;
        }
        return adapters.computeIfAbsent(new Key(pair, mode, scale), this::build);
    }

    /** Number of (pair, mode, scale) adapters built so far. */
    public int cachedAdapters() {
        return adapters.size();
    }

    @Override
    public void close() {
        adapters.clear();
        manager.close();
    }

    private QvAdapter build(Key key) {
        CompensatorConfig cfg = plugin.config();
        int a = cfg.activeStart(key.pair());
        int b = cfg.activeEnd(key.pair());
        float sign = key.pair().to() > key.pair().from() ? 1f : -1f;
        float factor = (float) (sign * key.scale());
        int depth = plugin.depth();
        NDArray[][] d = new NDArray[2][depth];
        NDArray[][] u = new NDArray[2][depth];
        for (int p = 0; p < 2; p++) {
            for (int i = 0; i < depth; i++) {
                d[p][i] = down[p][i].get(a + ":" + b);
                NDArray slice = up[p][i].get(":, " + a + ":" + b);
                u[p][i] = slice.mul(factor);
                slice.close();
            }
        }
        SideBranchAdapter branch = new SideBranchAdapter(d[0], u[0], d[1], u[1], null);
        return key.mode() == CompensatorMode.MERGED ? new MergedAdapter(branch, manager, depth) : branch;
    }

    private static NDArray array(NDManager manager, HostTensor t) {
        return manager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
    }
}
