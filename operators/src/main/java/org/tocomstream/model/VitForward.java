package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.MergePlan;
import org.tocomstream.compress.PrunePlan;

/**
 * The ViT/DeiT forward pass on DJL {@link NDArray}s with token reduction between each block's
 * attention and its MLP ({@code algorithms.md} §1). Stateless apart from the weights it is given:
 * the compression level is an argument, so concurrent calls may use different levels.
 *
 * <p>Inference goes through {@link VitModel}. Training builds one over parameter arrays that
 * require gradients and calls {@link #forward(NDArray, CompressionLevel)} inside a DJL
 * {@code GradientCollector}; gradients flow through the size-weighted ToMe merge and EViT's fused
 * token (the matching and the token selection themselves are not differentiated).
 *
 * <p>Memory: with {@code scoped} set, each block runs in its own sub-manager that is closed as soon
 * as the block's output exists, so native memory peaks at one block's intermediates. Training
 * needs every intermediate until the backward pass and calls with {@code scoped} off; then all
 * results live in the input's manager.
 */
public final class VitForward {

    /** One block's weights, resolved once so the hot loop does no map look-ups. */
    private record Block(
            NDArray norm1W,
            NDArray norm1B,
            NDArray qkvW,
            NDArray qkvB,
            NDArray projW,
            NDArray projB,
            NDArray norm2W,
            NDArray norm2B,
            NDArray fc1W,
            NDArray fc1B,
            NDArray fc2W,
            NDArray fc2B) {}

    private final VitConfig cfg;
    private final Map<String, NDArray> weights;
    private final Block[] blocks;
    private final Shape normShape;
    private final float eps;
    private final float attnScale;

    /**
     * A forward pass over timm-named weights.
     *
     * @param weights every tensor of {@link TimmKeys#expectedShapes(VitConfig)}, on one device
     */
    public VitForward(VitConfig cfg, Map<String, NDArray> weights) {
        this.cfg = cfg;
        this.weights = weights;
        this.blocks = new Block[cfg.depth()];
        for (int i = 0; i < cfg.depth(); i++) {
            blocks[i] =
                    new Block(
                            w(i, TimmKeys.NORM1_WEIGHT),
                            w(i, TimmKeys.NORM1_BIAS),
                            w(i, TimmKeys.QKV_WEIGHT),
                            cfg.qkvBias() ? w(i, TimmKeys.QKV_BIAS) : null,
                            w(i, TimmKeys.PROJ_WEIGHT),
                            w(i, TimmKeys.PROJ_BIAS),
                            w(i, TimmKeys.NORM2_WEIGHT),
                            w(i, TimmKeys.NORM2_BIAS),
                            w(i, TimmKeys.FC1_WEIGHT),
                            w(i, TimmKeys.FC1_BIAS),
                            w(i, TimmKeys.FC2_WEIGHT),
                            w(i, TimmKeys.FC2_BIAS));
        }
        this.normShape = new Shape(cfg.embedDim());
        this.eps = (float) cfg.layerNormEps();
        this.attnScale = (float) (1.0 / Math.sqrt(cfg.headDim()));
    }

    /**
     * Logits for a batch, keeping every intermediate in {@code images}' manager (what autograd
     * needs; close that manager after the backward pass).
     *
     * @param images (B, C, H, W) normalised pixels, on the weights' device
     * @return (B, classes) logits
     */
    public NDArray forward(NDArray images, CompressionLevel level) {
        return forward(images, level, null, false, null);
    }

    /**
     * As {@link #forward(NDArray, CompressionLevel)} with a per-call change to q and v (a Token
     * Compensator's delta); {@code adapter} null is the plain model, bit for bit.
     */
    public NDArray forward(NDArray images, CompressionLevel level, QvAdapter adapter) {
        return forward(images, level, adapter, false, null);
    }

    /** The architecture. */
    public VitConfig config() {
        return cfg;
    }

