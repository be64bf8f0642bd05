package org.tocomstream.model.train;

import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.compress.TokenGeometry;

/**
 * The last step of a DiffRate search ({@code src/docs/token-reduction.md}, DiffRate search): the
 * learned expected counts rounded up ({@code ceil(E)}) cost more than the target whenever the
 * training settled just above it, so counts are lowered one token at a time until the schedule's
 * {@link CostModel} cost is at most the target. Each move lowers the tokens leaving one block by
 * one, through its prune or its merge count; the move taken is the one whose new count lies
 * closest to (or furthest above) what that distribution learned: the smallest {@code E − (N_l − 1)},
 * N_l the tokens leaving block l. Ties go to the earlier block, then to merge.
 */
final class DiffRateProjection {

    private DiffRateProjection() {}

    /**
     * @param schedule the rounded-up schedule, counts clamped to the running min
     * @param expected {prune E per block, merge E per block}; entries 0 unused
     * @return a schedule costing at most {@code target} GMACs, counts clamped to the running min;
     *     {@code schedule} itself when it already does
     * @throws IllegalArgumentException if even one token after block 0 costs more than the target
     */
    static DiffRateSchedule fit(DiffRateSchedule schedule, float[][] expected, TokenGeometry g, double target) {
        CostModel cost = CostModel.of(g);
        int[][] counts = schedule.counts();
        DiffRateSchedule now = schedule;
        while (cost.gmacs(CompressionLevel.diffRate(now)) > target) {
            int[] leaving = now.tokensAfterEachBlock(g);
            int bestBlock = -1;
            int bestKind = -1;
            double bestDeficit = Double.POSITIVE_INFINITY;
            for (int l = 1; l < g.depth(); l++) {
                int lowered = leaving[l] - 1;
                if (lowered <= g.prefixTokens()) {
                    continue;
                }
                for (int kind = 1; kind >= 0; kind--) {
                    double deficit = expected[kind][l] - lowered;
                    if (deficit < bestDeficit) {
                        bestDeficit = deficit;
                        bestBlock = l;
                        bestKind = kind;
                    }
                }
            }
            if (bestBlock < 0) {
                throw new IllegalArgumentException(String.format(
                        "no DiffRate schedule reaches %.6f GMACs: %s, one token after each prefix, costs %.6f",
                        target, now, cost.gmacs(CompressionLevel.diffRate(now))));
            }
            counts[bestKind][bestBlock] = leaving[bestBlock] - 1;
            now = clamped(counts, g);
        }
        return now;
    }

    /** Counts clamped to the tokens entering each block, so no list rises above the running min. */
    static DiffRateSchedule clamped(int[][] counts, TokenGeometry g) {
        int n = g.tokens();
        for (int l = 1; l < g.depth(); l++) {
            counts[0][l] = Math.min(n, counts[0][l]);
            counts[1][l] = Math.min(n, counts[1][l]);
            n = Math.min(counts[0][l], counts[1][l]);
        }
        return DiffRateSchedule.of(counts[0], counts[1]);
    }
}
