package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
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
 */
final class IdleBlock {

    private IdleBlock() {}

    /**
     * The block on {@code in} with {@code kept} patch tokens selected.
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
        NDArray h = block.norm1(x);
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
        xSel = VitBlock.residual(xSel, block.attend(q, plan.gather(keys), v), ctx);
        xSel = VitBlock.residual(xSel, block.mlp(xSel), ctx);
        NDArray out = plan.writeBack(x, xSel);
        ctx.traceReduction(block.index(), out, null);
        return VitBlock.Tokens.unmerged(out);
    }
}
