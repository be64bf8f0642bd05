package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.tocomstream.compress.DiffRatePlan;

/**
 * The forward pass a DiffRate search differentiates ({@code src/docs/token-reduction.md}, DiffRate
 * search): every block keeps all N0 tokens and simulates the sort, prune and merge of inference
 * with a per-token alive weight instead of removing rows, so the rate logits receive gradients.
 *
 * <p>Per block: attention runs on all tokens, but each key's weight is multiplied by its alive
 * weight and the rows renormalised, so a dead token is invisible to the living ones (its own row
 * is computed and never read). Blocks 1.. then rank the living tokens by the class token's
 * attention (prefix tokens first), look up each token's keep weights by rank in the block's two
 * position masks (prune and merge), let the living tokens kept by the prune but not by the merge
 * (the sources) flow into their most similar destination (living, non-prefix, rank below the hard
 * merge count), as a mean of features and a similarity-weighted sum of sizes, and multiply the
 * alive weights by both keep weights. The masks are straight-through: their forward values are
 * exactly 0 or 1, so with one-hot rate distributions the logits equal {@link VitForward} at the
 * same DiffRate schedule up to the order of float sums.
 *
 * <p>The assignment of sources to destinations and the ranking are not differentiated; gradients
 * reach the masks through the key weights of later blocks and the source weights of the merge.
 */
public final class DiffRateSoftForward {

    private final VitConfig cfg;
    private final Map<String, NDArray> weights;
    private final VitForward plain;
    private final VitBlock[] blocks;

    /** @param weights every tensor of {@link TimmKeys#expectedShapes(VitConfig)}, frozen */
    public DiffRateSoftForward(VitConfig cfg, Map<String, NDArray> weights) {
        this.cfg = cfg;
        this.weights = weights;
        this.plain = new VitForward(cfg, weights);
        this.blocks = new VitBlock[cfg.depth()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new VitBlock(i, cfg, weights);
        }
    }

    /**
     * Logits of the simulated reduction.
     *
     * @param images (B, C, H, W) normalised pixels
     * @param pruneMasks per block, the (N0) keep weight of each rank after pruning; entry 0 unused
     * @param mergeMasks per block, the (N0) keep weight of each rank after merging; entry 0 unused
     * @param mergeKept per block, the hard merge count M_l the masks stand for (destinations)
     * @return (B, classes) logits, in {@code images}' manager
     */
    public NDArray forward(NDArray images, NDArray[] pruneMasks, NDArray[] mergeMasks, int[] mergeKept) {
        NDArray x = plain.embed(images);
        NDManager mm = x.getManager();
        long batch = x.getShape().get(0);
        int n = cfg.numTokens();
        NDArray[] state = {x, mm.ones(new Shape(batch, n, 1)), mm.ones(new Shape(batch, n, 1))};
        for (int l = 0; l < blocks.length; l++) {
            VitBlock block = blocks[l];
            // A channel-shuffle block attends and runs its MLP on its attended channels; the
            // simulated merge mixes whole tokens; the block ends with its channel shuffle.
            NDArray[] attended = attention(l, block.attendedPart(state[0]), state[1], state[2]);
            state[0] = block.addToAttended(state[0], attended[0]);
            if (l > 0) {
                state = reduce(state, attended[1], pruneMasks[l], mergeMasks[l], mergeKept[l]);
            }
            state[0] = block.shuffle(block.addToAttended(state[0], block.mlp(block.attendedPart(state[0]))));
        }
        return plain.head(state[0]);
    }

