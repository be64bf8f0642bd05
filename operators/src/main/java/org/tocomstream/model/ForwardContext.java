package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.IdlePlan;
import org.tocomstream.compress.MergePlan;

/**
 * What one forward call runs with besides its images: the compression level, the change to q and
 * v if any (a Token Compensator's {@link QvAdapter}), and whether the pass may overwrite its own
 * activations. Immutable; start from {@link #at} and add what the call needs:
 *
 * <pre>{@code
 * float[][] plain = model.logits(pixels, shape, CompressionLevel.tome(8));
 * float[][] compensated = model.logits(pixels, shape,
 *         ForwardContext.at(CompressionLevel.tome(8)).withAdapter(tocom.adapter(level)));
 * NDArray logits = forward.forward(images, ForwardContext.at(level)); // autograd keeps everything
 * }</pre>
 *
 * <p>In place: each block runs in its own sub-manager, closed as soon as the block's output
 * exists, and the residual sums overwrite their input, so native memory peaks at one block's
 * intermediates. Only for inference on arrays nobody else reads: autograd needs every intermediate
 * until the backward pass. {@link VitModel#logits(float[], long[], ForwardContext)} always runs
 * in place, since the staged input and all intermediates are its own.
 */
public final class ForwardContext {

    private final CompressionLevel level;
    private final QvAdapter adapter;
    private final boolean inPlace;
    /** Receives per-block details (tests, diagnostics); null records nothing. */
    private final ForwardTrace trace;

    private ForwardContext(CompressionLevel level, QvAdapter adapter, boolean inPlace, ForwardTrace trace) {
        this.level = Objects.requireNonNull(level, "level");
        if (level.isStudent()) {
            throw new IllegalArgumentException(
                    "compression level student runs the student model (the predictor's), not a compression of this one");
        }
        this.adapter = adapter;
        this.inPlace = inPlace;
        this.trace = trace;
    }

    /** The plain model at {@code level}: no adapter, nothing overwritten, nothing traced. */
    public static ForwardContext at(CompressionLevel level) {
        return new ForwardContext(level, QvAdapter.NONE, false, null);
    }

    /**
     * A copy whose q and v are changed by {@code adapter}; {@code null} (what a compensator returns
     * when it has nothing to apply) means {@link QvAdapter#NONE}, the plain model bit for bit.
     */
    public ForwardContext withAdapter(QvAdapter adapter) {
        return new ForwardContext(level, adapter == null ? QvAdapter.NONE : adapter, inPlace, trace);
    }

    /** A copy that runs in place (see the class comment). */
    public ForwardContext inPlace() {
        return new ForwardContext(level, adapter, true, trace);
    }

    /** A copy that records per-block token counts, sizes and merges into {@code trace}. */
    ForwardContext withTrace(ForwardTrace trace) {
        return new ForwardContext(level, adapter, inPlace, Objects.requireNonNull(trace, "trace"));
    }

    /** The compression of this call. */
    public CompressionLevel level() {
        return level;
    }

    /** The change to q and v, {@link QvAdapter#NONE} for the plain model. */
    public QvAdapter adapter() {
        return adapter;
    }

    /** Whether the pass may overwrite activations and free each block's intermediates early. */
    public boolean isInPlace() {
        return inPlace;
    }

    void traceMerge(int block, MergePlan plan) {
        if (trace != null) {
            trace.merge(block, plan);
        }
    }

    void traceIdle(int block, IdlePlan plan) {
        if (trace != null) {
            trace.idle(block, plan);
        }
    }

    void traceReduction(int block, NDArray x, NDArray size) {
        if (trace != null) {
            trace.afterReduction(block, x, size);
        }
    }

    @Override
    public String toString() {
        return String.format(
                "ForwardContext[level=%s, adapter=%s, inPlace=%s]",
                level, adapter == QvAdapter.NONE ? "none" : adapter, inPlace);
    }
}
