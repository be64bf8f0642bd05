package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenCounts;
import org.tocomstream.testutils.RandomWeights;

/** The ToMe and EViT invariants of {@code src/docs/token-reduction.md} checked on the real forward pass. */
class VitForwardInvariantsTest {

    @Nested
    class Attention {

        @Test
        void proportionalAttentionWithUnitSizesIsPlainAttentionBitForBit() {
            // log 1 = 0 exactly, so adding it changes no bit.
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                NDArray q = m.create(RandomWeights.gaussian(1, 2 * 3 * 9 * 4), new Shape(2, 3, 9, 4));
                NDArray k = m.create(RandomWeights.gaussian(2, 2 * 3 * 9 * 4), new Shape(2, 3, 9, 4));
                NDArray plain = VitBlock.attentionWeights(q, k, null);
                NDArray unit = VitBlock.attentionWeights(q, k, m.ones(new Shape(2, 9, 1)));
                assertThat(unit.toFloatArray()).containsExactly(plain.toFloatArray());
            }
        }

        @Test
        void proportionalAttentionEqualsAttentionOverDuplicatedKeys() {
            // Item 4: a key of size s weighs like s copies of itself. Sizes 1, 3, 1, 2.
            int[] sizes = {1, 3, 1, 2};
            int d = 4;
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                float[] kv = RandomWeights.gaussian(3, 4 * d);
                float[] vv = RandomWeights.gaussian(4, 4 * d);
                NDArray q = m.create(RandomWeights.gaussian(5, 2 * d), new Shape(1, 1, 2, d));
                NDArray k = m.create(kv, new Shape(1, 1, 4, d));
                NDArray v = m.create(vv, new Shape(1, 1, 4, d));
                float[] s = {1, 3, 1, 2};
                NDArray merged = VitBlock.attentionWeights(q, k, m.create(s, new Shape(1, 4, 1)))
                        .matMul(v);

                int total = 7;
                float[] ke = new float[total * d];
                float[] ve = new float[total * d];
                int row = 0;
                for (int j = 0; j < 4; j++) {
                    for (int c = 0; c < sizes[j]; c++, row++) {
                        System.arraycopy(kv, j * d, ke, row * d, d);
                        System.arraycopy(vv, j * d, ve, row * d, d);
                    }
                }
                NDArray expanded = VitBlock.attentionWeights(q, m.create(ke, new Shape(1, 1, total, d)), null)
                        .matMul(m.create(ve, new Shape(1, 1, total, d)));
                assertClose(merged.toFloatArray(), expanded.toFloatArray(), 1e-5f);
            }
        }
    }

    /** DeiT-S shapes with random weights: token counts and sizes through the whole network. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class DeitSmallShapes {

        private VitModel model;
        private float[] pixels;
        private final long[] shape = {2, 3, 224, 224};

        @BeforeAll
        void load() {
            VitConfig cfg = VitConfig.preset("deit_small_patch16_224");
            model = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 7), Device.cpu());
            pixels = RandomWeights.gaussian(11, 2 * 3 * 224 * 224);
        }

        @AfterAll
        void close() {
            model.close();
        }

        @Test
        void tomeSixteenClampsInTheLastBlock() {
            ForwardTrace trace = run(CompressionLevel.tome(16));
            // Item 5: r = 16 clamps to 10 in block 12.
            assertThat(trace.tokensAfterBlock).containsExactly(181, 165, 149, 133, 117, 101, 85, 69, 53, 37, 21, 11);
        }

        @Test
        void constantScheduleBelowSixteenRemovesRPerBlock() {
            for (int r : new int[] {1, 8, 13, 15}) {
                ForwardTrace trace = run(CompressionLevel.tome(r));
                for (int l = 0; l < 12; l++) {
                    assertThat(trace.tokensAfterBlock[l])
                            .as("r=%d block %d", r, l)
                            .isEqualTo(197 - (l + 1) * r);
                }
            }
        }

        @Test
        void sizesArePositiveIntegersSummingToTheInputTokensWithClassFirst() {
            // Item 6, after every block of a decreasing schedule (largest early merges).
            ForwardTrace trace = run(CompressionLevel.tomeDecreasing(8));
            for (int l = 0; l < 12; l++) {
                float[] s = trace.sizesAfterBlock.get(l);
                int n = (int) trace.tokensAfterBlock[l];
                for (int b = 0; b < 2; b++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        float v = s[b * n + i];
                        assertThat(v).isPositive().isEqualTo((float) Math.rint(v));
                        sum += v;
                    }
                    assertThat(sum).isEqualTo(197.0);
                    assertThat(s[b * n]).as("class token size").isEqualTo(1f);
                }
            }
        }

        @Test
        void evitKeepsCeilOfRateAndAddsOneFusedToken() {
            // Item 17: κ = 0.7 → 197 / 140 / 100 / 72.
            ForwardTrace trace = run(CompressionLevel.evit(0.7));
            assertThat(trace.tokensAfterBlock).containsExactly(197, 197, 197, 140, 140, 140, 100, 100, 100, 72, 72, 72);
            assertThat(trace.tokensAfterBlock)
                    .containsExactly(java.util.Arrays.stream(
                                    TokenCounts.afterEachBlock(model.config().geometry(), CompressionLevel.evit(0.7)))
                            .asLongStream()
                            .toArray());
        }

        @Test
        void levelIsPerCallState() {
            // Alternating levels on one model gives the same results as fresh calls.
            float[][] a = model.logits(pixels, shape, CompressionLevel.tome(8));
            float[][] plain = model.logits(pixels, shape, CompressionLevel.none());
            float[][] b = model.logits(pixels, shape, CompressionLevel.tome(8));
            assertThat(b).isDeepEqualTo(a);
            assertThat(plain[0]).isNotEqualTo(a[0]);
        }

        private ForwardTrace run(CompressionLevel level) {
            ForwardTrace trace = new ForwardTrace(12);
            model.logits(pixels, shape, ForwardContext.at(level).withTrace(trace));
            return trace;
        }
    }

    @Test
    void mergingExactDuplicatePairsIsLossless() {
        // Item 8: tokens at (2k, 2k+1) are exact duplicates for k in {2, 5, 9, 14}. ToMe with
        // r = 4 in block 3 must merge exactly those pairs, and with proportional attention the
        // rest of the network must see the same function: logits equal the r = 0 run.
        VitConfig cfg = VitConfig.preset("vit_test_tiny");
        Set<Integer> pairs = Set.of(2, 5, 9, 14);
        int n = cfg.numTokens();
        int d = cfg.embedDim();
        float[] tokens = RandomWeights.gaussian(21, n * d);
        for (int k : pairs) {
            System.arraycopy(tokens, 2 * k * d, tokens, (2 * k + 1) * d, d);
        }
        Map<String, NDArray> w = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            RandomWeights.of(cfg, 3)
                    .forEach((key, t) -> w.put(key, m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
            VitForward forward = new VitForward(cfg, w);
            int[] schedule = new int[12];
            schedule[3] = pairs.size();
            CompressionLevel level = CompressionLevel.tomeSchedule(schedule);

            ForwardTrace trace = new ForwardTrace(12);
            float[] merged = forward.fromBlock(
                            m.create(tokens, new Shape(1, n, d)),
                            3,
                            ForwardContext.at(level).inPlace().withTrace(trace))
                    .toFloatArray();
            float[] plain = forward.fromBlock(
                            m.create(tokens, new Shape(1, n, d)),
                            3,
                            ForwardContext.at(CompressionLevel.none()).inPlace())
                    .toFloatArray();

            // Even-position token 2k is A-set index k: exactly the chosen pairs were merged.
            assertThat(trace.mergeSources).hasSize(1);
            assertThat(trace.mergeSources.get(0)).containsExactlyInAnyOrder(2, 5, 9, 14);
            assertThat(trace.tokensAfterBlock[3]).isEqualTo(n - 4);
            // 1e-5: float32 attention sums over 61 vs 65 keys in different orders.
            assertClose(merged, plain, 1e-5f);
        }
    }

    static void assertClose(float[] actual, float[] expected, float tol) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(tol));
        }
    }
}
