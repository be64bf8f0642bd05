package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tocomstream.model.VitConfig;

class MacsMatchTest {

    private static final TokenGeometry DEMO = VitConfig.preset("vit_demo").geometry();
    private static final TokenGeometry SMALL =
            VitConfig.preset("deit_small_patch16_224").geometry();

    @ParameterizedTest
    @EnumSource(MacsMatch.Family.class)
    void candidatesAreOfTheirFamilyAndStrictlyCheaperOneAfterTheOther(MacsMatch.Family family) {
        for (TokenGeometry geometry : List.of(DEMO, SMALL)) {
            CostModel cost = CostModel.of(geometry);
            List<CompressionLevel> levels = MacsMatch.candidates(family, geometry);
            assertThat(levels).isNotEmpty();
            long previous = cost.macs(CompressionLevel.none());
            for (CompressionLevel level : levels) {
                assertThat(level.toString()).startsWith(family.text() + ":");
                assertThat(CompressionLevel.parse(level.toString())).isEqualTo(level);
                assertThat(cost.macs(level)).as("%s", level).isLessThan(previous);
                previous = cost.macs(level);
            }
        }
    }

    @Test
    void constantTomeStopsWhereALargerRSavesNothing() {
        List<CompressionLevel> levels = MacsMatch.candidates(MacsMatch.Family.TOME, DEMO);
        CostModel cost = CostModel.of(DEMO);
        CompressionLevel strongest = levels.get(levels.size() - 1);
        int r = levels.size();
        assertThat(strongest).isEqualTo(CompressionLevel.tome(r));
        assertThat(cost.macs(CompressionLevel.tome(r + 1))).isGreaterThanOrEqualTo(cost.macs(strongest));
    }

    @ParameterizedTest
    @EnumSource(MacsMatch.Family.class)
    void closestIsNoFartherFromTheTargetThanAnyCandidate(MacsMatch.Family family) {
        CostModel cost = CostModel.of(SMALL);
        double dense = cost.macs(CompressionLevel.none());
        for (double target : new double[] {0.9, 0.8, 0.6, 0.45, 0.3}) {
            MacsMatch.Match m = MacsMatch.closest(family, SMALL, target);
            assertThat(m.family()).isEqualTo(family);
            assertThat(m.target()).isEqualTo(target);
            assertThat(m.fraction()).isEqualTo(cost.macs(m.level()) / dense);
            for (CompressionLevel level : MacsMatch.candidates(family, SMALL)) {
                assertThat(Math.abs(m.fraction() - target))
                        .isLessThanOrEqualTo(Math.abs(cost.macs(level) / dense - target));
            }
        }
    }

    @Test
    void fineParametersLandNearTheTarget() {
        // EViT and IdleViT walk their rate in steps of 0.01 and GTP removes one token per block per
        // step, so on DeiT-S every target between their strongest and weakest candidates is met
        // within a small fraction of the dense cost.
        for (MacsMatch.Family family : List.of(MacsMatch.Family.EVIT, MacsMatch.Family.IDLE, MacsMatch.Family.GTP)) {
            assertThat(MacsMatch.closest(family, SMALL, 0.6).within(0.01))
                    .as("%s", family)
                    .isTrue();
        }
        // 16 tokens merged per block costs 2.291 of 4.599 GMACs (the benchmark's table).
        assertThat(MacsMatch.closest(MacsMatch.Family.TOME, SMALL, 0.5).level()).isEqualTo(CompressionLevel.tome(16));
    }

    @Test
    void anUnreachableTargetGivesTheNearestCandidateAndSaysSo() {
        // Block 0 never reduces: one twelfth of the block cost stays whatever r, so 5 % is out of reach.
        MacsMatch.Match m = MacsMatch.closest(MacsMatch.Family.TOME, DEMO, 0.05);
        List<CompressionLevel> levels = MacsMatch.candidates(MacsMatch.Family.TOME, DEMO);
        assertThat(m.level()).isEqualTo(levels.get(levels.size() - 1));
        assertThat(m.fraction()).isGreaterThan(1.0 / 12);
        assertThat(m.within(0.02)).isFalse();
    }

    @Test
    void evitHasNoCandidatesWhereItsBlocksDoNotExist() {
        // Six blocks: EViT's default block 9 does not exist.
        TokenGeometry shallow = new TokenGeometry(65, 1, 48, 6, 192, 48, 10);
        assertThat(MacsMatch.candidates(MacsMatch.Family.EVIT, shallow)).isEmpty();
        MacsMatch.Match m = MacsMatch.closest(MacsMatch.Family.EVIT, shallow, 0.5);
        assertThat(m.level()).isEqualTo(CompressionLevel.none());
        assertThat(m.fraction()).isEqualTo(1.0);
    }

    @Test
    void badFamilyAndTargetAreNamed() {
        assertThat(MacsMatch.Family.parse(" Tome-Decreasing ")).isEqualTo(MacsMatch.Family.TOME_DECREASING);
        assertThatThrownBy(() -> MacsMatch.Family.parse("diffrate"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'diffrate'")
                .hasMessageContaining("tome, tome-decreasing, evit, gtp, idle")
                .hasMessageContaining("diffrate search");
        assertThatThrownBy(() -> MacsMatch.closest(MacsMatch.Family.TOME, DEMO, 0))
                .hasMessageContaining("(0, 1]")
                .hasMessageContaining("0.0");
        assertThatThrownBy(() -> MacsMatch.closest(MacsMatch.Family.TOME, DEMO, 1.2))
                .hasMessageContaining("1.2");
    }
}
