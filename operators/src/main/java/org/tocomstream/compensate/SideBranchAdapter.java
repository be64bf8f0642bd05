package org.tocomstream.compensate;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import org.tocomstream.model.QvAdapter;

/**
 * ToCom's side branch: {@code Δ(h) = ((h·Dᵀ) ⊙ coef)·Uᵀ} for q and v of every block, keys
 * untouched. For inference the arrays are the pair's active channels with sign and scale folded
 * into U, and {@code coef} is null; for training they are the full trainable (R, D) and (D, R)
 * parameters and {@code coef} = s·(M(n) − M(m)), so gradients reach every chunk of the pair.
 *
 * <p>Every op starts from {@code h}, so results live in the call's manager, never in the plugin's.
 */
final class SideBranchAdapter implements QvAdapter {

    private final NDArray[] downQ;
    private final NDArray[] upQ;
    private final NDArray[] downV;
    private final NDArray[] upV;
    private final NDArray coef;

    SideBranchAdapter(NDArray[] downQ, NDArray[] upQ, NDArray[] downV, NDArray[] upV, NDArray coef) {
        this.downQ = downQ;
        this.upQ = upQ;
        this.downV = downV;
        this.upV = upV;
        this.coef = coef;
    }

    @Override
    public NDArray[] qvDelta(int block, NDArray h) {
        return new NDArray[] {branch(h, downQ[block], upQ[block]), branch(h, downV[block], upV[block])};
    }

    private NDArray branch(NDArray h, NDArray down, NDArray up) {
        NDArray t = Linear.linear(h, down).singletonOrThrow();
        if (coef != null) {
            t = t.mul(coef);
        }
        return Linear.linear(t, up).singletonOrThrow();
    }

    /** The pair's (k, D) down projection of q at {@code block} (merged mode reads these). */
    NDArray downQ(int block) {
        return downQ[block];
    }

    NDArray upQ(int block) {
        return upQ[block];
    }

    NDArray downV(int block) {
        return downV[block];
    }

    NDArray upV(int block) {
        return upV[block];
    }
}
