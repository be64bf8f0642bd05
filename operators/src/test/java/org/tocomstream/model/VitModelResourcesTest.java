package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

class VitModelResourcesTest {

    private static final VitConfig CFG = VitConfig.preset("deit_test_tiny_distilled");

    @Test
    void callsLeaveNoNativeArraysBehind() {
        try (VitModel model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 1), Device.cpu())) {
            int weights = model.liveArrays();
            float[] px = RandomWeights.gaussian(2, 4 * 3 * 32 * 32);
            String[] levels = {"none", "tome:4", "tome-decreasing:8", "evit:0.7", "tome:8,0,8"};
            for (int i = 0; i < 50; i++) {
                model.logits(px, new long[] {4, 3, 32, 32}, CompressionLevel.parse(levels[i % levels.length]));
            }
            assertThat(model.liveArrays()).isEqualTo(weights);
        }
    }

    @Test
    void wrongInputShapeIsAClearError() {
        try (VitModel model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 1), Device.cpu())) {
            assertThatThrownBy(() -> model.logits(
                            new float[2 * 3 * 16 * 16], new long[] {2, 3, 16, 16}, CompressionLevel.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[2, 3, 16, 16]")
                    .hasMessageContaining("[B, 3, 32, 32]");
            assertThatThrownBy(() -> model.logits(new float[10], new long[] {2, 3, 32, 32}, CompressionLevel.none()))
                    .hasMessageContaining("needs 6144 values but 10 were given");
        }
    }

    @Test
    void unknownPresetNamesTheKnownOnes() {
        assertThatThrownBy(() -> VitConfig.preset("deit_huge"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown preset 'deit_huge'")
                .hasMessageContaining("deit_small_patch16_224");
    }
}
