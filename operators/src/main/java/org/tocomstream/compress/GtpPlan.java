package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One block's GTP step ({@code src/docs/token-reduction.md}, GTP): rank the patch tokens by
 * MixedAttnMax importance, keep the best, and propagate the P lowest into the kept ones through the
 * token graph before removing them.
 *
 * <p>Importance of token i: {@code max_h A[h,i,i] · max_h Σ_rows A[h,:,i]}, the self-attention
 * times the attention received from every row (prefix rows included), each maximised over heads.
 * Kept tokens follow the prefix tokens in descending importance; prefix tokens are never ranked,
 * propagated or removed. Propagation: {@code x_kept += α · G[kept, prop] · x_prop}, the token
 * scales likewise when they are on; the graph becomes {@code G[kept, kept]}.
 */
public final class GtpPlan {

    private final int prefix;
    private final NDArray kept;
    private final NDArray prop;

    private GtpPlan(int prefix, NDArray kept, NDArray prop) {
        this.prefix = prefix;
        this.kept = kept;
        this.prop = prop;
    }

    /**
     * Plans removing {@link TokenCounts#clampPropagation} tokens; null when that is 0.
     *
     * @param attention (B, H, N, N) the block's attention weights as used for {@code A·v}
     */
    public static GtpPlan select(NDArray attention, int props, int prefixTokens) {
        NDArray a = attention.stopGradient();
        int n = Math.toIntExact(a.getShape().get(2));
        int p = TokenCounts.clampPropagation(props, n, prefixTokens);
        if (p == 0) {
            return null;
        }
        NDArray self = a.diagonal(0, 2, 3).max(new int[] {1}); // (B, N)
        NDArray received = a.sum(new int[] {2}).max(new int[] {1}); // column sums, (B, N)
        NDArray order = descendingStable(self.mul(received).get(":, " + prefixTokens + ":"));
        int keep = n - prefixTokens - p;
        return new GtpPlan(prefixTokens, order.get(":, :" + keep), order.get(":, " + keep + ":"));
    }

    /**
     * Argsort of (B, M) scores, largest first, equal scores in index order. Equal scores occur:
     * sparsification can zero a token's self-attention in every head, giving it score 0. torch's
     * sort does not promise an order among equals, so the order comes from ranks, {@code rank_i =
     * #{j : s_j > s_i} + #{j < i : s_j = s_i}}, which are distinct integers: O(M²) comparisons, small
     * next to the attention's N²·D.
     */
    static NDArray descendingStable(NDArray scores) {
        int m = Math.toIntExact(scores.getShape().get(1));
        NDArray si = scores.expandDims(2); // (B, M, 1): token i
        NDArray sj = scores.expandDims(1); // (B, 1, M): token j
        boolean[] before = new boolean[m * m]; // [i][j]: j < i
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(before, i * m, i * m + i, true);
        }
        NDArray lower = scores.getManager().create(before, new Shape(1, m, m));
        NDArray ahead = sj.gt(si).logicalOr(sj.eq(si).logicalAnd(lower));
        return ahead.toType(DataType.INT64, false).sum(new int[] {2}).argSort(1, true);
    }

    /** Indices (B, K) of the kept patch tokens, most important first. */
    public NDArray keptIndices() {
        return kept;
    }

    /**
     * Propagates and removes.
     *
     * @param x (B, N, D) tokens
     * @param size (B, N, 1) token scales, null for all 1; only used when {@code tokenScale}
     * @param graph (B, M, M) the graph over the current patch tokens, M = N - prefix
     * @return {x (B, N - P, D), size (B, N - P, 1) or the input size when not {@code tokenScale},
     *     graph (B, K, K)}
     */
    public NDArray[] apply(NDArray x, NDArray size, NDArray graph, double alpha, boolean tokenScale) {
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray offsets = RowGather.offsets(x, batch, n).add(prefix);
        NDArray graphOffsets = RowGather.offsets(x, batch, n - prefix);
        NDArray keptFlat = kept.add(graphOffsets);
        NDArray rows = RowGather.rows(graph, keptFlat).transpose(0, 2, 1); // (B, M, K)
        NDArray weights = RowGather.rows(rows, prop.add(graphOffsets)).transpose(0, 2, 1); // (B, K, P)
        NDArray nextGraph = RowGather.rows(rows, keptFlat).transpose(0, 2, 1); // (B, K, K)
        NDArray a = x.getManager().full(new Shape(), (float) alpha); // autograd-safe scalar
        NDArray keptX = propagate(x, offsets, weights, a);
        NDArray outX = NDArrays.concat(new NDList(x.get(":, :" + prefix + ", :"), keptX), 1);
        NDArray outSize = size;
        if (tokenScale) {
            NDArray s = size != null ? size : x.getManager().ones(new Shape(batch, n, 1));
            outSize = NDArrays.concat(new NDList(s.get(":, :" + prefix + ", :"), propagate(s, offsets, weights, a)), 1);
        }
        return new NDArray[] {outX, outSize, nextGraph};
    }

    /** {@code t[kept] + α · W · t[prop]} for (B, N, C) rows t. */
    private NDArray propagate(NDArray t, NDArray offsets, NDArray weights, NDArray alpha) {
        NDArray keptRows = RowGather.rows(t, kept.add(offsets));
        NDArray propRows = RowGather.rows(t, prop.add(offsets));
        return keptRows.add(weights.matMul(propRows).mul(alpha));
    }

    /**
     * GTP's attention sparsification: per image and head, the probabilities below the {@code
     * floor(N²(1 − θ))}-th smallest of the N² are set to 0, without renormalising.
     *
     * @param attention (B, H, N, N) softmax probabilities
     * @return the same array for θ = 1 or when that count is below 1
     */
    public static NDArray sparsify(NDArray attention, double theta) {
        Shape s = attention.getShape();
        long n = s.get(3);
        long count = (long) Math.floor(n * n * (1 - theta));
        if (count < 1) {
            return attention;
        }
        NDArray flat = attention.stopGradient().reshape(s.get(0), s.get(1), n * n);
        NDArray floor = flat.sort(2).get(":, :, " + (count - 1) + ":" + count).reshape(s.get(0), s.get(1), 1, 1);
        return attention.mul(attention.gte(floor).toType(attention.getDataType(), false));
    }
}
