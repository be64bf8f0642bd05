package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tocomstream.model.VitConfig;

class TokenCountsTest {

    private static final TokenGeometry DEIT =
            VitConfig.preset("deit_base_patch16_224").geometry();
    private static final TokenGeometry DEIT_DISTILLED =
            VitConfig.preset("deit_base_distilled_patch16_224").geometry();

    @Nested
    class ToMe {

        @Test
        void rSixteenClampsInTheLastBlock() {
            // The clamp: 21 tokens enter block 12, at most (21 - 1) / 2 = 10 merge.
            assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.tome(16)))
                    .containsExactly(181, 165, 149, 133, 117, 101, 85, 69, 53, 37, 21, 11);
        }

        @ParameterizedTest(name = "r = {0}")
        @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
        void constantRUpToFifteenNeverClamps(int r) {
            int[] expected = IntStream.rangeClosed(1, 12).map(l -> 197 - l * r).toArray();

            assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.tome(r)))
                    .containsExactly(expected);
        }

        @Test
        void distilledRSixteenClampsOnTwoProtectedTokens() {
            // 198 tokens (class + distillation + 196); 22 enter block 12, (22 - 2) / 2 = 10 merge.
            assertThat(TokenCounts.afterEachBlock(DEIT_DISTILLED, CompressionLevel.tome(16)))
                    .containsExactly(182, 166, 150, 134, 118, 102, 86, 70, 54, 38, 22, 12);
        }

        @Test
        void decreasingScheduleRemovesItsPerBlockR() {
            // Schedule 16,14,13,11,10,8,7,5,4,2,1,0 (see CompressionLevelTest), no clamp reached.
            assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.tomeDecreasing(8)))
                    .containsExactly(181, 167, 154, 143, 133, 125, 118, 113, 109, 107, 106, 106);
        }

        @Test
        void repeatedClampsStopAtOneTokenBesideTheClassToken() {
            // 65 tokens: 49, 33, 17, then (17-1)/2 = 8 → 9, 4 → 5, 2 → 3, 1 → 2, 0 → 2.
            assertThat(TokenCounts.afterEachBlock(
                            VitConfig.preset("vit_test_tiny").geometry(), CompressionLevel.tome(16)))
                    .containsExactly(49, 33, 17, 9, 5, 3, 2, 2, 2, 2, 2, 2);
        }

        @Test
        void clampMerge() {
            assertThat(TokenCounts.clampMerge(16, 197, 1)).isEqualTo(16);
            assertThat(TokenCounts.clampMerge(16, 21, 1)).isEqualTo(10);
            assertThat(TokenCounts.clampMerge(16, 22, 2)).isEqualTo(10);
            assertThat(TokenCounts.clampMerge(16, 2, 1)).isZero();
            assertThat(TokenCounts.clampMerge(0, 197, 1)).isZero();
        }
    }

    @Nested
    class EVit {

        @Test
        void keepSevenTenths() {
            // EViT at 0.7: 197 in blocks 1-3, 140 in 4-6, 100 in 7-9, 72 in 10-12.
            assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.evit(0.7)))
                    .containsExactly(197, 197, 197, 140, 140, 140, 100, 100, 100, 72, 72, 72);
        }

        @Test
        void keepOneHalf() {
            // EViT at 0.5: 197 → 100 → 52 → 28.
            assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.evit(0.5)))
                    .containsExactly(197, 197, 197, 100, 100, 100, 52, 52, 52, 28, 28, 28);
        }

        @Test
        void explicitBlocks() {
            assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.evit(0.5, 0, 11)))
                    .containsExactly(100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 52);
        }

        @Test
        void evitKept() {
            // ceil(0.7 · 196) = ceil(137.2) = 138 kept, plus class and fused tokens = 140.
            assertThat(TokenCounts.evitKept(0.7, 197, 1)).isEqualTo(138);
            assertThat(TokenCounts.evitKept(0.5, 100, 1)).isEqualTo(50);
            // Every token kept: EViT does nothing and adds no fused token.
            assertThat(TokenCounts.evitKept(0.999, 3, 1)).isEqualTo(2);
        }

        @Test
        void keepingEverythingAddsNoFusedToken() {
            // 4 patches + class token; ceil(0.99 · 4) = 4 = all candidates, so the count stays 5.
            TokenGeometry fiveTokens = new VitConfig("t", 16, 8, 3, 10, 8, 12, 2, 4.0, true, false, 1e-6).geometry();
            int[] counts = TokenCounts.afterEachBlock(fiveTokens, CompressionLevel.evit(0.99));

            assertThat(fiveTokens.tokens()).isEqualTo(5);
            assertThat(counts).containsExactly(5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5);
        }
    }

    @Test
    void noneKeepsEveryToken() {
        assertThat(TokenCounts.afterEachBlock(DEIT, CompressionLevel.none()))
                .containsOnly(197)
                .hasSize(12);
    }
}
