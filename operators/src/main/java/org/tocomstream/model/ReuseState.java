package org.tocomstream.model;

import ai.djl.ndarray.NDArray;

/**
 * One video stream's token cache for token reuse ({@code src/docs/reuse.md}): per block, what the
 * stream's earlier frames left behind. Created empty by {@link VitModel#newReuseState()}; the next
 * frame run with it is computed in full and fills it, later frames recompute only the tokens whose
 * input moved most and read the rest from here. Per block:
 *
 * <ul>
 *   <li>{@code kv} (N, 3D): each token's LN1 output as it was when the token was last recomputed
 *       (the first gate's reference), then its key and value;
 *   <li>{@code attn} (N, D): each token's attention output after the projection;
 *   <li>{@code mlp} (N, 2D): each token's LN2 output when last recomputed (the second gate's
 *       reference), then its MLP output.
 * </ul>
 *
 * <p>Memory: {@link #bytes(VitConfig)}, 6·N·D floats per block (DeiT-S: 21.8 MB per stream), in
 * one slot of the model's shared storage until {@link #close}. Not thread-safe: one forward call
 * at a time may use a state (the operator's cache hands each out once).
 */
public final class ReuseState implements AutoCloseable {

    private final ReuseSlots slots;
    private final int slot;
    private boolean filled;
    private boolean closed;
    private long framesSinceFull;

    ReuseState(ReuseSlots slots) {
        this.slots = slots;
        this.slot = slots.acquire();
    }

    /** Bytes one stream's state takes on a model of {@code cfg} (fp32). */
    public static long bytes(VitConfig cfg) {
        long n = cfg.numTokens();
        return 6L * n * cfg.embedDim() * cfg.depth() * Float.BYTES;
    }

    /** Whether a frame has filled this state (else the next frame is computed in full). */
    public boolean isFilled() {
        return filled;
    }

    /** Frames run with this state since its last full computation (0 right after it). */
    public long framesSinceFull() {
        return framesSinceFull;
    }

    /** Drops the cached tokens: the next frame is computed in full. */
    public void reset() {
        filled = false;
        framesSinceFull = 0;
    }

    /** Frees the state's slot; the state cannot be used again. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            filled = false;
            slots.release(slot);
        }
    }

    int slot() {
        if (closed) {
            throw new IllegalStateException("a closed reuse state was used");
        }
        return slot;
    }

    ReuseSlots slots() {
        return slots;
    }

    /** Marks a frame done: filled, and whether it was a full computation. */
    void frameDone(boolean full) {
        filled = true;
        framesSinceFull = full ? 0 : framesSinceFull + 1;
    }

    /** A copy of block {@code l}'s {@code kv} rows (tests). */
    NDArray kv(int l) {
        return slots.kv(l).get(slot).duplicate();
    }

    /** A copy of block {@code l}'s {@code attn} rows (tests). */
    NDArray attn(int l) {
        return slots.attn(l).get(slot).duplicate();
    }

    /** A copy of block {@code l}'s {@code mlp} rows (tests). */
    NDArray mlp(int l) {
        return slots.mlp(l).get(slot).duplicate();
    }
}
