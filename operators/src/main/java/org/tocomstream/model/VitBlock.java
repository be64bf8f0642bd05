package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.DiffRatePlan;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.compress.GtpParams;
import org.tocomstream.compress.GtpPlan;
import org.tocomstream.compress.MergePlan;
import org.tocomstream.compress.PrunePlan;
import org.tocomstream.compress.TokenCounts;

/**
 * One pre-norm transformer block in its three named parts, as timm's {@code Block} with its
 * {@code Attention} and {@code Mlp}: {@link #attention}, then the token {@link #reduce reduction}
 * (ToMe merge, EViT prune or GTP propagation), then the {@link #mlp}. Weights are resolved once so the hot loop
 * does no map look-ups; the block holds no per-call state.
 */
final class VitBlock {

    /**
     * The tokens between blocks.
     *
     * @param x (B, N, D) token features
     * @param size (B, N, 1) how many patches each token stands for; null until ToMe first merges
     * @param graph (B, M, M) GTP's token graph over the M non-prefix tokens, null for other levels
     */
    record Tokens(NDArray x, NDArray size, NDArray graph) {

        Tokens(NDArray x, NDArray size) {
            this(x, size, null);
        }

        /** Fresh tokens: every size 1, kept implicit. */
        static Tokens unmerged(NDArray x) {
            return new Tokens(x, null);
        }

        void attach(NDManager manager) {
            x.attach(manager);
            if (size != null) {
                size.attach(manager);
            }
            if (graph != null) {
                graph.attach(manager);
            }
        }
    }

    /**
     * What the attention part hands on: its output and what the reduction step plans from.
     *
     * @param output (B, N, D) after the output projection, before the residual sum
     * @param keys (B, H, N, d) the keys, ToMe's matching metric
     * @param weights (B, H, N, N) the attention weights, EViT's class-token attention
     */
    record Attended(NDArray output, NDArray keys, NDArray weights) {}

    private final int index;
    private final VitConfig cfg;
    /** Channels attention and MLP run on: the attended group Ca, all D for a plain ViT. */
    private final int width;

    private final boolean shuffled;
    private final Shape normShape;
    private final float eps;
    private final float attnScale;
    private final NDArray norm1W;
    private final NDArray norm1B;
    private final NDArray qkvW;
    private final NDArray qkvB;
    private final NDArray projW;
    private final NDArray projB;
    private final NDArray norm2W;
    private final NDArray norm2B;
    private final NDArray fc1W;
    private final NDArray fc1B;
    private final NDArray fc2W;
    private final NDArray fc2B;

    /** Block {@code index} over timm-named weights; fails naming the first weight missing. */
    VitBlock(int index, VitConfig cfg, Map<String, NDArray> weights) {
        this.index = index;
        this.cfg = cfg;
        this.width = cfg.attendedDim();
        this.shuffled = cfg.isChannelShuffled();
        this.normShape = new Shape(width);
        this.eps = (float) cfg.layerNormEps();
        this.attnScale = (float) (1.0 / Math.sqrt(cfg.headDim()));
        this.norm1W = w(weights, TimmKeys.NORM1_WEIGHT);
        this.norm1B = w(weights, TimmKeys.NORM1_BIAS);
        this.qkvW = w(weights, TimmKeys.QKV_WEIGHT);
        this.qkvB = cfg.qkvBias() ? w(weights, TimmKeys.QKV_BIAS) : null;
        this.projW = w(weights, TimmKeys.PROJ_WEIGHT);
        this.projB = w(weights, TimmKeys.PROJ_BIAS);
        this.norm2W = w(weights, TimmKeys.NORM2_WEIGHT);
        this.norm2B = w(weights, TimmKeys.NORM2_BIAS);
        this.fc1W = w(weights, TimmKeys.FC1_WEIGHT);
        this.fc1B = w(weights, TimmKeys.FC1_BIAS);
        this.fc2W = w(weights, TimmKeys.FC2_WEIGHT);
        this.fc2B = w(weights, TimmKeys.FC2_BIAS);
    }