    /**
     * Logits for a batch.
     *
     * @param images (B, C, H, W) normalised pixels, on the weights' device
     * @param level the compression of this call
     * @param scoped free each block's intermediates as soon as the block is done (inference only)
     * @param trace receives per-block token counts and sizes, or null
     * @return (B, classes) logits, in {@code images}' manager
     */
    NDArray forward(NDArray images, CompressionLevel level, boolean scoped, ForwardTrace trace) {
        return forward(images, level, null, scoped, trace);
    }

    /** As {@link #forward(NDArray, CompressionLevel, boolean, ForwardTrace)} with an adapter. */
    NDArray forward(
            NDArray images,
            CompressionLevel level,
            QvAdapter adapter,
            boolean scoped,
            ForwardTrace trace) {
        return fromBlock(embed(images), 0, level, adapter, scoped, trace);
    }

    /**
     * Runs blocks {@code first..depth-1} and the head on tokens {@code x} (B, N, D) with all sizes
     * 1. Used by {@link #forward} (from block 0) and by tests that feed a block crafted tokens.
     */
    NDArray fromBlock(
            NDArray x, int first, CompressionLevel level, boolean scoped, ForwardTrace trace) {
        return fromBlock(x, first, level, null, scoped, trace);
    }

    private NDArray fromBlock(
            NDArray x,
            int first,
            CompressionLevel level,
            QvAdapter adapter,
            boolean scoped,
            ForwardTrace trace) {
        NDManager out = x.getManager();
        NDArray size = null;
        int[] rSchedule = level.tomeSchedule(cfg.depth());
        for (int l = first; l < cfg.depth(); l++) {
            if (scoped) {
                try (NDManager scope = out.newSubManager()) {
                    x.attach(scope);
                    if (size != null) {
                        size.attach(scope);
                    }
                    NDArray[] res = block(l, x, size, level, rSchedule[l], adapter, scoped, trace);
                    x = res[0];
                    size = res[1];
                    x.attach(out);
                    if (size != null) {
                        size.attach(out);
                    }
                }
            } else {
                NDArray[] res = block(l, x, size, level, rSchedule[l], adapter, scoped, trace);
                x = res[0];
                size = res[1];
            }
        }
        return head(x);
    }

