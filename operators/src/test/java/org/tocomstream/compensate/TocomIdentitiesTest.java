package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.QvAdapter;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitModel;
import org.tocomstream.testutils.RandomWeights;

/** The Token Compensator invariants of {@code src/docs/token-reduction.md} (masks and pairs, weight-space identities, the plain cases) on a tiny model. */
class TocomIdentitiesTest {

    private static final TokenCompensator PLUGIN = TocomTesting.randomPlugin(10);

    /** Item 12: weight-space arithmetic. */
    @Nested
    class Arithmetic {

        // The deltas are float32 roundings of double sums; adding two of them may differ from the
        // third by a few ulps of entries of order 1.
        private static final float SUM_TOLERANCE = 1e-5f;

        @Test
        void samePairIsZeroAndReversingNegatesExactly() {
            for (int block = 0; block < 3; block++) {
                for (Projection p : Projection.values()) {
                    assertThat(delta(block, p, 2, 2)).containsOnly(0f);
                    float[] forward = delta(block, p, 1, 4);
                    float[] back = delta(block, p, 4, 1);
                    for (int i = 0; i < forward.length; i++) {
                        assertThat(back[i]).isEqualTo(-forward[i]);
                    }
                    assertThat(forward).isNotEqualTo(new float[forward.length]);
                }
            }
        }

        @Test
        void deltasChainAndAreDifferencesOfOneFunction() {
            int[][] triples = {{0, 2, 4}, {4, 1, 3}, {3, 3, 0}, {1, 4, 2}};
            for (int block = 0; block < 3; block++) {
                for (Projection p : Projection.values()) {
                    for (int[] t : triples) {
                        float[] ab = delta(block, p, t[0], t[1]);
                        float[] bc = delta(block, p, t[1], t[2]);
                        float[] ac = delta(block, p, t[0], t[2]);
                        float[] f = delta(block, p, 0, t[2]);
                        float[] g = delta(block, p, 0, t[0]);
                        for (int i = 0; i < ab.length; i++) {
                            assertThat(ab[i] + bc[i])
                                    .isCloseTo(ac[i], org.assertj.core.data.Offset.offset(SUM_TOLERANCE));
                            // Δ(a→c) = f(c) − f(a) with f(r) = Δ(0→r)
                            assertThat(f[i] - g[i])
                                    .isCloseTo(ac[i], org.assertj.core.data.Offset.offset(SUM_TOLERANCE));
                        }
                    }
                }
            }
        }

        @Test
        void scaleIsLinear() {
            float[] one = delta(1, Projection.V, 0, 3);
            float[] half = PLUGIN.delta(1, Projection.V, new CompensatorPair(0, 3), 0.5)
                    .data();
            for (int i = 0; i < one.length; i++) {
                assertThat(half[i]).isCloseTo(one[i] / 2, org.assertj.core.data.Offset.offset(1e-7f));
            }
        }

        private float[] delta(int block, Projection p, int m, int n) {
            return PLUGIN.delta(block, p, new CompensatorPair(m, n), 1.0).data();
        }
    }

