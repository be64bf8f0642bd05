package org.tocomstream.job.ladder;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

class LadderReuseTest {

    private final CostModel cost = CostModel.of(VitConfig.preset("vit_demo").geometry());

    private double macsFraction(CompressionLevel level) {
        return cost.macs(level) / cost.macs(CompressionLevel.none());
    }

    @Test
    void reuseCandidatesReachBeyondTheCompressorsStrengthsForTheDeepestTarget() {
        List<CompressionLevel> levels = LadderReuse.candidates(cost, List.of(3.0));
        double deepestTarget = 1 / (3.0 * LadderReuse.DEEPER);
        CompressionLevel deepest = levels.get(levels.size() - 1);
        // The grid step is 0.05 of the tokens: the deepest candidate is the grid point nearest the
        // target in MACs, so no grid point lies closer.
        for (int step = 1; step <= 20; step++) {
            CompressionLevel other = LadderReuse.level(step);
            assertThat(Math.abs(macsFraction(deepest) - deepestTarget))
                    .isLessThanOrEqualTo(Math.abs(macsFraction(other) - deepestTarget));
        }
        double shallowestCompressorTarget = 1 / (3.0 * 1.6);
        assertThat(macsFraction(deepest)).isLessThan(shallowestCompressorTarget);
        assertThat(levels).doesNotHaveDuplicates();
        assertThat(levels).isSortedAccordingTo((a, b) -> Double.compare(macsFraction(b), macsFraction(a)));
    }
}
