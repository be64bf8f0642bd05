package org.tocomstream.compensate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.tocomstream.model.QvAdapter;

/**
 * Merged mode: each block's fused qkv weight with {@code s·U·diag(M(n) − M(m))·D} added to its q
 * and v rows, built on a block's first use and kept for the adapter's (= the pair's) lifetime.
 * The key rows are the base rows plus exact zeros, so they equal the base weight bit for bit.
 */
final class MergedAdapter implements QvAdapter {

    private final SideBranchAdapter pair;
    private final NDManager manager;
    private final NDArray[] merged;

    MergedAdapter(SideBranchAdapter pair, NDManager manager, int depth) {
        this.pair = pair;
        this.manager = manager;
        this.merged = new NDArray[depth];
    }

    @Override
    public NDArray qkvWeight(int block, NDArray base) {
        synchronized (merged) {
            if (merged[block] == null) {
                merged[block] = merge(block, base);
            }
            return merged[block];
        }
    }

    private NDArray merge(int block, NDArray base) {
        long d = base.getShape().get(1);
        // Every operand left of base lives in this adapter's manager, so the result does too (an op
        // starting from the model's weights would land in its capped manager).
        NDArray dq = pair.upQ(block).matMul(pair.downQ(block));
        NDArray dv = pair.upV(block).matMul(pair.downV(block));
        NDArray zeros = manager.zeros(new Shape(d, d));
        NDArray delta = NDArrays.concat(new NDList(dq, zeros, dv), 0);
        NDArray w = delta.add(base);
        dq.close();
        dv.close();
        zeros.close();
        delta.close();
        return w;
    }
}
