package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import org.tocomstream.compress.CompressionLevel;

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
 * <p>The accumulate mode ({@link ReuseAccumulate}) keeps per block, besides: each token's query
 * (N, D), the attention logits and the softmax weights as the accumulator last took them (H, N,
 * N each, stored transposed), the running A·V sum (H, N, d) and the projection gate's reference
 * (N, D). A state filled in the rows mode is computed in full by its next accumulate frame (its
 * accumulate buffers are stale); the rows mode can continue from an accumulate state.
 *
 * <p>Memory: {@link #bytes(VitConfig, CompressionLevel)}: rows mode 6·N·D floats per block (DeiT-S:
 * 21.8 MB per stream), accumulate mode 9·N·D + 2·H·N² (DeiT-S: 55.0 MB, DeiT-B: 110.1 MB), in one
 * slot of the model's shared storage until {@link #close}. Once any frame of a model has run in
 * the accumulate mode, every slot of that model holds the accumulate buffers. Not thread-safe: one forward call
 * at a time may use a state (the operator's cache hands each out once).
 */
public final class ReuseState implements AutoCloseable {

    private final ReuseSlots slots;
    private final int slot;
    private boolean filled;
    /** Whether the accumulate buffers are current (an accumulate pass filled them, none since). */
    private boolean accumulateReady;

    private boolean closed;
    private long framesSinceFull;

    ReuseState(ReuseSlots slots) {
        this.slots = slots;
        this.slot = slots.acquire();
    }

    /** Bytes one stream's state takes on a model of {@code cfg} (fp32) in the rows mode. */
    public static long bytes(VitConfig cfg) {
        long n = cfg.numTokens();
        return 6L * n * cfg.attendedDim() * cfg.depth() * Float.BYTES;
    }

    /** Bytes one stream's state takes on a model of {@code cfg} (fp32) at a reuse level's mode. */
    public static long bytes(VitConfig cfg, CompressionLevel level) {
        if (!level.reuseAccumulates()) {
            return bytes(cfg);
        }
        long n = cfg.numTokens();
        long perBlock = 9L * n * cfg.attendedDim() + 2L * cfg.numHeads() * n * n;
        return perBlock * cfg.depth() * Float.BYTES;
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
        accumulateReady = false;
        framesSinceFull = 0;
    }

    /** Frees the state's slot; the state cannot be used again. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            filled = false;
            accumulateReady = false;
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

    /** Whether a frame in the given mode can reuse this state (else it is computed in full). */
    boolean isFilledFor(boolean accumulate) {
        return filled && (!accumulate || accumulateReady);
    }

    /** Marks a frame done: filled, whether it was a full computation, and in which mode. */
    void frameDone(boolean full, boolean accumulate) {
        filled = true;
        accumulateReady = accumulate;
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

    /** A copy of block {@code l}'s accumulate-mode tensor of a kind (tests). */
    NDArray acc(ReuseSlots.Acc kind, int l) {
        return slots.acc(kind, l).get(slot).duplicate();
    }
}
