package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.model.IdleTesting.arrays;
import static org.tocomstream.model.IdleTesting.maxAbs;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenCounts;
import org.tocomstream.testutils.RandomWeights;

/** IdleViT's idle blocks on the real forward pass ({@code src/docs/token-reduction.md}, IdleViT invariants). */
class IdleForwardTest {

    private static final VitConfig CFG = IdleTesting.CFG;
    private static final CompressionLevel LEVEL = CompressionLevel.idle(0.7);

    @Test
    void idleTokensPassThroughBitForBitAndSelectedOnesRunTheDenseBlock() {
        int n = CFG.numTokens();
        int d = CFG.embedDim();
        int batch = 3;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> w = arrays(m, false);
            VitBlock block = new VitBlock(3, CFG, w);
            float[] tokens = RandomWeights.gaussian(5, batch * n * d);
            ForwardTrace trace = new ForwardTrace(12);
            float[] out = block.forward(
                            VitBlock.Tokens.unmerged(m.create(tokens, new Shape(batch, n, d))),
                            0,
                            ForwardContext.at(LEVEL).withTrace(trace))
                    .x()
                    .toFloatArray();
            int selected = 1 + (int) Math.floor(64 * 0.7);
            assertThat(trace.selectedInBlock[3]).isEqualTo(selected);
            assertThat(trace.tokensAfterBlock[3]).isEqualTo(n);
            long[] positions = trace.selectedPositions.get(3);
            for (int b = 0; b < batch; b++) {
                long[] sel = Arrays.copyOfRange(positions, b * selected, (b + 1) * selected);
                assertThat(sel[0]).as("class token first").isZero();
                Set<Long> chosen = new HashSet<>();
                Arrays.stream(sel).forEach(chosen::add);
                assertThat(chosen).hasSize(selected);
                float[] subset = new float[selected * d];
                for (int i = 0; i < n; i++) {
                    int row = (b * n + i) * d;
                    if (!chosen.contains((long) i)) {
                        assertThat(Arrays.copyOfRange(out, row, row + d))
                                .as("idle token %d of sample %d", i, b)
                                .containsExactly(Arrays.copyOfRange(tokens, row, row + d));
                    }
                }
                for (int j = 0; j < selected; j++) {
                    System.arraycopy(tokens, (int) (b * n + sel[j]) * d, subset, j * d, d);
                }
                // The dense block on the selected tokens alone: same values up to summation order
                // (keys come from the all-token projection there, from the subset's here): 1e-5.
                float[] dense = new VitBlock(3, CFG, w)
                        .forward(
                                VitBlock.Tokens.unmerged(m.create(subset, new Shape(1, selected, d))),
                                0,
                                ForwardContext.at(CompressionLevel.none()))
                        .x()
                        .toFloatArray();
                for (int j = 0; j < selected; j++) {
                    int row = (int) (b * n + sel[j]) * d;
                    VitForwardInvariantsTest.assertClose(
                            Arrays.copyOfRange(out, row, row + d),
                            Arrays.copyOfRange(dense, j * d, (j + 1) * d),
                            1e-5f);
                }
            }
        }
    }

    @Test
    void wholeForwardComputesTheCountedTokensAndKeepsN() {
        try (VitModel model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 3), Device.cpu())) {
            float[] pixels = RandomWeights.gaussian(9, 2 * 3 * 32 * 32);
            long[] shape = {2, 3, 32, 32};
            for (String text : new String[] {"idle:0.7", "idle:0.5@4,5,6,7,8,9,10,11", "idle:0.8,0.3@1,6"}) {
                CompressionLevel level = CompressionLevel.parse(text);
                ForwardTrace trace = new ForwardTrace(12);
                float[][] inPlace =
                        model.logits(pixels, shape, ForwardContext.at(level).withTrace(trace));
                int[] computed = TokenCounts.computedEachBlock(CFG.geometry(), level);
                for (int l = 0; l < 12; l++) {
                    assertThat(trace.tokensAfterBlock[l])
                            .as("%s block %d", text, l)
                            .isEqualTo(CFG.numTokens());
                    long expected = TokenCounts.idleKept(level, l, 12, 64) >= 0 ? computed[l] : 0;
                    assertThat(trace.selectedInBlock[l])
                            .as("%s block %d", text, l)
                            .isEqualTo(expected);
                }
                assertThat(model.logits(pixels, shape, level)).as(text).isDeepEqualTo(inPlace);
                assertThat(inPlace[0]).isNotEqualTo(model.logits(pixels, shape, CompressionLevel.none())[0]);
            }
        }
    }

    @Test
    void gradientsReachEveryWeightOfAnIdleBlock() {
        // Training at an idle level runs this inference form: the selection has no gradient, but
        // the block's computation on the selected tokens (keys from the all-token projection
        // included) does.
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> params = arrays(m, true);
            VitForward forward = new VitForward(CFG, params);
            NDArray images = m.create(RandomWeights.gaussian(4, 2 * 3 * 32 * 32), new Shape(2, 3, 32, 32));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(forward.forward(images, LEVEL).square().sum());
            }
            int d = CFG.embedDim();
            for (int block : new int[] {3, 8, 11}) {
                float[] qkv = params.get(TimmKeys.block(block, TimmKeys.QKV_WEIGHT))
                        .getGradient()
                        .toFloatArray();
                for (int part = 0; part < 3; part++) {
                    float[] rows = Arrays.copyOfRange(qkv, part * d * d, (part + 1) * d * d);
                    assertThat(maxAbs(rows))
                            .as("block %d qkv part %d", block, part)
                            .isPositive()
                            .isFinite();
                }
                for (String key : new String[] {TimmKeys.PROJ_WEIGHT, TimmKeys.FC1_WEIGHT, TimmKeys.NORM1_WEIGHT}) {
                    float[] g =
                            params.get(TimmKeys.block(block, key)).getGradient().toFloatArray();
                    assertThat(maxAbs(g))
                            .as("block %d %s", block, key)
                            .isPositive()
                            .isFinite();
                }
            }
        }
    }
}
