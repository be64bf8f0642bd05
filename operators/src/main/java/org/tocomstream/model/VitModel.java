package org.tocomstream.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;

/**
 * A loaded ViT/DeiT classifier: immutable weights on one device, and a forward pass whose
 * compression level is an argument of every call. Thread-safe: concurrent calls (one per
 * predictor/subtask) share the weights and may use different levels.
 *
 * <pre>{@code
 * try (VitModel model = VitModel.fromWeights(cfg, weights, Device.cpu())) {
 *     float[][] logits = model.logits(pixels, new long[] {8, 3, 224, 224}, CompressionLevel.tome(8));
 * }
 * }</pre>
 *
 * <p>Native memory: each call runs in its own sub-manager, and each block inside it in a nested
 * one, so nothing outlives the call except the returned Java arrays.
 */
public final class VitModel implements AutoCloseable {

    /**
     * Per-thread staging buffer for input pixels. DJL wraps a direct native-order buffer as the
     * tensor's storage without copying; a heap array would instead be copied into a fresh,
     * zeroed direct buffer per batch (4.8 MB and ~1,200 page faults for a DeiT-S batch of 8) that
     * is only freed at the next GC. The buffer is reused once the call's tensors are closed.
     */
    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

    private final ModelSpec spec;
    private final VitConfig config;
    private final NDManager manager;
    private final VitForward forward;
    private final ReuseSlots reuseSlots;

    private VitModel(ModelSpec spec, NDManager manager, VitForward forward) {
        this.spec = spec;
        this.config = spec.architecture();
        this.manager = manager;
        this.forward = forward;
        this.reuseSlots = new ReuseSlots(manager, config);
    }

    /**
     * Loads a model directory: {@code model.json} plus its weights file (timm or Hugging Face
     * names; F32, F16 or BF16).
     *
     * @throws IOException naming the file, field or tensor that is missing or wrong
     */
    public static VitModel load(Path dir, Device device) throws IOException {
        ModelSpec spec = ModelSpec.read(dir);
        Map<String, HostTensor> weights = VitCheckpoint.load(spec.weightsPath(dir), spec.architecture());
        return fromWeights(spec, weights, device);
    }

