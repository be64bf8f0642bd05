package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.model.IdleTesting.arrays;
import static org.tocomstream.model.IdleTesting.maxAbs;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

/** IdleViT's masked training form against its inference form ({@code src/docs/token-reduction.md}, IdleViT). */
class IdleTrainingTest {

    private static final VitConfig CFG = IdleTesting.CFG;
    private static final CompressionLevel LEVEL = CompressionLevel.idle(0.7);

    /**
     * The masked keys' softmax weight (e^-1e5) underflows to exactly 0 in float, so what differs is
     * summation order: the masked form projects q and v for all N tokens and attends over N keys,
     * the inference form over the selected ones. Measured max |Δ| 8.3e-7 on these activations of
     * magnitude ~1; 1e-5 as for the existing idle-block comparison.
     */
    private static final float TOL = 1e-5f;

    @Test
    void theMaskedFormGivesTheInferenceFormsOutputAndPassesIdleTokensThrough() {
        int n = CFG.numTokens();
        int d = CFG.embedDim();
        int batch = 3;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            VitBlock block = new VitBlock(3, CFG, arrays(m, false));
            float[] tokens = RandomWeights.gaussian(5, batch * n * d);
            NDArray x = m.create(tokens, new Shape(batch, n, d));
            int kept = (int) Math.floor(64 * 0.7);
            ForwardContext ctx = ForwardContext.at(LEVEL);
            float[] inference = IdleBlock.forward(block, VitBlock.Tokens.unmerged(x), kept, ctx)
                    .x()
                    .toFloatArray();
            IdleBlock.Masked masked = IdleBlock.masked(block, x, kept, ctx);
            float[] training = masked.x().toFloatArray();
            float[] mask = masked.mask().toFloatArray();

            assertThat(sum(mask)).isEqualTo(batch * (1 + kept));
            for (int b = 0; b < batch; b++) {
                assertThat(mask[b * n]).as("class token selected").isEqualTo(1f);
                for (int i = 0; i < n; i++) {
                    int row = (b * n + i) * d;
                    float[] got = Arrays.copyOfRange(training, row, row + d);
                    if (mask[b * n + i] == 0f) {
                        assertThat(got)
                                .as("idle token %d of sample %d", i, b)
                                .containsExactly(Arrays.copyOfRange(tokens, row, row + d));
                    }
                    VitForwardInvariantsTest.assertClose(got, Arrays.copyOfRange(inference, row, row + d), TOL);
                }
            }
            assertThat(masked.meanLogits().getShape()).isEqualTo(new Shape(batch, n, n));
        }
    }

    @Test
    void theWholeTrainingPassGivesTheInferenceLogitsAndOneViewPerIdleBlock() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> w = arrays(m, false);
            VitForward forward = new VitForward(CFG, w);
            NDArray images = m.create(RandomWeights.gaussian(4, 2 * 3 * 32 * 32), new Shape(2, 3, 32, 32));
            IdleTraining.Output out = IdleTraining.forward(forward, images, LEVEL);
            // Nine blocks' rounding differences reach the logits (measured max |Δ| 1.0e-6); 1e-4 is the
            // idle golden parity's tolerance.
            VitForwardInvariantsTest.assertClose(
                    out.logits().toFloatArray(), forward.forward(images, LEVEL).toFloatArray(), 1e-4f);
            assertThat(out.idleBlocks()).hasSize(9); // blocks 3..11 of 12
            assertThat(out.classFeature().getShape()).isEqualTo(new Shape(2, CFG.embedDim()));

            IdleTraining.Output dense = IdleTraining.forward(forward, images, CompressionLevel.none());
            assertThat(dense.idleBlocks()).isEmpty();
            assertThat(dense.logits().toFloatArray())
                    .containsExactly(
                            forward.forward(images, CompressionLevel.none()).toFloatArray());
        }
    }

    @Test
    void gradientsReachEveryWeightOfAnIdleBlockThroughTheMaskedForm() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> params = arrays(m, true);
            VitForward forward = new VitForward(CFG, params);
            NDArray images = m.create(RandomWeights.gaussian(4, 2 * 3 * 32 * 32), new Shape(2, 3, 32, 32));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                IdleTraining.Output out = IdleTraining.forward(forward, images, LEVEL);
                NDArray loss = out.logits().square().sum();
                for (IdleTraining.IdleView v : out.idleBlocks()) {
                    loss = loss.add(v.meanLogits().softmax(-1).square().sum());
                }
                gc.backward(loss);
            }
            int d = CFG.embedDim();
            for (int block : new int[] {3, 8, 11}) {
                float[] qkv = params.get(TimmKeys.block(block, TimmKeys.QKV_WEIGHT))
                        .getGradient()
                        .toFloatArray();
                for (int part = 0; part < 3; part++) {
                    assertThat(maxAbs(Arrays.copyOfRange(qkv, part * d * d, (part + 1) * d * d)))
                            .as("block %d qkv part %d", block, part)
                            .isPositive()
                            .isFinite();
                }
                for (String key : new String[] {
                    TimmKeys.PROJ_WEIGHT, TimmKeys.FC1_WEIGHT, TimmKeys.FC2_WEIGHT, TimmKeys.NORM1_WEIGHT
                }) {
                    assertThat(maxAbs(params.get(TimmKeys.block(block, key))
                                    .getGradient()
                                    .toFloatArray()))
                            .as("block %d %s", block, key)
                            .isPositive()
                            .isFinite();
                }
            }
        }
    }

    private static float sum(float[] v) {
        float s = 0;
        for (float x : v) {
            s += x;
        }
        return s;
    }
}
