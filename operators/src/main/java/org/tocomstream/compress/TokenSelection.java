package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * A per-sample choice of token rows: the prefix tokens plus the k highest-scoring patch tokens.
 * {@link #gather} picks the chosen rows, a computation runs on them, and {@link #writeBack} puts
 * the results into a full (B, N, C) tensor while every other row is copied bit for bit. Used by
 * IdleViT's idle blocks ({@link IdlePlan}) and by token reuse's gates.
 *
 * <p>Shapes: {@code scores} (B, N - P) with P prefix tokens; chosen rows (B, P + k, C) in token
 * order (prefix first, then the chosen patches by ascending position). The choice is made without
 * gradients; gather and write-back are row copies, differentiable with respect to the rows.
 */
public final class TokenSelection {

    /**
     * What the selections of one forward pass over B samples of N tokens share, built once per
     * pass: the prefix positions and each sample's first flat row. Saves the index arithmetic of
     * {@link #top(NDArray, int, int)} in every block.
     *
     * @param prefix (B, P) int64 positions 0..P-1
     * @param offsets (B, 1) int64 {@code b·N}
     */
    public record Layout(int prefixTokens, NDArray prefix, NDArray offsets) {

        /** The layout of {@code batch} samples of {@code tokens} tokens, in {@code manager}. */
        public static Layout of(NDManager manager, long batch, long tokens, int prefixTokens) {
            NDArray prefix = manager.arange(0L, (long) prefixTokens, 1L, DataType.INT64)
                    .reshape(1, prefixTokens)
                    .repeat(0, batch);
            NDArray offsets =
                    manager.arange(0L, batch * tokens, tokens, DataType.INT64).reshape(batch, 1);
            return new Layout(prefixTokens, prefix, offsets);
        }
    }

    private final int prefix;
    private final int kept;
    /** (B, P + k) int64 flat row indices {@code b·N + i} of the chosen tokens. */
    private final NDArray flatSelected;
    /** (B, P + k) int64 token positions of the chosen tokens. */
    private final NDArray positions;
    /** {@link #flatSelected} flattened, made on first use. */
    private NDArray flatRows;

    private TokenSelection(int prefix, int kept, NDArray flatSelected, NDArray positions) {
        this.prefix = prefix;
        this.kept = kept;
        this.flatSelected = flatSelected;
        this.positions = positions;
    }

    /**
     * Chooses the prefix and the {@code kept} highest-scoring patch tokens of each sample.
     *
     * @param scores (B, N - P) a score per patch token
     * @param kept patch tokens to choose, in [1, N - P]
     * @param prefixTokens protected tokens at the front, always chosen
     */
    public static TokenSelection top(NDArray scores, int kept, int prefixTokens) {
        long batch = scores.getShape().get(0);
        long candidates = scores.getShape().get(1);
        if (kept < 1 || kept > candidates) {
            throw new IllegalArgumentException(
                    String.format("a selection keeps 1..%d patch tokens, not %d", candidates, kept));
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
        return new TokenSelection(prefixTokens, kept, flat, positions);
    }

    /**
     * The prefix and the {@code kept} highest-scoring patch tokens of each sample, in no particular
     * order after the prefix (for callers that write rows back by position, where order does not
     * matter): four tensor operations instead of a dozen.
     *
     * @param scores (B, N - P) a score per patch token
     * @param kept patch tokens to choose, in [1, N - P]
     */
    public static TokenSelection top(NDArray scores, int kept, Layout layout) {
        long candidates = scores.getShape().get(1);
        if (kept < 1 || kept > candidates) {
            throw new IllegalArgumentException(
                    String.format("a selection keeps 1..%d patch tokens, not %d", candidates, kept));
        }
        NDArray chosen = scores.stopGradient().topK(kept, 1, true, false).get(1);
        chosen = chosen.toType(DataType.INT64, false).add(layout.prefixTokens());
        NDArray positions = NDArrays.concat(new NDList(layout.prefix(), chosen), 1);
        return new TokenSelection(layout.prefixTokens(), kept, positions.add(layout.offsets()), positions);
    }

    /** Tokens chosen per sample: prefix plus the chosen patches. */
    public int selected() {
        return prefix + kept;
    }

    /** Patch tokens chosen per sample. */
    public int kept() {
        return kept;
    }

    /** (B, P + k) token positions of the chosen tokens, prefix first, then ascending. */
    public NDArray positions() {
        return positions;
    }

    /** (B, N, C) → (B, P + k, C): the chosen rows. */
    public NDArray gather(NDArray t) {
        return RowGather.rows(t, flatSelected);
    }

    /**
     * Overwrites the chosen rows of {@code x} (B, N, C), a contiguous tensor, with {@code computed}
     * (B, P + k, C), in place: a row copy of the chosen rows only. Not differentiable (inference).
     */
    public void setRows(NDArray x, NDArray computed) {
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        long c = x.getShape().get(2);
        if (flatRows == null) {
            flatRows = flatSelected.flatten();
        }
        try (NDArray rows = x.reshape(batch * n, c)) {
            rows.set(new NDIndex("{}", flatRows), computed.reshape(-1, c));
        }
    }

    /**
     * {@code x} with the chosen rows replaced by {@code computed}: (B, N, C) and (B, P + k, C) →
     * (B, N, C). One row gather over {@code [x rows; computed rows]}, so other rows are copied bit
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
