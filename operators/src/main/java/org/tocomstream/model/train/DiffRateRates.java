package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.model.Scalars;

/**
 * The learnable part of a DiffRate search ({@code src/docs/token-reduction.md}, DiffRate search):
 * for every block after the first, two categorical distributions (prune, merge) over the kept
 * counts {@code N0, N0-1, …, prefix+1} (prefix tokens included), as logits starting at 0.
 *
 * <p>From a distribution p over counts c: the expected count {@code E = Σ p_k c_k}; the hard
 * count {@code ceil(E)} with a straight-through gradient ({@link #ceilStraightThrough}); and the
 * position mask over ranks 0..N0-1 whose forward value is {@code [i < ceil(E)]} and whose
 * gradient is that of {@code q_i = Σ_k p_k [i < c_k]}, the probability that rank i is kept.
 */
final class DiffRateRates {

    private final TokenGeometry geometry;
    private final Map<String, NDArray> logits = new LinkedHashMap<>();
    private final float[] candidates; // (K) kept counts, N0 down to prefix + 1
    private final float[] keptAt; // (K, N0) row-major: [rank i < c_k]

    /** Zero logits for {@code geometry}, created in {@code manager}, requiring gradients. */
    DiffRateRates(TokenGeometry geometry, NDManager manager) {
        this(geometry, manager, null);
    }

    /**
     * Logits for {@code geometry} requiring gradients: zero when {@code start} is null, else for
     * block l's prune (kind 0) and merge (kind 1) distributions peaked at the count {@code
     * start[kind][l]}: {@code logit_k = −|c_k − start| / w} with {@code w = max(1, patches / 16)}
     * tokens, so E starts within a few tokens of it and every nearby count still has mass (the
     * gradient of E through the softmax is {@code p_k (c_k − E)}).
     */
    DiffRateRates(TokenGeometry geometry, NDManager manager, int[][] start) {
        this.geometry = geometry;
        int n = geometry.tokens();
        int k = n - geometry.prefixTokens();
        float[] c = new float[k];
        float[] kept = new float[k * n];
        for (int j = 0; j < k; j++) {
            c[j] = n - j;
            for (int i = 0; i < n - j; i++) {
                kept[j * n + i] = 1f;
            }
        }
        this.candidates = c;
        this.keptAt = kept;
        float width = Math.max(1f, geometry.patches() / 16f);
        for (int l = 1; l < geometry.depth(); l++) {
            for (int kind = 0; kind < 2; kind++) {
                float[] init = new float[k];
                if (start != null) {
                    for (int j = 0; j < k; j++) {
                        init[j] = -Math.abs(c[j] - start[kind][l]) / width;
                    }
                }
                NDArray a = manager.create(init);
                a.setRequiresGradient(true);
                logits.put(name(kind == 0 ? "prune" : "merge", l), a);
            }
        }
    }

    /** The parameter name of a block's logits: {@code prune.3}, {@code merge.3}. */
    static String name(String kind, int block) {
        return kind + "." + block;
    }

    /** The logits by name, updated in place by the optimizer. */
    Map<String, NDArray> logits() {
        return logits;
    }

    /** The geometry searched on. */
    TokenGeometry geometry() {
        return geometry;
    }

    /** {@code ceil(e)} forward, the gradient of {@code e} backward. */
    static NDArray ceilStraightThrough(NDArray e) {
        return e.add(e.ceil().sub(e).stopGradient());
    }

    /** The distributions' expected and hard counts and masks for one step, in {@code manager}. */
    Draw draw(NDManager manager) {
        return new Draw(manager);
    }

    /**
     * The schedule the logits stand for: {@code ceil(E)} per block, block 0 at N0, each count
     * clamped to the tokens entering its block (the running min inference applies), so the lists
     * never rise above the effective token count.
     */
    DiffRateSchedule schedule(NDManager parent) {
        try (NDManager tmp = parent.newSubManager()) {
            Draw draw = draw(tmp);
            return DiffRateProjection.clamped(new int[][] {draw.prune.clone(), draw.merge.clone()}, geometry);
        }
    }

    /**
     * {@link #schedule} lowered by {@link DiffRateProjection} until its cost is at most {@code
     * targetGmacs}: the schedule a search writes.
     */
    DiffRateSchedule schedule(NDManager parent, double targetGmacs) {
        try (NDManager tmp = parent.newSubManager()) {
            Draw draw = draw(tmp);
            float[][] expected = new float[2][geometry.depth()];
            for (int l = 1; l < geometry.depth(); l++) {
                expected[0][l] = draw.expected(l, 0).getFloat();
                expected[1][l] = draw.expected(l, 1).getFloat();
            }
            DiffRateSchedule rounded =
                    DiffRateProjection.clamped(new int[][] {draw.prune.clone(), draw.merge.clone()}, geometry);
            return DiffRateProjection.fit(rounded, expected, geometry, targetGmacs);
        }
    }