    /** {output before the residual (B, N, D), attention weights (B, H, N, N)} over living keys. */
    private NDArray[] attention(int l, NDArray x, NDArray size, NDArray alive) {
        VitBlock block = blocks[l];
        long batch = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray h = block.norm1(x);
        NDArray scale = Scalars.of(x.getManager(), (float) (1.0 / Math.sqrt(cfg.headDim())));
        NDArray q = heads(block.project(h, 0, QvAdapter.NONE), batch, n).mul(scale);
        NDArray k = heads(block.project(h, 1, QvAdapter.NONE), batch, n);
        NDArray v = heads(block.project(h, 2, QvAdapter.NONE), batch, n);
        NDArray attn = VitBlock.attentionWeights(q, k, size);
        attn = attn.mul(alive.reshape(batch, 1, 1, n));
        attn = attn.div(attn.sum(new int[] {-1}, true));
        NDArray o = attn.matMul(v).transpose(0, 2, 1, 3).reshape(batch, n, cfg.attendedDim());
        NDArray out = VitBlock.linear(
                o,
                weights.get(TimmKeys.block(l, TimmKeys.PROJ_WEIGHT)),
                weights.get(TimmKeys.block(l, TimmKeys.PROJ_BIAS)));
        return new NDArray[] {out, attn};
    }

    /** One block's simulated sort, prune and merge on {x, size, alive}. */
    private NDArray[] reduce(NDArray[] state, NDArray attn, NDArray pruneMask, NDArray mergeMask, int mergeKept) {
        NDArray x = state[0];
        NDArray size = state[1];
        NDArray alive = state[2];
        NDManager mm = x.getManager();
        long batch = x.getShape().get(0);
        int n = Math.toIntExact(x.getShape().get(1));
        int prefix = cfg.numPrefixTokens();
        NDArray rank = ranks(attn, batch, n, prefix); // (B, N) int64
        NDArray byRank = rank.oneHot(n, DataType.FLOAT32); // (B, N, N): token → its rank
        NDArray pruneKeep = byRank.matMul(pruneMask.reshape(n, 1)); // (B, N, 1)
        NDArray mergeKeep = byRank.matMul(mergeMask.reshape(n, 1));
        NDArray one = Scalars.of(mm, 1f);
        NDArray sources = alive.mul(pruneKeep).mul(one.sub(mergeKeep)); // (B, N, 1)
        NDArray livingHard = alive.stopGradient().gt(0.5f);
        NDArray destinations = rank.lt(mergeKept)
                .logicalAnd(rank.gte(prefix))
                .logicalAnd(livingHard.reshape(batch, n))
                .toType(DataType.FLOAT32, false)
                .reshape(batch, 1, n);
        NDArray metric = x.stopGradient();
        metric = metric.div(metric.norm(new int[] {-1}, true));
        NDArray sim = metric.matMul(metric.transpose(0, 2, 1)); // (B, source i, destination j)
        sim = sim.sub(one.sub(destinations).mul(Scalars.of(mm, 1e4f))); // cosines are <= 1
        NDArray best = sim.max(new int[] {2}, true); // (B, N, 1)
        NDArray flow = sim.argMax(2).oneHot(n, DataType.FLOAT32).mul(sources).transpose(0, 2, 1); // (B, j, i)
        NDArray count = flow.sum(new int[] {2}, true).add(one);
        NDArray newX = x.add(flow.matMul(x)).div(count);
        // Floored as in inference: negative similarities can drive a size to 0 or below.
        NDArray newSize = size.add(flow.matMul(size.mul(best))).maximum(DiffRatePlan.MIN_SIZE);
        return new NDArray[] {newX, newSize, alive.mul(pruneKeep).mul(mergeKeep)};
    }

    /**
     * Each token's rank: prefix tokens 0..prefix-1, then the others in descending class-token
     * attention averaged over heads; dead tokens have no attention and rank last.
     */
    private static NDArray ranks(NDArray attn, long batch, int n, int prefix) {
        NDArray importance =
                attn.get(":, :, 0, " + prefix + ":").mean(new int[] {1}).stopGradient();
        NDArray order = importance.argSort(1, false); // rank → token
        NDArray rank = order.argSort(1, true).add(prefix); // token → rank
        NDArray prefixRanks = rank.getManager()
                .arange(0L, prefix, 1L, DataType.INT64)
                .reshape(1, prefix)
                .broadcast(batch, prefix);
        return prefixRanks.concat(rank.toType(DataType.INT64, false), 1);
    }

    private NDArray heads(NDArray a, long batch, long n) {
        return a.reshape(batch, n, cfg.numHeads(), cfg.headDim()).transpose(0, 2, 1, 3);
    }
}
