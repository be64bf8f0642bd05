package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.tocomstream.compress.IdlePlan;

/**
 * A {@link VitBlock} run as an IdleViT idle block ({@code src/docs/token-reduction.md}, IdleViT):
 *
 * <ol>
 *   <li>{@code h = LN1(x)} over all N tokens; keys of all tokens, the query of the class token;
 *   <li>each patch token's score is the class query's dot product with its key summed over the
 *       heads (H times the head mean; pre-softmax, so the scale does not matter for the order);
 *   <li>the prefix and the k best-scoring patches are selected ({@link IdlePlan});
 *   <li>the whole block runs on the selected tokens only: their queries and values, their keys
 *       taken from step 1, attention among them, the residual, the MLP and its residual;
 *   <li>the results are written back; idle tokens pass through unchanged.
 * </ol>
 *
 * <p>The selection carries no gradient; everything the block computes on the selected tokens
 * does, so a model can be fine-tuned at an idle level in this form.
 *
 * <p>{@link #masked} is IdleViT's training form of the same block: every token attends, the idle
 * tokens' keys get {@value #IDLE_KEY_BIAS} added for every query, and both residual updates are
 * multiplied by the 0/1 selection mask. It gives the inference form's output (the masked keys'
 * softmax weight, about e^-1e5, underflows to 0 in float) and hands out what the token-cut loss
 * needs.
 */
final class IdleBlock {

    private IdleBlock() {}

    /**
     * The block on {@code in} with {@code kept} patch tokens selected. A channel-shuffle block
     * scores, attends and runs its MLP on the attended channels and shuffles every token's channels
     * at the end, the idle tokens' too (the channel layout is the next block's, whoever computed).
     *
     * @param in tokens (B, N, D); sizes must be null (idling never merges)
     */
    static VitBlock.Tokens forward(VitBlock block, VitBlock.Tokens in, int kept, ForwardContext ctx) {
        if (in.size() != null) {
            throw new IllegalStateException("IdleViT blocks run on unmerged tokens only");
        }
        NDArray x = in.x();
        int prefix = block.config().numPrefixTokens();
        QvAdapter adapter = ctx.adapter();
        NDArray h = block.norm1(block.attendedPart(x));
        NDArray keys = block.project(h, 1, adapter); // (B, N, D)
        NDArray hCls = h.get(":, 0:1, :");
        NDArray qCls = block.project(hCls, 0, adapter);
        NDArray[] clsDelta = adapter.qvDelta(block.index(), hCls);
        if (clsDelta != null) {
            qCls = qCls.add(clsDelta[0]);
        }
        NDArray scores = qCls.matMul(keys.transpose(0, 2, 1)).squeeze(1); // (B, N)
        IdlePlan plan = IdlePlan.select(scores.get(":, " + prefix + ":"), kept, prefix);
        ctx.traceIdle(block.index(), plan);

        NDArray hSel = plan.gather(h);
        NDArray q = block.project(hSel, 0, adapter);
        NDArray v = block.project(hSel, 2, adapter);
        NDArray[] delta = adapter.qvDelta(block.index(), hSel);
        if (delta != null) {
            q = q.add(delta[0]);
            v = v.add(delta[1]);
        }
        NDArray xSel = plan.gather(x);
        xSel = block.addToAttended(xSel, block.attend(q, plan.gather(keys), v), ctx);
        xSel = block.addToAttended(xSel, block.mlp(block.attendedPart(xSel)), ctx);
        // A channel-shuffle block shuffles every token, idle ones too: the layout is the next block's.
        NDArray out = block.shuffle(plan.writeBack(x, xSel));
        ctx.traceReduction(block.index(), out, null);
        return VitBlock.Tokens.unmerged(out);
    }

    /** Added to the logits of every idle key in the masked form. */
    static final float IDLE_KEY_BIAS = -1e5f;

    /**
     * The masked form's output and what IdleViT's token-cut loss reads from the block.
     *
     * @param x (B, N, D) the block's output; idle rows equal the input (channel-shuffled for a
     *     channel-shuffle block)
     * @param mask (B, N) 1 for the selected tokens (prefix included), 0 for idle ones; no gradient
     * @param meanLogits (B, N, N) the attention logits {@code q·k/√d} averaged over the heads,
     *     before the idle-key bias
     */
    record Masked(NDArray x, NDArray mask, NDArray meanLogits) {}

    /**
     * The masked training form of the block on {@code x} (B, N, D) with {@code kept} patch tokens
     * selected as in {@link #forward}. Runs out of place (autograd keeps every intermediate).
     */
    static Masked masked(VitBlock block, NDArray x, int kept, ForwardContext ctx) {
        int prefix = block.config().numPrefixTokens();
        QvAdapter adapter = ctx.adapter();
        NDArray h = block.norm1(block.attendedPart(x));
        NDArray keys = block.project(h, 1, adapter);
        // The selection exactly as in forward(): same calls, so the same tokens win.
        NDArray hCls = h.get(":, 0:1, :");
        NDArray qCls = block.project(hCls, 0, adapter);
        NDArray[] clsDelta = adapter.qvDelta(block.index(), hCls);
        if (clsDelta != null) {
            qCls = qCls.add(clsDelta[0]);
        }
        NDArray scores = qCls.matMul(keys.transpose(0, 2, 1)).squeeze(1);
        IdlePlan plan = IdlePlan.select(scores.get(":, " + prefix + ":"), kept, prefix);
        ctx.traceIdle(block.index(), plan);

        NDArray q = block.project(h, 0, adapter);
        NDArray v = block.project(h, 2, adapter);
        NDArray[] delta = adapter.qvDelta(block.index(), h);
        if (delta != null) {
            q = q.add(delta[0]);
            v = v.add(delta[1]);
        }
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDManager manager = x.getManager();
        NDArray mask = manager.zeros(new Shape(batch, n), DataType.FLOAT32)
                .scatter(plan.positions(), manager.ones(plan.positions().getShape(), DataType.FLOAT32), 1);
        // Scalars, not mul(float): autograd keeps the operands (see Scalars).
        NDArray keyBias = mask.sub(Scalars.of(manager, 1f))
                .mul(Scalars.of(manager, -IDLE_KEY_BIAS))
                .reshape(batch, 1, 1, n);
        NDArray rowMask = mask.reshape(batch, n, 1);
        NDArray out = block.addToAttended(x, block.attend(q, keys, v, keyBias).mul(rowMask));
        out = block.shuffle(
                block.addToAttended(out, block.mlp(block.attendedPart(out)).mul(rowMask)));
        // Per-head logits summed over heads are the full-width dot product: mean = q·kᵀ/(√d·H).
        VitConfig cfg = block.config();
        float meanScale = (float) (1.0 / (Math.sqrt(cfg.headDim()) * cfg.numHeads()));
        NDArray meanLogits = q.matMul(keys.transpose(0, 2, 1)).mul(Scalars.of(manager, meanScale));
        ctx.traceReduction(block.index(), out, null);
        return new Masked(out, mask, meanLogits);
    }
}