    /**
     * A model from timm-named weights with default metadata: labels {@code class_0..},
     * timm's DeiT evaluation preprocessing, trained without compression.
     */
    public static VitModel fromWeights(VitConfig config, Map<String, HostTensor> timmWeights, Device device) {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < config.numClasses(); i++) {
            labels.add("class_" + i);
        }
        return fromWeights(ModelSpec.of(config, labels), timmWeights, device);
    }

    /**
     * Builds a model from timm-named weights (already validated against the spec's architecture).
     *
     * @param device where the weights live and the forward runs
     */
    public static VitModel fromWeights(ModelSpec spec, Map<String, HostTensor> timmWeights, Device device) {
        VitConfig config = spec.architecture();
        NativeAllocator.tuneOnce();
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        manager.setName("vit:" + config.name());
        try {
            NDManager weightManager = manager.newSubManager();
            weightManager.setName("vit-weights:" + config.name());
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            for (Map.Entry<String, HostTensor> e : timmWeights.entrySet()) {
                HostTensor t = e.getValue();
                NDArray a = weightManager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
                a.setName(e.getKey());
                arrays.put(e.getKey(), a);
            }
            VitForward forward = new VitForward(config, arrays);
            // From here on nothing may be created in the weights' manager: an op that would (and so
            // leak for the model's lifetime) fails at once instead.
            weightManager.cap();
            return new VitModel(spec, manager, forward);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public VitConfig config() {
        return config;
    }

    /** Labels, preprocessing and provenance from {@code model.json}. */
    public ModelSpec spec() {
        return spec;
    }

    public Device device() {
        return manager.getDevice();
    }

    /**
     * Logits of a batch of normalised images, the plain model at {@code level}.
     *
     * @param pixels row-major (B, C, H, W) values
     * @param shape {B, C, H, W}; C, H and W must match the architecture
     * @param level compression of this call
     * @return logits, {@code [B][classes]}
     */
    public float[][] logits(float[] pixels, long[] shape, CompressionLevel level) {
        return logits(pixels, shape, ForwardContext.at(level));
    }

    /**
     * Logits of a batch under {@code ctx}: its level and its q/v adapter, such as a Token
     * Compensator's delta for this batch's pair ({@code
     * org.tocomstream.compensate.BoundCompensator#adapter}). Always runs in place: the staged
     * input and every intermediate are this call's own and freed when it returns.
     */
    public float[][] logits(float[] pixels, long[] shape, ForwardContext ctx) {
        checkInputShape(shape, pixels.length);
        try (NDManager batch = manager.newSubManager()) {
            batch.setName("vit-batch");
            return toRows(forward.forward(stage(batch, pixels, shape), ctx.inPlace()));
        }
    }

    /**
     * The forward pass on arrays the caller manages (training, or callers that keep data on the
     * device), under {@code ctx}. Unless {@code ctx} runs {@link ForwardContext#inPlace() in
     * place}, nothing is freed early: all intermediates stay in {@code images}' manager.
     */
    public NDArray forward(NDArray images, ForwardContext ctx) {
        checkInputShape(images.getShape().getShape(), images.getShape().size());
        return forward.forward(images, ctx);
    }

    /**
     * An empty token-reuse cache for one stream ({@link ReuseState}); the caller owns and closes
     * it. Its memory once filled: {@link ReuseState#bytes(VitConfig)}.
     */
    public ReuseState newReuseState() {
        return new ReuseState(reuseSlots);
    }

    /**
     * Logits of a batch of frames of B different streams at a token-reuse level ({@link
     * CompressionLevel#reuse}), each frame with its stream's state: a filled state's frame
     * recomputes k patch tokens per block and updates the state; an empty state's frame is computed
     * in full and fills it. A reused frame in which more than {@code sceneCut} of the patch tokens
     * moved (see {@code src/docs/reuse.md}) is computed again in full, its state refilled.
     *
     * @param states one per frame, all different, none used by another call meanwhile
     * @param sceneCut fraction of moved patch tokens above which a frame counts as a scene cut; 1
     *     or more: never
     */
    public ReuseResult logitsReusing(
            float[] pixels, long[] shape, CompressionLevel level, ReuseState[] states, double sceneCut) {
        checkInputShape(shape, pixels.length);
        if (!level.isReuse() || states.length != shape[0]) {
            throw new IllegalArgumentException(String.format(
                    "token reuse needs a reuse level and one state per frame, got %s and %d states for %d frames",
                    level, states.length, shape[0]));
        }
        try (NDManager batch = manager.newSubManager()) {
            batch.setName("vit-reuse-batch");
            return ReuseBatch.run(forward, stage(batch, pixels, shape), level, states, sceneCut);
        }
    }

    /** Stream slots the reuse storage holds, used or free (memory checks). */
    int reuseSlotCapacity() {
        return reuseSlots.capacity();
    }

    /** Arrays alive in the weights' manager and its children (leak checks). */
    int liveArrays() {
        return ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
    }

    /** A child manager on this model's device, for callers that build input arrays themselves. */
    public NDManager newBatchManager() {
        return manager.newSubManager();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** The input as a tensor whose storage is this thread's staging buffer (CPU only). */
    private static NDArray stage(NDManager batch, float[] pixels, long[] shape) {
        if (!Device.Type.CPU.equals(batch.getDevice().getDeviceType())) {
            return batch.create(FloatBuffer.wrap(pixels), new Shape(shape));
        }
        ByteBuffer buf = STAGING.get();
        if (buf == null || buf.capacity() < pixels.length * Float.BYTES) {
            buf = ByteBuffer.allocateDirect(pixels.length * Float.BYTES).order(ByteOrder.nativeOrder());
            STAGING.set(buf);
        }
        buf.clear();
        buf.asFloatBuffer().put(pixels);
        buf.limit(pixels.length * Float.BYTES);
        return batch.create(buf, new Shape(shape), DataType.FLOAT32);
    }

    static float[][] toRows(NDArray logits) {
        int rows = Math.toIntExact(logits.getShape().get(0));
        int cols = Math.toIntExact(logits.getShape().get(1));
        float[] flat = logits.toFloatArray();
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
        }
        return out;
    }

    private void checkInputShape(long[] shape, long values) {
        long[] want = {config.inChannels(), config.imageSize(), config.imageSize()};
        if (shape.length != 4 || shape[0] < 1 || shape[1] != want[0] || shape[2] != want[1] || shape[3] != want[2]) {
            throw new IllegalArgumentException(String.format(
                    "input batch has shape %s but %s expects [B, %d, %d, %d]",
                    Arrays.toString(shape), config.name(), want[0], want[1], want[2]));
        }
        if (shape[0] * want[0] * want[1] * want[2] != values) {
            throw new IllegalArgumentException(String.format(
                    "input batch shape %s needs %d values but %d were given",
                    Arrays.toString(shape), shape[0] * want[0] * want[1] * want[2], values));
        }
    }
}
