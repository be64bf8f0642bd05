package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tocomstream.compress.IdlePlan;
import org.tocomstream.compress.MergePlan;

/** Records what a forward pass did per block, for tests and diagnostics. */
final class ForwardTrace {

    final long[] tokensAfterBlock;
    final List<long[]> mergeSources = new ArrayList<>();
    final List<Integer> mergeBlocks = new ArrayList<>();
    /** Per block: sizes (B, N) after its reduction, or null while ToMe has not merged. */
    final List<float[]> sizesAfterBlock = new ArrayList<>();

    /** Per block: tokens an IdleViT block computed on (prefix plus selected), 0 elsewhere. */
    final long[] selectedInBlock;
    /** Per idle block: (B, P + k) positions of the selected tokens, flattened. */
    final Map<Integer, long[]> selectedPositions = new TreeMap<>();

    ForwardTrace(int depth) {
        this.tokensAfterBlock = new long[depth];
        this.selectedInBlock = new long[depth];
    }

    void idle(int block, IdlePlan plan) {
        selectedInBlock[block] = plan.selected();
        selectedPositions.put(block, plan.positions().toLongArray());
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
