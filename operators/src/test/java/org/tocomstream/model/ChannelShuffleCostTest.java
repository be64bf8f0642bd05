package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;

/** The cost model of the channel-shuffle ViT against hand counts ({@code src/docs/student.md}). */
class ChannelShuffleCostTest {

    @Test
    void theTestPresetCostsItsHandCount() {
        CostModel cost = CostModel.of(VitConfig.preset("vit_shuffle_test_tiny").geometry());
        // N = 65 tokens, attended width Ca = 48, MLP hidden 4·48 = 192, residual width C = 96.
        long block = 4L * 65 * 48 * 48 + 2L * 65 * 65 * 48 + 2L * 65 * 48 * 192;
        assertThat(block).isEqualTo(2_202_720L);
        assertThat(cost.blockMacs(CompressionLevel.none())).containsOnly(block);
        assertThat(cost.patchEmbedMacs()).isEqualTo(64L * 96 * 48); // 64 patches, C = 96, 3·4·4 values
        assertThat(cost.headMacs()).isEqualTo(96L * 10);
        assertThat(cost.macs(CompressionLevel.none())).isEqualTo(12 * block + 64L * 96 * 48 + 96L * 10);
    }

    @Test
    void theDeitTinySizedPresetMatchesTheResearchNotesTable() {
        // 12 blocks at N = 197, Ca = 192, MLP 768; patch embedding and head at C = 384.
        long block = 4L * 197 * 192 * 192 + 2L * 197 * 197 * 192 + 2L * 197 * 192 * 768;
        long total = 12 * block + 196L * 384 * 768 + 384L * 1000;
        CostModel shuffle = CostModel.of(VitConfig.preset("vit_shuffle_tiny").geometry());
        CostModel deitTiny =
                CostModel.of(VitConfig.preset("deit_tiny_patch16_224").geometry());
        assertThat(shuffle.macs(CompressionLevel.none())).isEqualTo(total);
        assertThat(shuffle.gmacs(CompressionLevel.none())).isCloseTo(1.283, within(0.0005));
        // Only the wider patch embedding and head cost more: under 0.03 GMACs.
        assertThat(shuffle.macs(CompressionLevel.none()) - deitTiny.macs(CompressionLevel.none()))
                .isEqualTo(196L * 192 * 768 + 192L * 1000);
    }

    @Test
    void everyLevelCostsTheBlocksOfThePlainModelOfTheAttendedWidth() {
        CostModel shuffle =
                CostModel.of(VitConfig.preset("vit_demo_shuffle_tiny").geometry());
        CostModel plain = CostModel.of(VitConfig.preset("vit_demo_tiny").geometry());
        for (String text : List.of(
                "none",
                "tome:4",
                "tome-decreasing:6",
                "evit:0.7",
                "idle:0.7",
                "reuse:0.25",
                "reuse:0.25,attn=accumulate")) {
            CompressionLevel level = CompressionLevel.parse(text);
            assertThat(shuffle.blockMacs(level)).as(text).containsExactly(plain.blockMacs(level));
        }
        // GTP's propagation moves whole tokens: K·P·C with C = 96 instead of 48.
        CompressionLevel gtp = CompressionLevel.parse("gtp:4,graph=spatial,scale=off");
        long[] s = shuffle.blockMacs(gtp);
        long[] p = plain.blockMacs(gtp);
        long kept = 65 - 4 - 1;
        assertThat(s[0] - p[0]).isEqualTo(kept * 4 * (96 - 48));
    }
}
