package org.tocomstream.model;

import ai.djl.ndarray.NDArray;

/**
 * A per-call change to the query and value projections of the attention blocks: the hook through
 * which a Token Compensator ({@code org.tocomstream.compensate}) reaches the forward pass without
 * the model holding any compensator state. It travels in the call's {@link ForwardContext} ({@link
 * ForwardContext#withAdapter}); {@link #NONE}, which changes nothing, is the plain model bit for
 * bit.
 *
 * <p>Two modes, both optional (the defaults change nothing):
 *
 * <ul>
 *   <li>side branch: {@link #qvDelta} returns additions to q and v computed from the block's
 *       normalised input {@code h = LN1(x)}, added before the attention scale;
 *   <li>merged: {@link #qkvWeight} returns a fused qkv weight to use instead of the model's.
 * </ul>
 *
 * <p>Keys are never touched by the side branch (it only returns q and v parts); a merged weight
 * must keep the key rows of the base weight. Implementations must be safe for concurrent calls.
 * Arrays returned by {@link #qvDelta} belong to {@code h}'s manager (create them with ops whose
 * first operand is {@code h}); arrays returned by {@link #qkvWeight} belong to the adapter.
 */
public interface QvAdapter {

    /** No change: the model's own qkv weight and no additions to q and v. */
    QvAdapter NONE = new QvAdapter() {};

    /**
     * The fused qkv weight (3D, D) block {@code block} uses on this call.
     *
     * @param base the model's weight, rows q, k, v
     */
    default NDArray qkvWeight(int block, NDArray base) {
        return base;
    }

    /**
     * Additions to q and v of block {@code block}.
     *
     * @param h (B, N, D) the block's normalised input
     * @return {@code {dq, dv}}, each (B, N, D), or null for none
     */
    default NDArray[] qvDelta(int block, NDArray h) {
        return null;
    }
}