    /**
     * The whole block: {@code x + Attn(LN1(x))}, reduced by {@code r} merges or the level's prune,
     * then {@code + MLP(LN2(·))}. In place (inference) the residual sums overwrite their input,
     * saving two activation-sized allocations per block; autograd needs them out of place. A
     * channel-shuffle block runs attention and MLP on its attended channels, reduces whole tokens
     * (all channels) in between, and ends with the channel shuffle ({@link ChannelShuffle}).
     *
     * @param r tokens ToMe merges away in this block (clamped by the plan), 0 for none
     */
    Tokens forward(Tokens in, int r, ForwardContext ctx) {
        int idleKept = TokenCounts.idleKept(ctx.level(), index, cfg.depth(), cfg.numPatches());
        if (idleKept >= 0) {
            return IdleBlock.forward(this, in, idleKept, ctx);
        }
        GtpParams gtp = ctx.level().gtpParams();
        Attended attended = attention(attendedPart(in.x()), in.size(), ctx.adapter(), gtp == null ? 1.0 : gtp.theta());
        NDArray x = addToAttended(in.x(), attended.output(), ctx);
        Tokens reduced = reduce(new Tokens(x, in.size(), in.graph()), attended, r, ctx);
        NDArray m = mlp(attendedPart(reduced.x()));
        return new Tokens(shuffle(addToAttended(reduced.x(), m, ctx)), reduced.size(), reduced.graph());
    }

    /** The attended channels of (B, N, D) tokens, {@code x} itself for a plain ViT. */
    NDArray attendedPart(NDArray x) {
        return shuffled ? ChannelShuffle.attended(x, width) : x;
    }

    /**
     * {@code x} with {@code branch} (B, N, Ca) added to its attended channels: the block's residual
     * sum. A plain ViT's is {@link #residual}; a channel-shuffle block's is out of place.
     */
    NDArray addToAttended(NDArray x, NDArray branch, ForwardContext ctx) {
        return shuffled ? addToAttended(x, branch) : residual(x, branch, ctx);
    }

    /** {@link #addToAttended(NDArray, NDArray, ForwardContext)} out of place (autograd). */
    NDArray addToAttended(NDArray x, NDArray branch) {
        return shuffled ? ChannelShuffle.rejoin(attendedPart(x).add(branch), x, width) : x.add(branch);
    }

    /**
     * The tokens after this block's update of the attended channels {@code a} (B, N, Ca) of {@code
     * x}: the idle channels of {@code x} joined on and the channels shuffled; {@code a} itself for a
     * plain ViT.
     */
    NDArray rejoin(NDArray a, NDArray x) {
        return shuffled ? ChannelShuffle.shuffle(ChannelShuffle.rejoin(a, x, width)) : a;
    }

    /** The channel shuffle ending a channel-shuffle block; {@code x} itself for a plain ViT. */
    NDArray shuffle(NDArray x) {
        return shuffled ? ChannelShuffle.shuffle(x) : x;
    }

    /** Channels attention and MLP run on (Ca; D for a plain ViT). */
    int width() {
        return width;
    }

    /**
     * Multi-head self-attention on {@code LN1(x)} with ToMe's proportional attention; the adapter
     * may swap the qkv weight (merged compensator) or add to q and v (side branch).
     *
     * @param x (B, N, Ca) attended channels of the tokens (all D for a plain ViT)
     * @param size (B, N, 1) token sizes, or null
     */
    Attended attention(NDArray x, NDArray size, QvAdapter adapter) {
        return attention(x, size, adapter, 1.0);
    }

    /** {@link #attention(NDArray, NDArray, QvAdapter)} with GTP's sparsification θ (1: off). */
    Attended attention(NDArray x, NDArray size, QvAdapter adapter, double theta) {
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray h = LayerNorm.layerNorm(x, normShape, norm1W, norm1B, eps).singletonOrThrow();
        NDArray qkv = linear(h, adapter.qkvWeight(index, qkvW), qkvB); // (B, N, 3D)
        qkv = qkv.reshape(batch, n, 3, cfg.numHeads(), cfg.headDim()).transpose(2, 0, 3, 1, 4);
        NDArray[] delta = adapter.qvDelta(index, h);
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
        NDArray attn = GtpPlan.sparsify(attentionWeights(q, k, size), theta);
        NDArray o = attn.matMul(v).transpose(0, 2, 1, 3).reshape(batch, n, width);
        return new Attended(linear(o, projW, projB), k, attn);
    }

