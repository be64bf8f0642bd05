package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * One block's EViT token reorganisation ({@code src/docs/token-reduction.md}): keep the tokens the class
 * token attends to most, fuse the others into one token weighted by that attention.
 *
 * <p>Shapes: {@code clsAttention} (B, N - P) with P prefix tokens; {@code x} (B, N, D) → (B, P + k
 * + 1, D), laid out as prefix tokens, kept tokens in descending attention order, then the fused
 * token {@code Σ a_i x_i} over the dropped ones (not renormalised). When every token is kept the
 * plan is the identity (no fused token is added).
 */
public final class PrunePlan {

    private static final PrunePlan IDENTITY = new PrunePlan(0, 0, null, null, null);

    private final int prefix;
    private final int kept;
    private final NDArray keepIdx;
    private final NDArray dropIdx;
    private final NDArray dropWeights;

    private PrunePlan(int prefix, int kept, NDArray keepIdx, NDArray dropIdx, NDArray dropWeights) {
        this.prefix = prefix;
        this.kept = kept;
        this.keepIdx = keepIdx;
        this.dropIdx = dropIdx;
        this.dropWeights = dropWeights;
    }

    /** The plan that keeps everything. */
    public static PrunePlan identity() {
        return IDENTITY;
    }

    /**
     * Plans keeping {@code ceil(keepRate * (N - P))} tokens.
     *
     * @param clsAttention (B, N - P) head-averaged post-softmax attention of the class token to
     *     every non-prefix token
     * @param keepRate fraction kept, in (0, 1]
     * @param prefixTokens protected tokens at the front
     */
    public static PrunePlan attentive(NDArray clsAttention, double keepRate, int prefixTokens) {
        int candidates = Math.toIntExact(clsAttention.getShape().get(1));
        int k = TokenCounts.evitKept(keepRate, candidates + prefixTokens, prefixTokens);
        if (k >= candidates) {
            return IDENTITY;
        }
        NDArray order = clsAttention.stopGradient().argSort(1, false); // most attended first
        NDArray keep = order.get(":, :" + k);
        NDArray drop = order.get(":, " + k + ":");
        return new PrunePlan(prefixTokens, k, keep, drop, clsAttention.gather(drop, 1));
    }

    /** Whether the plan keeps every token. */
    public boolean isIdentity() {
        return keepIdx == null;
    }

    /** Non-prefix tokens kept (0 for the identity). */
    public int kept() {
        return kept;
    }

    /** (B, N, D) → (B, P + k + 1, D). */
    public NDArray apply(NDArray x) {
        if (isIdentity()) {
            return x;
        }
        long batch = x.getShape().get(0);
        NDArray offsets = RowGather.offsets(x, batch, x.getShape().get(1)).add(prefix);
        NDArray keptTokens = RowGather.rows(x, keepIdx.add(offsets));
        NDArray droppedTokens = RowGather.rows(x, dropIdx.add(offsets));
        // Σ a_i x_i over the dropped tokens as one (B, 1, M) x (B, M, D) product.
        NDArray fused = dropWeights.expandDims(1).matMul(droppedTokens);
        return NDArrays.concat(new NDList(x.get(":, :" + prefix + ", :"), keptTokens, fused), 1);
    }
}
