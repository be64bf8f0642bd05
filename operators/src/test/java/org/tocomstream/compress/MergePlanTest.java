package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.testutils.RandomWeights;

class MergePlanTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /**
     * A hand-made 7-token case (src/docs/token-reduction.md, ToMe invariants). Even positions form set A = {0, 2, 4,
     * 6}, odd positions B = {1, 3, 5}. Directions in degrees, with different norms so the
     * normalisation matters: t0 (cls) 0°, t1 0°, t2 85°, t3 90°, t4 170°, t5 180°, t6 30°.
     * Best partners: t2→t3 (cos 5°), t4→t5 (cos 10°), t6→t1 (cos 30°); the cls row is -inf.
     */
    @Nested
    class HandMadeMatching {

        private NDArray metric() {
            double[] deg = {0, 0, 85, 90, 170, 180, 30};
            double[] norm = {1, 3, 0.5, 2, 7, 1.5, 4};
            float[] v = new float[14];
            for (int i = 0; i < 7; i++) {
                v[2 * i] = (float) (norm[i] * Math.cos(Math.toRadians(deg[i])));
                v[2 * i + 1] = (float) (norm[i] * Math.sin(Math.toRadians(deg[i])));
            }
            return manager.create(v, new Shape(1, 7, 2));
        }

        /** Token i carries the value 10^i in its only channel, so sums reveal who merged. */
        private NDArray ids() {
            float[] v = new float[7];
            for (int i = 0; i < 7; i++) {
                v[i] = (float) Math.pow(10, i);
            }
            return manager.create(v, new Shape(1, 7, 1));
        }

        @Test
        void mergesTheTwoMostSimilarPairsAndKeepsClassFirst() {
            MergePlan plan = MergePlan.bipartite(metric(), 2, 1);

            assertThat(plan.removed()).isEqualTo(2);
            // A indices 1 (t2) and 2 (t4) merge; kept A indices ascending: 0 (cls), 3 (t6).
            assertThat(plan.sourceIndices().toLongArray()).containsExactly(1, 2);
            assertThat(plan.keptIndices().toLongArray()).containsExactly(0, 3);
            // Output order [kept A..., all B...] = [t0, t6, t1, t3+t2, t5+t4].
            assertThat(plan.mergeSum(ids()).toFloatArray()).containsExactly(1f, 1e6f, 10f, 1e3f + 1e2f, 1e5f + 1e4f);
        }

        @Test
        void clampsToHalfTheUnprotectedTokensAndNeverMergesTheClassToken() {
            MergePlan plan = MergePlan.bipartite(metric(), 100, 1);

            assertThat(plan.removed()).isEqualTo(3); // floor((7 - 1) / 2)
            assertThat(plan.keptIndices().toLongArray()).containsExactly(0);
            assertThat(plan.mergeSum(ids()).toFloatArray()).containsExactly(1f, 10f + 1e6f, 1e3f + 1e2f, 1e5f + 1e4f);
        }

        @Test
        void protectsADistillationTokenAtPositionOne() {
            // With t1 protected (column 0 is -inf), t6's best partner becomes t3 (cos 60°).
            MergePlan plan = MergePlan.bipartite(metric(), 3, 2);

            assertThat(plan.removed()).isEqualTo(2); // floor((7 - 2) / 2)
            // Order: class, distillation, kept A (t6), remaining B (t3+t2, t5+t4).
            assertThat(plan.mergeSum(ids()).toFloatArray()).containsExactly(1f, 10f, 1e6f, 1e3f + 1e2f, 1e5f + 1e4f);
        }

        @Test
        void zeroIsTheIdentity() {
            MergePlan plan = MergePlan.bipartite(metric(), 0, 1);
            NDArray x = ids();

            assertThat(plan.isIdentity()).isTrue();
            assertThat(plan.mergeSum(x)).isSameAs(x);
        }
    }

    @Test
    void sizeWeightedMergeConservesMassAndSize() {
        // Size-weighted merge: Σ size = N stays exact; Σ size·x is conserved.
        int b = 3;
        int n = 23;
        int d = 5;
        NDArray x = manager.create(RandomWeights.gaussian(1, b * n * d), new Shape(b, n, d));
        float[] s = new float[b * n];
        for (int i = 0; i < s.length; i++) {
            s[i] = 1 + (i * 7919 % 5); // positive integers
        }
        NDArray size = manager.create(s, new Shape(b, n, 1));
        NDArray metric = manager.create(RandomWeights.gaussian(2, b * n * 4), new Shape(b, n, 4));

        MergePlan plan = MergePlan.bipartite(metric, 7, 1);
        NDArray[] merged = plan.mergeWeighted(x, size);

        assertThat(merged[0].getShape()).isEqualTo(new Shape(b, n - 7, d));
        float[] before = x.mul(size).sum(new int[] {1}).toFloatArray();
        float[] after = merged[0].mul(merged[1]).sum(new int[] {1}).toFloatArray();
        for (int i = 0; i < before.length; i++) {
            // Relative 1e-5: float32 sums of ~23 terms of order 1, in a different order.
            assertThat(after[i]).isCloseTo(before[i], within(1e-5f * Math.max(1, Math.abs(before[i]))));
        }
        float[] sizeBefore = size.sum(new int[] {1}).toFloatArray();
        assertThat(merged[1].sum(new int[] {1}).toFloatArray()).containsExactly(sizeBefore);
        // The class token keeps index 0 and size 1.
        float[] newSize = merged[1].toFloatArray();
        for (int i = 0; i < b; i++) {
            assertThat(newSize[i * (n - 7)]).isEqualTo(s[i * n]);
        }
    }
}