    /**
     * The reduction step between attention and MLP: a ToMe merge of {@code r} tokens planned from
     * the keys (sizes tracked), else an EViT prune where the level reduces at this block, planned
     * from the class token's attention, else DiffRate's sort, prune and merge (never in block 0);
     * otherwise the tokens as they are.
     */
    Tokens reduce(Tokens in, Attended attended, int r, ForwardContext ctx) {
        int prefix = cfg.numPrefixTokens();
        Tokens out = in;
        if (r > 0) {
            MergePlan plan = MergePlan.bipartite(attended.keys().mean(new int[] {1}), r, prefix);
            ctx.traceMerge(index, plan);
            NDArray[] merged = plan.mergeWeighted(in.x(), in.size());
            out = new Tokens(merged[0], merged[1]);
        } else if (ctx.level().evitReducesAt(index)) {
            NDArray clsAttn = attended.weights().get(":, :, 0, " + prefix + ":").mean(new int[] {1});
            PrunePlan plan = PrunePlan.attentive(clsAttn, ctx.level().keepRate(), prefix);
            out = new Tokens(plan.apply(in.x()), in.size());
        } else if (ctx.level().method() == CompressionLevel.Method.DIFFRATE && index > 0) {
            DiffRateSchedule s = ctx.level().diffRateSchedule();
            NDArray[] reduced = DiffRatePlan.reduce(
                    in.x(), in.size(), attended.weights(), s.pruneKept(index), s.mergeKept(index), prefix);
            out = new Tokens(reduced[0], reduced[1]);
        } else if (ctx.level().method() == CompressionLevel.Method.GTP) {
            out = propagate(in, attended, ctx.level().gtpParams());
        }
        ctx.traceReduction(index, out.x(), out.size());
        return out;
    }

    /** GTP: the P least important tokens propagated into the kept ones through the graph. */
    private Tokens propagate(Tokens in, Attended attended, GtpParams gtp) {
        GtpPlan plan = GtpPlan.select(attended.weights(), gtp.props(), cfg.numPrefixTokens());
        if (plan == null) {
            return in;
        }
        NDArray[] out = plan.apply(in.x(), in.size(), in.graph(), gtp.alpha(), gtp.tokenScale());
        return new Tokens(out[0], out[1], out[2]);
    }

    /** The MLP on {@code LN2(x)}: D → hidden → D with exact GELU, before the residual sum. */
    NDArray mlp(NDArray x) {
        return mlpOnNormed(norm2(x));
    }

    /** LN2(x): the normalised tokens the MLP reads. */
    NDArray norm2(NDArray x) {
        return LayerNorm.layerNorm(x, normShape, norm2W, norm2B, eps).singletonOrThrow();
    }

    /** The MLP on tokens already normalised by {@link #norm2}. */
    NDArray mlpOnNormed(NDArray m) {
        return linear(Activation.gelu(linear(m, fc1W, fc1B)), fc2W, fc2B);
    }

    /** q, k and v of normalised tokens in one product, (B, S, D) → (B, S, 3D), unscaled. */
    NDArray qkv(NDArray h) {
        return linear(h, qkvW, qkvB);
    }

    /**
     * Attention of S queries over all N keys and values, through the output projection, before the
     * residual sum: q (B, S, D) unscaled, k and v (B, N, D) → (B, S, D).
     */
    NDArray attendRows(NDArray q, NDArray k, NDArray v) {
        long batch = q.getShape().get(0);
        long s = q.getShape().get(1);
        long n = k.getShape().get(1);
        NDArray qh = toHeads(q, batch, s).mul(Scalars.of(q.getManager(), attnScale));
        NDArray attn = attentionWeights(qh, toHeads(k, batch, n), null);
        NDArray o = attn.matMul(toHeads(v, batch, n)).transpose(0, 2, 1, 3).reshape(batch, s, width);
        return linear(o, projW, projB);
    }

