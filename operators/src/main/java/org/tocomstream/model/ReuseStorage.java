package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import org.tocomstream.compress.TokenSelection;

/**
 * Block {@code l}'s slot tensors of a {@link ReuseSlots} and the batch's slots in them: reads of a
 * batch's whole slots, writes of whole slots or of chosen token rows. Token tensors are (S, N, C);
 * per-head tensors (S, H, N, C), whose chosen rows are addressed per head.
 *
 * @param slotIdx (B) int64 the batch's slots
 * @param tokens N
 */
record ReuseStorage(
        ReuseSlots slots, int l, NDArray slotIdx, long tokens, NDArray slotBase, TokenSelection.Layout layout) {

    /**
     * Block {@code l}'s storage for a batch whose slots are {@code slotIdx}; {@code slotBase} (B, 1)
     * = slot·N and {@code layout} are built once per pass ({@link #base}).
     */
    ReuseStorage(ReuseSlots slots, int l, ReuseStorage base) {
        this(slots, l, base.slotIdx, base.tokens, base.slotBase, base.layout);
    }

    /** What every block of a pass over the batch's slots shares, in {@code manager}. */
    static ReuseStorage base(ReuseSlots slots, NDArray slotIdx, long tokens, int prefixTokens) {
        NDManager m = slotIdx.getManager();
        long batch = slotIdx.getShape().get(0);
        return new ReuseStorage(
                slots,
                -1,
                slotIdx,
                tokens,
                slotIdx.mul(tokens).reshape(batch, 1),
                TokenSelection.Layout.of(m, batch, tokens, prefixTokens));
    }

    /** The gate's choice: the prefix and the {@code kept} patches of highest {@code change} (B, N). */
    TokenSelection select(NDArray change, int kept) {
        return TokenSelection.top(change.get(":, " + layout.prefixTokens() + ":"), kept, layout);
    }

    /** The batch's slots of a slot tensor, (B, ...), copied into {@code scope}. */
    NDArray read(NDArray tensor, NDManager scope) {
        NDArray rows = tensor.get(new NDIndex("{}", slotIdx));
        rows.attach(scope); // created in the storage's manager
        return rows;
    }

    /** Writes whole slots: (B, ...) into the batch's slots. */
    void writeSlots(NDArray tensor, NDArray values) {
        tensor.set(new NDIndex("{}", slotIdx), values);
    }

    /** Writes the chosen rows (B, P + k, c·D) into the batch's slots of {@code tensor}. */
    void writeRows(NDArray tensor, TokenSelection sel, NDArray rows) {
        long c = rows.getShape().get(2);
        long slotsTotal = tensor.getShape().get(0);
        NDArray flat = sel.positions().add(slotBase).flatten();
        try (NDArray view = tensor.reshape(slotsTotal * tokens, c)) {
            view.set(new NDIndex("{}", flat), rows.reshape(-1, c));
        }
    }

    /**
     * Flat row indices (B, H, P + k) of the chosen tokens of every head in a per-head tensor whose
     * first axis is indexed by {@code base} (B) (the slots, or 0..B-1 for a batch copy).
     */
    NDArray headRows(NDArray base, long heads, TokenSelection sel) {
        NDManager m = sel.positions().getManager();
        NDArray head = m.arange(0L, heads, 1L, DataType.INT64).reshape(1, heads, 1);
        NDArray first = base.mul(heads).reshape(-1, 1, 1).add(head).mul(tokens);
        long batch = sel.positions().getShape().get(0);
        return first.add(sel.positions().reshape(batch, 1, -1));
    }

    /** Rows {@code flat} (B, H, K) of a per-head tensor (X, H, N, C) → (B, H, K, C). */
    static NDArray gatherHeadRows(NDArray tensor, NDArray flat) {
        Shape4 s = Shape4.of(tensor);
        try (NDArray view = tensor.reshape(s.a * s.h * s.n, s.c)) {
            return Embedding.embedding(flat, view, SparseFormat.DENSE).singletonOrThrow();
        }
    }

    /** Overwrites rows {@code flat} (B, H, K) of a per-head tensor (X, H, N, C) with (B, H, K, C). */
    static void setHeadRows(NDArray tensor, NDArray flat, NDArray rows) {
        Shape4 s = Shape4.of(tensor);
        try (NDArray view = tensor.reshape(s.a * s.h * s.n, s.c)) {
            view.set(new NDIndex("{}", flat.flatten()), rows.reshape(-1, s.c));
        }
    }

    private record Shape4(long a, long h, long n, long c) {
        static Shape4 of(NDArray t) {
            long[] s = t.getShape().getShape();
            return new Shape4(s[0], s[1], s[2], s[3]);
        }
    }
}
