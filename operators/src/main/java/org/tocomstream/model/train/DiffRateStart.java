package org.tocomstream.model.train;

import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.compress.TokenGeometry;

/**
 * The starting counts of {@link DiffRateSearch.Start#TARGET}: a schedule that already costs the
 * target, from which the search only has to redistribute tokens between blocks and between pruning
 * and merging instead of first travelling from half the tokens everywhere.
 */
final class DiffRateStart {

    private static final int BISECTIONS = 40;

    private DiffRateStart() {}

    /**
     * {@code {prune, merge}} counts per block: prune keeps every token, merge keeps {@code prefix +
     * ceil(patches · ρ^l)} in block l ≥ 1 (block 0: all), with ρ the largest keep ratio in (0, 1]
     * at which the schedule's {@link CostModel} cost is at most {@code targetGmacs}; the cheapest
     * such schedule (ρ → 0, one patch token left) when even that costs more.
     */
    static int[][] geometric(TokenGeometry geometry, double targetGmacs) {
        CostModel cost = CostModel.of(geometry);
        double lo = 0;
        double hi = 1;
        if (cost.gmacs(CompressionLevel.diffRate(schedule(geometry, hi))) <= targetGmacs) {
            lo = hi;
        } else {
            for (int i = 0; i < BISECTIONS; i++) {
                double mid = (lo + hi) / 2;
                if (cost.gmacs(CompressionLevel.diffRate(schedule(geometry, mid))) <= targetGmacs) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        return schedule(geometry, lo).counts();
    }

    private static DiffRateSchedule schedule(TokenGeometry geometry, double rho) {
        int depth = geometry.depth();
        int[] prune = new int[depth];
        int[] merge = new int[depth];
        for (int l = 0; l < depth; l++) {
            prune[l] = geometry.tokens();
            int patches = l == 0 ? geometry.patches() : (int) Math.ceil(geometry.patches() * Math.pow(rho, l));
            merge[l] = geometry.prefixTokens() + Math.max(1, Math.min(geometry.patches(), patches));
        }
        return DiffRateSchedule.of(prune, merge);
    }
}