    /** The output projection of attention outputs (B, S, D) → (B, S, D), bias included. */
    NDArray outProject(NDArray o) {
        return linear(o, projW, projB);
    }

    /** Queries, keys or values (B, S, D) → (B, H, S, d); {@code scaled} multiplies by d^-0.5. */
    NDArray heads(NDArray a, boolean scaled) {
        NDArray h = toHeads(a, a.getShape().get(0), a.getShape().get(1));
        return scaled ? h.mul(Scalars.of(a.getManager(), attnScale)) : h;
    }

    /** The block's 0-based position. */
    int index() {
        return index;
    }

    VitConfig config() {
        return cfg;
    }

    /** LN1(x): the normalised tokens the attention projects. */
    NDArray norm1(NDArray x) {
        return LayerNorm.layerNorm(x, normShape, norm1W, norm1B, eps).singletonOrThrow();
    }

    /**
     * One part of the qkv projection of normalised tokens: q (part 0), k (1) or v (2), (B, N, D),
     * before the attention scale, with the adapter's qkv weight (not its side branch). The weight
     * rows are sliced into {@code h}'s manager, so nothing lands in the weights' manager.
     */
    NDArray project(NDArray h, int part, QvAdapter adapter) {
        NDManager manager = h.getManager();
        long d = width;
        NDIndex rows = new NDIndex("{}:{}", part * d, (part + 1) * d);
        NDArray w = adapter.qkvWeight(index, qkvW).get(manager, rows);
        return linear(h, w, qkvB == null ? null : qkvB.get(manager, rows));
    }

    /**
     * Plain multi-head attention of queries on keys and values, through the output projection,
     * before the residual sum: each (B, S, D) → (B, S, D). q is scaled here.
     */
    NDArray attend(NDArray q, NDArray k, NDArray v) {
        return attend(q, k, v, null);
    }

    /**
     * {@link #attend(NDArray, NDArray, NDArray)} with {@code keyBias} (B, 1, 1, S) added to every
     * query's logits before the softmax (IdleViT's masked training form); null adds nothing.
     */
    NDArray attend(NDArray q, NDArray k, NDArray v, NDArray keyBias) {
        long batch = q.getShape().get(0);
        long s = q.getShape().get(1);
        NDArray scale = Scalars.of(q.getManager(), attnScale);
        NDArray qh = toHeads(q, batch, s).mul(scale);
        NDArray attn = keyBias == null
                ? attentionWeights(qh, toHeads(k, batch, s), null)
                : qh.matMul(toHeads(k, batch, s).transpose(0, 1, 3, 2))
                        .add(keyBias)
                        .softmax(-1);
        NDArray o = attn.matMul(toHeads(v, batch, s)).transpose(0, 2, 1, 3).reshape(batch, s, width);
        return linear(o, projW, projB);
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

    static NDArray linear(NDArray input, NDArray weight, NDArray bias) {
        return (bias == null ? Linear.linear(input, weight) : Linear.linear(input, weight, bias)).singletonOrThrow();
    }

    static NDArray residual(NDArray x, NDArray branch, ForwardContext ctx) {
        return ctx.isInPlace() ? x.addi(branch) : x.add(branch);
    }

    /** (B, N, D) → (B, H, N, d), the layout of q, k and v. */
    private NDArray toHeads(NDArray a, long batch, long n) {
        return a.reshape(batch, n, cfg.numHeads(), cfg.headDim()).transpose(0, 2, 1, 3);
    }

    private NDArray w(Map<String, NDArray> weights, String suffix) {
        NDArray a = weights.get(TimmKeys.block(index, suffix));
        if (a == null) {
            throw new IllegalStateException("missing weight " + TimmKeys.block(index, suffix));
        }
        return a;
    }
}
