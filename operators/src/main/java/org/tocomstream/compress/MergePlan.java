package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One block's ToMe bipartite soft matching ({@code src/docs/token-reduction.md}), computed once from the
 * metric and applied to any number of token tensors of the same batch (features, sizes).
 *
 * <p>Shapes (see {@code package-info}): {@code metric} (B, N, C); a merged tensor goes from (B, N,
 * C') to (B, N - r, C'). The output order is the kept even-position tokens in ascending position
 * (so the class token stays first), then all odd-position tokens in their original order.
 *
 * <pre>{@code
 * MergePlan plan = MergePlan.bipartite(keys.mean(new int[] {1}), r, prefixTokens);
 * NDArray[] merged = plan.mergeWeighted(x, size); // {x', size'}
 * }</pre>
 *
 * <p>The matching (which tokens merge) is computed without gradients, as in ToMe; the merge itself
 * is differentiable, so training at a ToMe degree back-propagates through the size-weighted
 * average. DJL has no scatter-add, so the sum into destination tokens is a batched product with
 * a one-hot matrix (exact up to float summation order), and rows are gathered through
 * {@link RowGather}.
 */
public final class MergePlan {

    private static final MergePlan IDENTITY = new MergePlan(0, null, null, null, null, null);

    private final int r;
    /** (B, Na - r) A-set indices of the kept even-position tokens, ascending. */
    private final NDArray unmergedIdx;
    /** (B, r) A-set indices of the merged-away tokens. */
    private final NDArray srcIdx;
    /** (B, N - r) flat rows (b·N + position) forming the output before sources are added. */
    private final NDArray outRows;
    /** (B, r) flat rows of the merged-away tokens. */
    private final NDArray srcRows;
    /** (B, N - r, r) one-hot: entry [b, o, i] = 1 when source i is added into output row o. */
    private final NDArray scatter;

    private MergePlan(int r, NDArray unmergedIdx, NDArray srcIdx, NDArray outRows, NDArray srcRows, NDArray scatter) {
        this.r = r;
        this.unmergedIdx = unmergedIdx;
        this.srcIdx = srcIdx;
        this.outRows = outRows;
        this.srcRows = srcRows;
        this.scatter = scatter;
    }

    /** The plan that merges nothing. */
    public static MergePlan identity() {
        return IDENTITY;
    }

    /**
     * Plans merging {@code r} tokens by bipartite soft matching.
     *
     * @param metric (B, N, C) similarity features (ToMe: this block's keys averaged over heads)
     * @param r tokens to remove; clamped to half of the unprotected tokens
     * @param prefixTokens protected tokens at the front: 1 for the class token, 2 with a DeiT
     *     distillation token (at position 1, the first odd token)
     */
    public static MergePlan bipartite(NDArray metric, int r, int prefixTokens) {
        if (prefixTokens < 1 || prefixTokens > 2) {
            throw new IllegalArgumentException("prefixTokens must be 1 or 2 but was " + prefixTokens);
        }
        long batch = metric.getShape().get(0);
        int n = Math.toIntExact(metric.getShape().get(1));
        int clamped = TokenCounts.clampMerge(r, n, prefixTokens);
        if (clamped == 0) {
            return IDENTITY;
        }
        int na = (n + 1) / 2;
        int nb = n / 2;
        int kept = na - clamped;

        NDArray m = metric.stopGradient();
        m = m.div(m.norm(new int[] {-1}, true));
        NDArray scores = m.get(":, 0::2, :").matMul(m.get(":, 1::2, :").transpose(0, 2, 1));
        scores.set(new NDIndex(":, 0, :"), Float.NEGATIVE_INFINITY); // class token never merges
        if (prefixTokens == 2) {
            scores.set(new NDIndex(":, :, 0"), Float.NEGATIVE_INFINITY); // nor does dist token
        }
        NDArray best = scores.max(new int[] {2}); // (B, Na)
        NDArray bestIdx = scores.argMax(2); // (B, Na)
        NDArray order = best.argSort(1, false); // most similar first
        NDArray src = order.get(":, :" + clamped);
        NDArray unm = order.get(":, " + clamped + ":").sort(1);
        NDArray dst = bestIdx.gather(src, 1); // (B, r) B-set indices

        // Output rows: kept A tokens (position 2i), then every B token (position 2j+1); with a
        // distillation token, class and distillation first. B token j lands at output row
        // kept + j in both layouts (j >= 1 when the distillation token is protected).
        NDManager mm = metric.getManager();
        NDArray keptPos = unm.mul(2);
        NDArray oddPos =
                mm.arange(1L, 2L * nb, 2L, DataType.INT64).reshape(1, nb).broadcast(batch, nb);
        NDList parts = prefixTokens == 2
                ? new NDList(keptPos.get(":, :1"), oddPos.get(":, :1"), keptPos.get(":, 1:"), oddPos.get(":, 1:"))
                : new NDList(keptPos, oddPos);
        NDArray offsets = RowGather.offsets(metric, batch, n);
        NDArray outRows = NDArrays.concat(parts, 1).add(offsets);
        NDArray srcRows = src.mul(2).add(offsets);
        NDArray scatter = dst.add(kept).oneHot(n - clamped, DataType.FLOAT32).transpose(0, 2, 1);
        return new MergePlan(clamped, unm, src, outRows, srcRows, scatter);
    }

    /** Tokens removed by this plan (after the clamp). */
    public int removed() {
        return r;
    }

    /** Whether the plan merges nothing. */
    public boolean isIdentity() {
        return r == 0;
    }

    /** (B, r) even-position (A-set) indices of the merged-away tokens; null for the identity. */
    public NDArray sourceIndices() {
        return srcIdx;
    }

    /** (B, Na - r) A-set indices of the kept even-position tokens, ascending; null for identity. */
    public NDArray keptIndices() {
        return unmergedIdx;
    }

    /**
     * Sum-merges {@code t}: (B, N, C) → (B, N - r, C); each merged-away token is added into its
     * destination.
     */
    public NDArray mergeSum(NDArray t) {
        if (r == 0) {
            return t;
        }
        NDArray base = RowGather.rows(t, outRows);
        NDArray moved = RowGather.rows(t, srcRows);
        return base.add(scatter.matMul(moved));
    }

    /**
     * Size-weighted merge ({@code merge_wavg}): returns {@code {x', size'}} with {@code x' =
     * mergeSum(x * size) / mergeSum(size)} and {@code size' = mergeSum(size)}.
     *
     * @param x (B, N, D) token features
     * @param size (B, N, 1) tokens each row stands for, or null for all ones (returned as null
     *     by the identity plan)
     */
    public NDArray[] mergeWeighted(NDArray x, NDArray size) {
        if (r == 0) {
            return new NDArray[] {x, size};
        }
        if (size == null) {
            size = x.getManager()
                    .ones(new Shape(x.getShape().get(0), x.getShape().get(1), 1));
        }
        NDArray newSize = mergeSum(size);
        NDArray newX = mergeSum(x.mul(size)).div(newSize);
        return new NDArray[] {newX, newSize};
    }
}
