package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenCounts;

/**
 * The forward pass IdleViT's fine-tuning recipe trains ({@code src/docs/token-reduction.md},
 * IdleViT): every idle block in its masked form ({@code IdleBlock#masked}), the other blocks
 * plain, and besides the logits the class token's final feature and, per idle block, the
 * selection mask and the head-mean attention logits that the token-cut loss reads.
 *
 * <pre>{@code
 * IdleTraining.Output student = IdleTraining.forward(forward, images, CompressionLevel.idle(0.7));
 * IdleTraining.Output teacher = IdleTraining.forward(frozen, images, CompressionLevel.none());
 * }</pre>
 *
 * <p>At {@code none} it is the plain model (no block idles). Out of place: every intermediate
 * stays in {@code images}' manager for the backward pass.
 */
public final class IdleTraining {

    private IdleTraining() {}

    /**
     * One idle block's view for the token-cut loss.
     *
     * @param mask (B, N) 1 for selected tokens (prefix included), 0 for idle ones; no gradient
     * @param meanLogits (B, N, N) attention logits {@code q·k/√d} averaged over the heads, without
     *     the idle-key bias
     */
    public record IdleView(NDArray mask, NDArray meanLogits) {}

    /**
     * @param logits (B, classes)
     * @param classFeature (B, D) the class token after the final norm (what the head reads)
     * @param idleBlocks one entry per idle block, in block order; empty at levels without idling
     */
    public record Output(NDArray logits, NDArray classFeature, List<IdleView> idleBlocks) {}

    /**
     * The training form at {@code level}, which must be {@code none} or an IdleViT level.
     *
     * @param images (B, C, H, W) normalised pixels, on the weights' device
     */
    public static Output forward(VitForward forward, NDArray images, CompressionLevel level) {
        if (level.method() != CompressionLevel.Method.NONE && level.method() != CompressionLevel.Method.IDLE) {
            throw new IllegalArgumentException("IdleViT's training form runs at none or idle levels, not " + level);
        }
        VitConfig cfg = forward.config();
        ForwardContext ctx = ForwardContext.at(level);
        NDArray x = forward.embed(images);
        List<IdleView> views = new ArrayList<>();
        for (int l = 0; l < cfg.depth(); l++) {
            int kept = TokenCounts.idleKept(level, l, cfg.depth(), cfg.numPatches());
            if (kept >= 0) {
                IdleBlock.Masked m = IdleBlock.masked(forward.block(l), x, kept, ctx);
                views.add(new IdleView(m.mask(), m.meanLogits()));
                x = m.x();
            } else {
                x = forward.block(l)
                        .forward(VitBlock.Tokens.unmerged(x), 0, ctx)
                        .x();
            }
        }
        NDArray normed = forward.finalNorm(x);
        return new Output(forward.headOnNormed(normed), normed.get(":, 0, :"), List.copyOf(views));
    }
}