    /** Items 11 and 13 on the real forward pass; the model was trained at m = 2. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Forward {

        private VitModel model;
        private BoundCompensator side;
        private BoundCompensator merged;
        private final float[] pixels = TocomTesting.pixels(4, 21);
        private final long[] shape = TocomTesting.shape(4);

        @BeforeAll
        void load() {
            model = VitModel.fromWeights(
                    TocomTesting.spec().withTrainedCompression(CompressionLevel.tome(2)),
                    RandomWeights.of(TocomTesting.TINY, 5),
                    Device.cpu());
            side = PLUGIN.bind(model, CompensatorMode.SIDE_BRANCH);
            merged = PLUGIN.bind(model, CompensatorMode.MERGED);
        }

        @AfterAll
        void close() {
            side.close();
            merged.close();
            model.close();
        }

        @Test
        void samePairAndZeroScaleGiveThePlainCompressedModelExactly() {
            // Item 11: nothing is applied, so the forward pass takes the plain path bit for bit.
            CompressionLevel level = CompressionLevel.tome(2);
            assertThat(side.pairFor(level)).contains(new CompensatorPair(2, 2));
            assertThat(side.adapter(level)).isNull();
            assertThat(side.adapter(new CompensatorPair(0, 3), CompensatorMode.SIDE_BRANCH, 0))
                    .isNull();
            assertThat(merged.adapter(new CompensatorPair(3, 3), CompensatorMode.MERGED, 0.5))
                    .isNull();
            assertThat(model.logits(pixels, shape, ForwardContext.at(level).withAdapter(side.adapter(level))))
                    .isDeepEqualTo(model.logits(pixels, shape, level));
            // A level the plugin does not cover (EViT) applies nothing either.
            assertThat(side.adapter(CompressionLevel.evit(0.5, 1))).isNull();
        }

        @Test
        void aZeroPluginChangesNoBitInEitherMode() {
            // Item 15's zero-up case: the side branch adds exact zeros, the merged weight equals W.
            TokenCompensator zero = TokenCompensator.initial(TocomTesting.TINY, "x", TocomTesting.CONFIG, 4);
            try (BoundCompensator s = zero.bind(model, CompensatorMode.SIDE_BRANCH);
                    BoundCompensator m = zero.bind(model, CompensatorMode.MERGED)) {
                CompressionLevel level = CompressionLevel.tome(4);
                float[][] plain = model.logits(pixels, shape, level);
                assertThat(s.adapter(level)).isNotNull();
                ForwardContext at = ForwardContext.at(level);
                assertThat(model.logits(pixels, shape, at.withAdapter(s.adapter(level))))
                        .isDeepEqualTo(plain);
                assertThat(model.logits(pixels, shape, at.withAdapter(m.adapter(level))))
                        .isDeepEqualTo(plain);
            }
        }

        @Test
        void mergedWeightsEqualTheSideBranch() {
            // Item 13: the same linear map computed in another order; fp32 rounding only.
            float tolerance = 1e-4f;
            for (int n = 0; n <= 4; n++) {
                CompressionLevel level = CompressionLevel.tome(n);
                if (n == 2) {
                    continue;
                }
                float[][] plain = model.logits(pixels, shape, level);
                ForwardContext at = ForwardContext.at(level);
                float[][] viaSide = model.logits(pixels, shape, at.withAdapter(side.adapter(level)));
                float[][] viaMerged = model.logits(pixels, shape, at.withAdapter(merged.adapter(level)));
                assertThat(TocomTesting.maxAbsDiff(viaSide, viaMerged))
                        .as("n=%d", n)
                        .isLessThan(tolerance);
                // ... and the plugin does change the output, so the comparison is not vacuous.
                assertThat(TocomTesting.maxAbsDiff(viaSide, plain))
                        .as("n=%d", n)
                        .isGreaterThan(1e-3f);
            }
        }

        @Test
        void mergedWeightChangesQAndVRowsByTheDeltaAndKeepsKeysBitForBit() {
            CompensatorPair pair = new CompensatorPair(2, 4);
            QvAdapter a = merged.adapter(pair, CompensatorMode.MERGED, 0.5);
            int d = TocomTesting.TINY.embedDim();
            HostTensor w = RandomWeights.of(TocomTesting.TINY, 5).get(TimmKeys.block(1, TimmKeys.QKV_WEIGHT));
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray base = m.create(w.data(), new Shape(w.shape()));
                float[] out = a.qkvWeight(1, base).toFloatArray();
                float[] want = w.data();
                assertThat(Arrays.copyOfRange(out, d * d, 2 * d * d))
                        .containsExactly(Arrays.copyOfRange(want, d * d, 2 * d * d));
                float[] dq = PLUGIN.delta(1, Projection.Q, pair, 0.5).data();
                float[] dv = PLUGIN.delta(1, Projection.V, pair, 0.5).data();
                for (int i = 0; i < d * d; i++) {
                    // float32 matmul of rank 4 vs a double-accumulated reference: ~1e-7 relative
                    assertThat(out[i] - want[i]).isCloseTo(dq[i], org.assertj.core.data.Offset.offset(1e-5f));
                    assertThat(out[2 * d * d + i] - want[2 * d * d + i])
                            .isCloseTo(dv[i], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }

        @Test
        void sideBranchReturnsOnlyQAndVParts() {
            // Keys are untouched by construction: the hook yields exactly {dq, dv}.
            QvAdapter a = side.adapter(new CompensatorPair(2, 0), CompensatorMode.SIDE_BRANCH, 0.5);
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray h = m.create(RandomWeights.gaussian(3, 2 * 5 * 32), new Shape(2, 5, 32));
                NDArray[] delta = a.qvDelta(0, h);
                assertThat(delta).hasSize(2);
                assertThat(delta[0].getShape()).isEqualTo(new Shape(2, 5, 32));
                assertThat(delta[0].getManager()).isSameAs(h.getManager());
                NDArray base = m.create(new float[3 * 32 * 32], new Shape(96, 32));
                assertThat(a.qkvWeight(0, base)).isSameAs(base);
            }
        }

        @Test
        void switchingPairsIsACachedLookUp() {
            QvAdapter first = side.adapter(CompressionLevel.tome(3));
            QvAdapter other = side.adapter(CompressionLevel.tome(0));
            assertThat(side.adapter(CompressionLevel.tome(3))).isSameAs(first);
            assertThat(other).isNotSameAs(first);
            assertThat(side.adapter(new CompensatorPair(2, 3), CompensatorMode.SIDE_BRANCH, 0.5))
                    .isSameAs(first);
        }

        @Test
        void aLevelBeyondThePluginsRangeIsAnError() {
            assertThatThrownBy(() -> side.adapter(CompressionLevel.tome(5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("compensator pair 2->5 is outside the degree range 0..4 of plugin tensors");
        }

        @Test
        void bindingToAModelOfAnotherShapeIsAnError() {
            TokenCompensator wide = TokenCompensator.initial(
                    new org.tocomstream.model.VitConfig("wide", 16, 4, 3, 5, 64, 3, 2, 2.0, true, false, 1e-6),
                    "x",
                    TocomTesting.CONFIG,
                    0);
            assertThatThrownBy(() -> wide.bind(model, CompensatorMode.SIDE_BRANCH))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(
                            "new plugin fits 3 blocks of width 64 (base wide) but model tocom_test has 3 blocks of width 32");
        }
    }
}