    /** Patch embedding, prefix tokens and position embedding: (B, C, H, W) → (B, N0, D). */
    NDArray embed(NDArray images) {
        long batch = images.getShape().get(0);
        long d = cfg.embedDim();
        Shape stride = new Shape(cfg.patchSize(), cfg.patchSize());
        NDArray patches =
                Conv2d.conv2d(
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

    /**
     * One block: returns {@code {x', size'}}; size stays null until ToMe first merges. With {@code
     * inPlace} (inference) the residual sums overwrite {@code x}, saving two activation-sized
     * allocations per block; autograd needs them out of place.
     */
    private NDArray[] block(
            int l,
            NDArray x,
            NDArray size,
            CompressionLevel level,
            int r,
            QvAdapter adapter,
            boolean inPlace,
            ForwardTrace trace) {
        Block w = blocks[l];
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        int heads = cfg.numHeads();
        int hd = cfg.headDim();

        NDArray h = LayerNorm.layerNorm(x, normShape, w.norm1W, w.norm1B, eps).singletonOrThrow();
        NDArray qkvW = adapter == null ? w.qkvW : adapter.qkvWeight(l, w.qkvW);
        NDArray qkv = linear(h, qkvW, w.qkvB); // (B, N, 3D)
        qkv = qkv.reshape(batch, n, 3, heads, hd).transpose(2, 0, 3, 1, 4); // (3, B, H, N, d)
        NDArray[] delta = adapter == null ? null : adapter.qvDelta(l, h);
        NDArray q;
        NDArray k = qkv.get(1);
        NDArray v;
        NDArray scale = Scalars.of(qkv.getManager(), attnScale); // not mul(float): see Scalars
        if (delta == null) {
            q = qkv.get(0).mul(scale);
            v = qkv.get(2);
        } else {
            // ToCom's side branch: q += s·Δq(h), v += s·Δv(h) before the attention scale; k as is.
            q = qkv.get(0).add(toHeads(delta[0], batch, n)).mul(scale);
            v = qkv.get(2).add(toHeads(delta[1], batch, n));
        }
        NDArray attn = attentionWeights(q, k, size);
        NDArray o = attn.matMul(v).transpose(0, 2, 1, 3).reshape(batch, n, cfg.embedDim());
        NDArray attnOut = linear(o, w.projW, w.projB);
        x = inPlace ? x.addi(attnOut) : x.add(attnOut);

        int prefix = cfg.numPrefixTokens();
        if (r > 0) {
            MergePlan plan = MergePlan.bipartite(k.mean(new int[] {1}), r, prefix);
            if (trace != null) {
                trace.merge(l, plan);
            }
            NDArray[] merged = plan.mergeWeighted(x, size);
            x = merged[0];
            size = merged[1];
        } else if (level.evitReducesAt(l)) {
            NDArray clsAttn = attn.get(":, :, 0, " + prefix + ":").mean(new int[] {1});
            x = PrunePlan.attentive(clsAttn, level.keepRate(), prefix).apply(x);
        }
        if (trace != null) {
            trace.afterReduction(l, x, size);
        }

        NDArray m = LayerNorm.layerNorm(x, normShape, w.norm2W, w.norm2B, eps).singletonOrThrow();
        m = linear(Activation.gelu(linear(m, w.fc1W, w.fc1B)), w.fc2W, w.fc2B);
        return new NDArray[] {inPlace ? x.addi(m) : x.add(m), size};
    }

    /** (B, N, D) → (B, H, N, d), the layout of q, k and v. */
    private NDArray toHeads(NDArray a, long batch, long n) {
        return a.reshape(batch, n, cfg.numHeads(), cfg.headDim()).transpose(0, 2, 1, 3);
    }

    /**
     * Softmax attention weights with ToMe's proportional attention: {@code softmax(q k^T + log s)}
     * counts a key standing for s tokens s times. With {@code size} null it is plain attention.
     *
     * @param q (B, H, N, d) queries, already scaled by d^-0.5
     * @param k (B, H, N, d) keys
     * @param size (B, N, 1) token sizes, or null
     * @return (B, H, N, N)
     */
    static NDArray attentionWeights(NDArray q, NDArray k, NDArray size) {
        NDArray logits = q.matMul(k.transpose(0, 1, 3, 2));
        if (size != null) {
            long batch = size.getShape().get(0);
            long n = size.getShape().get(1);
            logits = logits.add(size.log().reshape(batch, 1, 1, n));
        }
        return logits.softmax(-1);
    }

    /** Final norm and classifier head(s) on the prefix tokens: (B, N, D) → (B, classes). */
    private NDArray head(NDArray x) {
        NDArray normed =
                LayerNorm.layerNorm(
                                x,
                                normShape,
                                weights.get(TimmKeys.NORM_WEIGHT),
                                weights.get(TimmKeys.NORM_BIAS),
                                eps)
                        .singletonOrThrow();
        NDArray logits =
                linear(
                        normed.get(":, 0, :"),
                        weights.get(TimmKeys.HEAD_WEIGHT),
                        weights.get(TimmKeys.HEAD_BIAS));
        if (cfg.distilled()) {
            NDArray dist =
                    linear(
                            normed.get(":, 1, :"),
                            weights.get(TimmKeys.HEAD_DIST_WEIGHT),
                            weights.get(TimmKeys.HEAD_DIST_BIAS));
            logits = logits.add(dist).mul(Scalars.of(logits.getManager(), 0.5f));
        }
        return logits;
    }

    private static NDArray linear(NDArray input, NDArray weight, NDArray bias) {
        return (bias == null ? Linear.linear(input, weight) : Linear.linear(input, weight, bias))
                .singletonOrThrow();
    }

    private NDArray w(int block, String suffix) {
        NDArray a = weights.get(TimmKeys.block(block, suffix));
        if (a == null) {
            throw new IllegalStateException("missing weight " + TimmKeys.block(block, suffix));
        }
        return a;
    }
}
