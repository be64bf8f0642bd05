package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One block's DiffRate reduction ({@code src/docs/token-reduction.md}, DiffRate): sort the tokens
 * by the class token's attention, prune to {@code P} tokens, then merge the rest down to {@code
 * M}, between the attention residual and the MLP.
 *
 * <p>Shapes: {@code x} (B, N, D) → (B, N', D) and {@code size} (B, N, 1) → (B, N', 1) with {@code
 * N' = min(N, P, M)}; {@code attention} (B, H, N, N) post-softmax. Output order: the prefix tokens,
 * then the kept tokens in descending class attention. A block that keeps all N tokens returns its
 * input untouched (no re-sort: token order changes nothing downstream, and the next reducing block
 * sorts afresh).
 *
 * <p>Merging: the first M tokens are destinations, the others sources; each source goes to the
 * destination whose normalised feature is most similar (never a prefix token). A destination
 * becomes the plain mean of itself and its sources (not size-weighted), and its size grows by each
 * source's size times that source's best similarity, floored at {@link #MIN_SIZE}. DJL has no scatter-reduce, so the sums into
 * destinations are batched products with a one-hot matrix, as in {@link MergePlan}.
 */
public final class DiffRatePlan {

    /**
     * The least size a merge leaves: a destination whose sources' negative similarities outweigh
     * its own size would reach a size ≤ 0, where the {@code log size} of proportional attention
     * is undefined; it is floored here instead (log = −13.8, so the token keeps its features but
     * weighs next to nothing as a key). A size above the floor is unchanged.
     */
    public static final float MIN_SIZE = 1e-6f;

    private DiffRatePlan() {}

    /**
     * Reduces one block's tokens.
     *
     * @param x (B, N, D) tokens after the attention residual
     * @param size (B, N, 1) token sizes, or null for all ones (returned as null if nothing changes)
     * @param attention (B, H, N, N) the block's post-softmax attention weights
     * @param pruneKept P: tokens kept after pruning, prefix included
     * @param mergeKept M: tokens kept after merging, prefix included; must exceed {@code prefix}
     * @param prefix protected tokens at the front (class, distillation)
     * @return {x', size'}
     */
    public static NDArray[] reduce(
            NDArray x, NDArray size, NDArray attention, int pruneKept, int mergeKept, int prefix) {
        long batch = x.getShape().get(0);
        int n = Math.toIntExact(x.getShape().get(1));
        int kept = Math.min(n, pruneKept);
        if (Math.min(kept, mergeKept) >= n) {
            return new NDArray[] {x, size};
        }
        if (mergeKept <= prefix) {
            throw new IllegalArgumentException(
                    String.format("DiffRate merge count %d must exceed the %d prefix tokens", mergeKept, prefix));
        }
        NDManager mm = x.getManager();
        if (size == null) {
            size = mm.ones(new Shape(batch, n, 1));
        }
        // Importance: the class token's attention to every non-prefix token, averaged over heads.
        NDArray importance = attention.get(":, :, 0, " + prefix + ":").mean(new int[] {1});
        NDArray order = importance.stopGradient().argSort(1, false).get(":, :" + (kept - prefix));
        NDArray prefixIdx =
                mm.arange(0L, prefix, 1L, DataType.INT64).reshape(1, prefix).broadcast(batch, prefix);
        NDArray rows =
                NDArrays.concat(new NDList(prefixIdx, order.add(prefix)), 1).add(RowGather.offsets(x, batch, n));
        NDArray xs = RowGather.rows(x, rows);
        NDArray sizes = RowGather.rows(size, rows);
        if (mergeKept >= kept) {
            return new NDArray[] {xs, sizes};
        }
        return merge(xs, sizes, mergeKept, prefix);
    }

    /** Merges tokens {@code m..} of the sorted {@code x} into tokens {@code ..m-1}. */
    private static NDArray[] merge(NDArray x, NDArray size, int m, int prefix) {
        String dst = ":, :" + m + ", :";
        String src = ":, " + m + ":, :";
        NDArray metric = x.stopGradient();
        metric = metric.div(metric.norm(new int[] {-1}, true));
        NDArray sim = metric.get(src).matMul(metric.get(dst).transpose(0, 2, 1)); // (B, S, M)
        sim.set(new NDIndex(":, :, :" + prefix), Float.NEGATIVE_INFINITY); // nothing merges into a prefix token
        NDArray best = sim.max(new int[] {2}, true); // (B, S, 1)
        NDArray scatter = sim.argMax(2).oneHot(m, DataType.FLOAT32).transpose(0, 2, 1); // (B, M, S)
        NDArray count = scatter.sum(new int[] {2}, true).add(1); // (B, M, 1): sources + self
        NDArray newX = x.get(dst).add(scatter.matMul(x.get(src))).div(count);
        NDArray newSize =
                size.get(dst).add(scatter.matMul(size.get(src).mul(best))).maximum(MIN_SIZE);
        return new NDArray[] {newX, newSize};
    }
}
