package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.MergePlan;

/** Records what a forward pass did per block, for tests and diagnostics. */
final class ForwardTrace {

    final long[] tokensAfterBlock;
    final List<long[]> mergeSources = new ArrayList<>();
    final List<Integer> mergeBlocks = new ArrayList<>();
    /** Per block: sizes (B, N) after its reduction, or null while ToMe has not merged. */
    final List<float[]> sizesAfterBlock = new ArrayList<>();

    ForwardTrace(int depth) {
        this.tokensAfterBlock = new long[depth];
    }

    void afterReduction(int block, NDArray x, NDArray size) {
        tokensAfterBlock[block] = x.getShape().get(1);
        sizesAfterBlock.add(size == null ? null : size.toFloatArray());
    }

    void merge(int block, MergePlan plan) {
        if (!plan.isIdentity()) {
            mergeBlocks.add(block);
            mergeSources.add(plan.sourceIndices().toLongArray());
        }
    }
}
