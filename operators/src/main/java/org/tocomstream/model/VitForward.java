package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.GtpGraph;

/**
 * The ViT/DeiT forward pass on DJL {@link NDArray}s with token reduction between each block's
 * attention and its MLP ({@link VitBlock}). Stateless apart from the weights it is given: the
 * compression level travels in each call's {@link ForwardContext}, so concurrent calls may use
 * different levels.
 *
 * <pre>{@code
 * VitForward forward = new VitForward(cfg, weights);
 * NDArray logits = forward.forward(images, CompressionLevel.tome(8));
 * NDArray student = forward.forward(images, ForwardContext.at(level).withAdapter(adapter));
 * }</pre>
 *
 * <p>Inference goes through {@link VitModel}. Training builds one over parameter arrays that
 * require gradients and calls {@link #forward} inside a DJL {@code GradientCollector}; gradients
 * flow through the size-weighted ToMe merge and EViT's fused token (the matching and the token
 * selection themselves are not differentiated).
 *
 * <p>Memory: a context {@link ForwardContext#inPlace() in place} runs each block in its own
 * sub-manager that is closed as soon as the block's output exists, so native memory peaks at one
 * block's intermediates. Training needs every intermediate until the backward pass and runs out
 * of place; then all results live in the input's manager.
 */
public final class VitForward {

    private final VitConfig cfg;
    private final Map<String, NDArray> weights;
    private final VitBlock[] blocks;
    private final Shape normShape;
    private final float eps;

    /**
     * A forward pass over timm-named weights.
     *
     * @param weights every tensor of {@link TimmKeys#expectedShapes(VitConfig)}, on one device
     */
    public VitForward(VitConfig cfg, Map<String, NDArray> weights) {
        this.cfg = cfg;
        this.weights = weights;
        this.blocks = new VitBlock[cfg.depth()];
        for (int i = 0; i < cfg.depth(); i++) {
            blocks[i] = new VitBlock(i, cfg, weights);
        }
        this.normShape = new Shape(cfg.embedDim());
        this.eps = (float) cfg.layerNormEps();
    }

    /**
     * Logits for a batch of the plain model at {@code level}, keeping every intermediate in
     * {@code images}' manager (what autograd needs; close that manager after the backward pass).
     *
     * @param images (B, C, H, W) normalised pixels, on the weights' device
     * @return (B, classes) logits
     */
    public NDArray forward(NDArray images, CompressionLevel level) {
        return forward(images, ForwardContext.at(level));
    }

    /**
     * Logits for a batch under {@code ctx}: its level, its adapter, in place or not.
     *
     * @param images (B, C, H, W) normalised pixels, on the weights' device
     * @return (B, classes) logits, in {@code images}' manager
     */
    public NDArray forward(NDArray images, ForwardContext ctx) {
        return fromBlock(embed(images), 0, ctx);
    }

    /** The architecture. */
    public VitConfig config() {
        return cfg;
    }

    /**
     * Runs blocks {@code first..depth-1} and the head on tokens {@code x} (B, N, D) with all sizes
     * 1. Used by {@link #forward} (from block 0) and by tests that feed a block crafted tokens.
     */
    NDArray fromBlock(NDArray x, int first, ForwardContext ctx) {
        NDManager out = x.getManager();
        int[] rSchedule = ctx.level().tomeSchedule(cfg.depth());
        if (ctx.level().method() == CompressionLevel.Method.DIFFRATE) {
            ctx.level().diffRateSchedule().requireFits(cfg.geometry());
        }
        VitBlock.Tokens tokens = VitBlock.Tokens.unmerged(x);
        if (ctx.level().method() == CompressionLevel.Method.GTP) { // the graph lives in this call only
            NDArray patches = x.get(":, " + cfg.numPrefixTokens() + ":, :");
            tokens = new VitBlock.Tokens(
                    x, null, GtpGraph.build(patches, cfg.gridSize(), ctx.level().gtpParams()));
        }
        for (int l = first; l < cfg.depth(); l++) {
            tokens = ctx.isInPlace()
                    ? inOwnScope(blocks[l], tokens, rSchedule[l], ctx, out)
                    : blocks[l].forward(tokens, rSchedule[l], ctx);
        }
        return head(tokens.x());
    }

    /** One block in a sub-manager of {@code out}, closed once its output is back in {@code out}. */
    private static VitBlock.Tokens inOwnScope(
            VitBlock block, VitBlock.Tokens in, int r, ForwardContext ctx, NDManager out) {
        try (NDManager scope = out.newSubManager()) {
            in.attach(scope);
            VitBlock.Tokens result = block.forward(in, r, ctx);
            result.attach(out);
            return result;
        }
    }

    /** Patch embedding, prefix tokens and position embedding: (B, C, H, W) → (B, N0, D). */
    NDArray embed(NDArray images) {
        long batch = images.getShape().get(0);
        long d = cfg.embedDim();
        Shape stride = new Shape(cfg.patchSize(), cfg.patchSize());
        NDArray patches = Conv2d.conv2d(
                        images,
                        weights.get(TimmKeys.PATCH_EMBED_WEIGHT),
                        weights.get(TimmKeys.PATCH_EMBED_BIAS),
                        stride)
                .singletonOrThrow(); // (B, D, g, g)
        patches = patches.reshape(batch, d, cfg.numPatches()).transpose(0, 2, 1);
        NDList tokens = new NDList();
        tokens.add(prefixToken(TimmKeys.CLS_TOKEN, batch, patches));
        if (cfg.distilled()) {
            tokens.add(prefixToken(TimmKeys.DIST_TOKEN, batch, patches));
        }
        tokens.add(patches);
        return NDArrays.concat(tokens, 1).add(weights.get(TimmKeys.POS_EMBED));
    }

    private NDArray prefixToken(String key, long batch, NDArray like) {
        // An op whose first operand is a weight would create its result in the weights' (capped)
        // manager; starting from a data-side array keeps the result with the batch.
        return like.getManager().zeros(new Shape(batch, 1, cfg.embedDim())).add(weights.get(key));
    }

    /** Final norm and classifier head(s) on the prefix tokens: (B, N, D) → (B, classes). */
    NDArray head(NDArray x) {
        return headOnNormed(finalNorm(x));
    }

    /** Block {@code l}. */
    VitBlock block(int l) {
        return blocks[l];
    }

    /** The final LayerNorm over all tokens: (B, N, D) → (B, N, D). */
    NDArray finalNorm(NDArray x) {
        return LayerNorm.layerNorm(
                        x, normShape, weights.get(TimmKeys.NORM_WEIGHT), weights.get(TimmKeys.NORM_BIAS), eps)
                .singletonOrThrow();
    }

    /** The classifier head(s) on finally normed tokens: (B, N, D) → (B, classes). */
    NDArray headOnNormed(NDArray normed) {
        NDArray logits = VitBlock.linear(
                normed.get(":, 0, :"), weights.get(TimmKeys.HEAD_WEIGHT), weights.get(TimmKeys.HEAD_BIAS));
        if (cfg.distilled()) {
            NDArray dist = VitBlock.linear(
                    normed.get(":, 1, :"),
                    weights.get(TimmKeys.HEAD_DIST_WEIGHT),
                    weights.get(TimmKeys.HEAD_DIST_BIAS));
            logits = logits.add(dist).mul(Scalars.of(logits.getManager(), 0.5f));
        }
        return logits;
    }
}
