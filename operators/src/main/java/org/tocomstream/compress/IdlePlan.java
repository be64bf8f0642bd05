package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * One IdleViT block's selection ({@code src/docs/token-reduction.md}, IdleViT): the prefix tokens
 * plus the k patch tokens with the highest scores. {@link #gather} picks the selected rows, the
 * block runs on them, and {@link #writeBack} puts them back while every idle row passes through
 * bit for bit.
 *
 * <p>Shapes: {@code scores} (B, N - P) with P prefix tokens; selected rows (B, P + k, C) in token
 * order (prefix first, then the chosen patches by ascending position). The choice is made without
 * gradients; gather and write-back are row copies, differentiable with respect to the rows.
 */
public final class IdlePlan {

    private final int prefix;
    private final int kept;
    /** (B, P + k) int64 flat row indices {@code b·N + i} of the selected tokens. */
    private final NDArray flatSelected;
    /** (B, P + k) int64 token positions of the selected tokens. */
    private final NDArray positions;

    private IdlePlan(int prefix, int kept, NDArray flatSelected, NDArray positions) {
        this.prefix = prefix;
        this.kept = kept;
        this.flatSelected = flatSelected;
        this.positions = positions;
    }

    /**
     * Selects the prefix and the {@code kept} highest-scoring patch tokens.
     *
     * @param scores (B, N - P) the class token's pre-softmax score of each patch token
     * @param kept patch tokens to select, in [1, N - P)
     * @param prefixTokens protected tokens at the front, always selected
     */
    public static IdlePlan select(NDArray scores, int kept, int prefixTokens) {
        long batch = scores.getShape().get(0);
        long candidates = scores.getShape().get(1);
        if (kept < 1 || kept >= candidates) {
            throw new IllegalArgumentException(
                    String.format("IdleViT selects 1..%d patch tokens, not %d", candidates - 1, kept));
        }
        NDManager manager = scores.getManager();
        NDArray top = scores.stopGradient().topK(kept, 1, true, false).get(1);
        NDArray chosen = top.toType(DataType.INT64, false).sort(1).add(prefixTokens);
        NDArray prefix = manager.arange(0L, (long) prefixTokens, 1L, DataType.INT64)
                .reshape(1, prefixTokens)
                .repeat(0, batch);
        NDArray positions = NDArrays.concat(new NDList(prefix, chosen), 1);
        long tokens = candidates + prefixTokens;
        NDArray flat = positions.add(RowGather.offsets(scores, batch, tokens));
        return new IdlePlan(prefixTokens, kept, flat, positions);
    }

    /** Tokens a block computes on: prefix plus the selected patches. */
    public int selected() {
        return prefix + kept;
    }

    /** (B, P + k) token positions of the selected tokens, prefix first, then ascending. */
    public NDArray positions() {
        return positions;
    }

    /** (B, N, C) → (B, P + k, C): the selected rows. */
    public NDArray gather(NDArray t) {
        return RowGather.rows(t, flatSelected);
    }

    /**
     * {@code x} with the selected rows replaced by {@code computed}: (B, N, D) and (B, P + k, D) →
     * (B, N, D). One row gather over {@code [x rows; computed rows]}, so idle rows are copied bit
     * for bit and gradients reach both inputs.
     */
    public NDArray writeBack(NDArray x, NDArray computed) {
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        long d = x.getShape().get(2);
        long s = selected();
        NDManager manager = x.getManager();
        NDArray identity = manager.arange(0L, batch * n, 1L, DataType.INT64).reshape(batch, n);
        NDArray fromComputed =
                manager.arange(batch * n, batch * (n + s), 1L, DataType.INT64).reshape(batch, s);
        NDArray source = identity.scatter(positions, fromComputed, 1);
        NDArray rows = NDArrays.concat(new NDList(x.reshape(1, batch * n, d), computed.reshape(1, batch * s, d)), 1);
        return RowGather.rows(rows, source);
    }
}
