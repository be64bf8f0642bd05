package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * GTP's token graph ({@code src/docs/token-reduction.md}, GTP), built once per batch from the patch
 * tokens entering the first block; prefix tokens are not in it. It belongs to one forward call:
 * each block takes sub-matrices of it ({@link GtpPlan}), never recomputed or renormalised.
 *
 * <p>Adjacency A (no self-loops): spatial, the 8-neighbourhood on the {@code side × side} patch
 * grid (row-major); semantic, for each token the tokens whose cosine similarity reaches the row's
 * K-th largest value (self included in that ranking, then removed); mixed, their OR. Then {@code
 * G = D^-1/2 A D^-1/2} with D the row degree (a row of degree 0 stays all zero). The spatial graph
 * is symmetric; a semantic one need not be, since K-nearest is not a symmetric relation.
 */
public final class GtpGraph {

    private GtpGraph() {}

    /**
     * The normalised graph of each image.
     *
     * @param patches (B, M, D) patch tokens after the position embedding, M = side²
     * @param side patches per row of the grid
     * @return (B, M, M) float32, in {@code patches}' manager, not differentiable
     */
    public static NDArray build(NDArray patches, int side, GtpParams params) {
        NDArray p = patches.stopGradient();
        long batch = p.getShape().get(0);
        int m = Math.toIntExact(p.getShape().get(1));
        if ((long) side * side != m) {
            throw new IllegalArgumentException(
                    String.format("GTP needs a square patch grid: %d patches on a side of %d", m, side));
        }
        NDManager manager = p.getManager();
        NDArray adj = null;
        if (params.graph() != GtpParams.Graph.SEMANTIC) {
            adj = spatial(manager, side).broadcast(new Shape(batch, m, m));
        }
        if (params.graph() != GtpParams.Graph.SPATIAL) {
            NDArray semantic = semantic(p, Math.min(params.neighbours(), m), m);
            adj = adj == null ? semantic : adj.logicalOr(semantic);
        }
        NDArray a = adj.toType(DataType.FLOAT32, false);
        NDArray dInv = a.sum(new int[] {2}, true).maximum(1f).pow(-0.5f); // (B, M, 1)
        // A·d_i·d_j: the product of the two factors commutes, so G is bit-symmetric where A is.
        return a.mul(dInv).mul(dInv.transpose(0, 2, 1));
    }

    /** (1, M, M) boolean: |Δrow| ≤ 1 and |Δcol| ≤ 1, no self-loops. */
    static NDArray spatial(NDManager manager, int side) {
        int m = side * side;
        boolean[] adj = new boolean[m * m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                adj[i * m + j] = i != j && Math.abs(i / side - j / side) <= 1 && Math.abs(i % side - j % side) <= 1;
            }
        }
        return manager.create(adj, new Shape(1, m, m));
    }

    /** (B, M, M) boolean: cosine ≥ the row's k-th largest cosine, self removed. */
    private static NDArray semantic(NDArray p, int k, int m) {
        NDArray unit = p.div(p.norm(new int[] {2}, true));
        NDArray cos = unit.matMul(unit.transpose(0, 2, 1));
        NDArray kth = cos.sort(2).get(":, :, " + (m - k) + ":" + (m - k + 1)); // (B, M, 1)
        NDArray notSelf = p.getManager().eye(m).expandDims(0).eq(0f);
        return cos.gte(kth).logicalAnd(notSelf);
    }
}