    /** One evaluation of every distribution; arrays live in the manager it was drawn in. */
    final class Draw {
        private final NDManager manager;
        private final NDArray[] probs = new NDArray[2 * geometry.depth()];
        private final NDArray[] expected = new NDArray[2 * geometry.depth()];
        /** Hard prune counts ceil(E) per block; entry 0 is N0. */
        final int[] prune = new int[geometry.depth()];
        /** Hard merge counts ceil(E) per block; entry 0 is N0. */
        final int[] merge = new int[geometry.depth()];

        private Draw(NDManager manager) {
            this.manager = manager;
            NDArray c = manager.create(candidates);
            prune[0] = geometry.tokens();
            merge[0] = geometry.tokens();
            for (int l = 1; l < geometry.depth(); l++) {
                for (int kind = 0; kind < 2; kind++) {
                    NDArray logit = logits.get(name(kind == 0 ? "prune" : "merge", l));
                    // Starting from an array of the step keeps the results in the step's manager.
                    NDArray p = manager.zeros(logit.getShape()).add(logit).softmax(0);
                    NDArray e = p.mul(c).sum();
                    probs[2 * l + kind] = p;
                    expected[2 * l + kind] = e;
                    int hard = (int) Math.ceil(e.getFloat());
                    (kind == 0 ? prune : merge)[l] = hard;
                }
            }
        }

        /** Expected count E of block l's prune ({@code kind} 0) or merge (1) distribution. */
        NDArray expected(int l, int kind) {
            return expected[2 * l + kind];
        }

        /**
         * Per block, the straight-through position masks (N0) of the prune ({@code kind} 0) or
         * merge (1) distributions: forward {@code [i < ceil(E)]}, backward the gradient of the
         * keep probabilities q_i. Entry 0 is null.
         */
        NDArray[] masks(int kind) {
            NDArray kept = manager.create(keptAt, new Shape(candidates.length, geometry.tokens()));
            NDArray ranks = manager.arange(0, geometry.tokens(), 1, DataType.FLOAT32);
            NDArray[] out = new NDArray[geometry.depth()];
            for (int l = 1; l < out.length; l++) {
                NDArray q = probs[2 * l + kind].reshape(1, -1).matMul(kept).reshape(-1);
                int hard = (kind == 0 ? prune : merge)[l];
                NDArray target = ranks.lt(hard).toType(DataType.FLOAT32, false);
                out[l] = target.add(q.sub(q.stopGradient()));
            }
            return out;
        }

        /**
         * GMACs of one image at the straight-through counts, differentiable: tokens entering block
         * l's attention {@code N_{l-1}}, leaving it {@code N_l = min(N_{l-1}, ceil(E_P),
         * ceil(E_M))}, costed as {@code CostModel} costs a block without a compensator.
         */
        NDArray gmacs() {
            double width = geometry.width();
            double d = geometry.attendedWidth(); // the blocks' width (a channel-shuffle model's Ca)
            double h = geometry.mlpWidth();
            double n0 = geometry.tokens();
            double fixed =
                    (double) geometry.patches() * width * geometry.patchValues() + width * geometry.headOutputs();
            fixed += 4 * n0 * d * d + 2 * n0 * n0 * d + 2 * n0 * d * h; // block 0 never reduces
            NDArray total = manager.full(new Shape(), (float) (fixed / 1e9));
            NDArray nIn = manager.full(new Shape(), (float) n0);
            NDArray attnPerToken = Scalars.of(manager, (float) (4 * d * d / 1e9));
            NDArray attnPerPair = Scalars.of(manager, (float) (2 * d / 1e9));
            NDArray mlpPerToken = Scalars.of(manager, (float) (2 * d * h / 1e9));
            for (int l = 1; l < geometry.depth(); l++) {
                NDArray p = ceilStraightThrough(expected(l, 0));
                NDArray m = ceilStraightThrough(expected(l, 1));
                NDArray nOut = nIn.minimum(p.minimum(m));
                total = total.add(nIn.mul(attnPerToken))
                        .add(nIn.mul(nIn).mul(attnPerPair))
                        .add(nOut.mul(mlpPerToken));
                nIn = nOut;
            }
            return total;
        }
    }
}
