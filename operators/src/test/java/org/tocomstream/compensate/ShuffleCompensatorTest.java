package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.testutils.RandomWeights;

/** A Token Compensator on a channel-shuffle model acts on the attended channels' q and v. */
class ShuffleCompensatorTest {

    private static final VitConfig CFG = VitConfig.preset("vit_shuffle_test_tiny");

    @Test
    void aPluginOfTheAttendedWidthRunsInBothModesAndAgrees() throws CheckpointException {
        int d = CFG.attendedDim(); // 48: the blocks' width, not embedDim 96
        int r = TocomTesting.CONFIG.rank();
        Map<String, HostTensor> t = new LinkedHashMap<>();
        int k = 0;
        for (int i = 0; i < CFG.depth(); i++) {
            for (TokenCompensator.Projection p : TokenCompensator.Projection.values()) {
                t.put(TokenCompensator.key(i, p, false), tensor(new long[] {r, d}, 30 + k++, 1 / Math.sqrt(d)));
                t.put(TokenCompensator.key(i, p, true), tensor(new long[] {d, r}, 30 + k++, 1 / Math.sqrt(r)));
            }
        }
        TokenCompensator plugin = TokenCompensator.of(CFG, TocomTesting.BASE_SHA, TocomTesting.CONFIG, t);
        assertThat(plugin.embedDim()).isEqualTo(48);
        float[] pixels = RandomWeights.gaussian(3, 2 * 3 * 32 * 32);
        long[] shape = {2, 3, 32, 32};
        try (VitModel model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 4), Device.cpu());
                BoundCompensator side = plugin.bind(model, CompensatorMode.SIDE_BRANCH);
                BoundCompensator merged = plugin.bind(model, CompensatorMode.MERGED)) {
            CompressionLevel level = CompressionLevel.tome(3);
            ForwardContext at = ForwardContext.at(level);
            float[][] plain = model.logits(pixels, shape, level);
            float[][] viaSide = model.logits(pixels, shape, at.withAdapter(side.adapter(level)));
            float[][] viaMerged = model.logits(pixels, shape, at.withAdapter(merged.adapter(level)));
            // As TocomIdentitiesTest: the same linear map in another order, fp32 rounding only.
            assertThat(TocomTesting.maxAbsDiff(viaSide, viaMerged)).isLessThan(1e-4f);
            assertThat(TocomTesting.maxAbsDiff(viaSide, plain)).isGreaterThan(1e-3f);
        }
    }

    private static HostTensor tensor(long[] shape, long seed, double scale) {
        float[] x = RandomWeights.gaussian(seed, (int) (shape[0] * shape[1]));
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] * scale);
        }
        return new HostTensor(shape, x);
    }
}
