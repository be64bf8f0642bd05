package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands that stay valid for autograd's backward pass.
 *
 * <p>Why: on the CPU, DJL's PyTorch {@code NDArray.mul(Number)} (likewise {@code div}, {@code pow},
 * {@code maximum}, ...) wraps the number in a tensor that borrows the memory of a Java direct
 * buffer ({@code torch::from_blob}) and closes that tensor right after the op. Autograd keeps the
 * operand of a product or quotient for the backward pass; once the garbage collector has freed the
 * buffer, the backward pass reads freed memory, so the gradient is scaled by whatever lies there:
 * wrong, now and then NaN, depending on when the collector ran ({@code ScalarsTest} shows it). In
 * any code that a {@code GradientCollector} differentiates, multiply by {@link #of}: a 0-d tensor
 * that torch allocated and owns. Inference (no autograd) is not affected.
 */
public final class Scalars {

    private Scalars() {}

    /** A 0-d float32 tensor holding {@code value}, owned by torch, on {@code manager}'s device. */
    public static NDArray of(NDManager manager, float value) {
        return manager.full(new Shape(), value);
    }
}
