package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

/**
 * src/docs/token-reduction.md, Token Compensator invariants: the compensator leaves keys alone, so ToMe's first-block matching
 * (computed from the keys of identical inputs) is the same with and without it. Lives in the model
 * package to read the forward trace.
 */
class TocomMatchingInvariantTest {

    private static final VitConfig TINY = new VitConfig("tocom_test", 16, 4, 3, 5, 32, 3, 2, 2.0, true, false, 1e-6);

    @Test
    void firstBlockMatchingIsInvariantToThePluginInBothModes() throws Exception {
        CompensatorConfig config = new CompensatorConfig(2, 4, 1.0);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        long seed = 100;
        for (int i = 0; i < TINY.depth(); i++) {
            for (TokenCompensator.Projection p : TokenCompensator.Projection.values()) {
                t.put(
                        TokenCompensator.key(i, p, false),
                        new HostTensor(new long[] {8, 32}, RandomWeights.gaussian(seed++, 256)));
                t.put(
                        TokenCompensator.key(i, p, true),
                        new HostTensor(new long[] {32, 8}, RandomWeights.gaussian(seed++, 256)));
            }
        }
        TokenCompensator plugin = TokenCompensator.of(TINY, "x", config, t);
        float[] pixels = RandomWeights.gaussian(7, 4 * 3 * 16 * 16);
        long[] shape = {4, 3, 16, 16};
        CompressionLevel level = CompressionLevel.tome(4);
        try (VitModel model = VitModel.fromWeights(TINY, RandomWeights.of(TINY, 3), Device.cpu())) {
            ForwardTrace plain = new ForwardTrace(TINY.depth());
            float[][] plainLogits =
                    model.logits(pixels, shape, ForwardContext.at(level).withTrace(plain));
            for (CompensatorMode mode : CompensatorMode.values()) {
                try (BoundCompensator tocom = plugin.bind(model, mode)) {
                    ForwardTrace with = new ForwardTrace(TINY.depth());
                    float[][] logits = model.logits(
                            pixels,
                            shape,
                            ForwardContext.at(level)
                                    .withAdapter(tocom.adapter(level))
                                    .withTrace(with));
                    assertThat(with.mergeBlocks.get(0))
                            .isEqualTo(plain.mergeBlocks.get(0))
                            .isZero();
                    assertThat(with.mergeSources.get(0)).as(mode.name()).containsExactly(plain.mergeSources.get(0));
                    // The plugin (scale 1, unit-variance weights) does change the output.
                    assertThat(logits[0][0]).isNotEqualTo(plainLogits[0][0]);
                }
            }
        }
    }
}
