package org.tocomstream.control;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.TokenCounts;
import org.tocomstream.compress.TokenGeometry;

/**
 * The compression levels a {@link LevelController} may choose from, cheapest last: rung 0 is the
 * most accurate level (usually {@code none}), each further rung costs less per frame. Every rung
 * carries its cost per frame predicted by the {@link CostModel}; the controller corrects the
 * prediction online with measured service times.
 *
 * <pre>{@code
 * CostModel cost = CostModel.of(VitConfig.preset("vit_demo").geometry());
 * Ladder ladder = Ladder.of(cost, List.of(CompressionLevel.none(), CompressionLevel.tome(2),
 *         CompressionLevel.tome(4), CompressionLevel.tome(6)));
 * Ladder same = Ladder.parse(cost, "none;tome:2;tome:4;tome:6");
 * Ladder derived = Ladder.tomeSteps(cost, 3);                      // none, tome:2, tome:4, tome:6
 * }</pre>
 *
 * @param rungs at least one, distinct levels, predicted cost strictly decreasing
 */
public record Ladder(List<Rung> rungs) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of the ladder. */
    public static final String SETTING = "vit.control.ladder";

    /** Separator of the levels in the text form (a level itself may contain commas). */
    public static final String SEPARATOR = ";";

    /**
     * One level and its predicted cost.
     *
     * @param level the compression level
     * @param predictedGmacs the predicted cost per frame, in 10⁹ multiply-accumulates: the cost
     *     model's MACs for a ladder given as levels ({@link #of}, {@link #parse}); for a measured
     *     ladder the uncompressed model's MACs over the rung's measured end-to-end speed-up
     *     ({@link MeasuredLadder#ladder}), so that the ratios between rungs are the measured ones
     */
    public record Rung(CompressionLevel level, double predictedGmacs) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** @throws IllegalArgumentException naming the setting */
        public Rung {
            Objects.requireNonNull(level, SETTING + ": a rung has no level");
            if (!(predictedGmacs > 0) || Double.isInfinite(predictedGmacs)) {
                throw new IllegalArgumentException(String.format(
                        "%s: predicted cost of %s must be a positive number but was %s",
                        SETTING, level, predictedGmacs));
            }
        }
    }

    /** @throws IllegalArgumentException naming the setting and the offending rung */
    public Ladder {
        Objects.requireNonNull(rungs, SETTING + " must be set");
        rungs = List.copyOf(rungs);
        if (rungs.isEmpty()) {
            throw new IllegalArgumentException(SETTING + " must name at least one level");
        }
        Set<CompressionLevel> seen = new HashSet<>();
        for (int i = 0; i < rungs.size(); i++) {
            Rung r = rungs.get(i);
            if (!seen.add(r.level())) {
                throw new IllegalArgumentException(String.format("%s: level %s appears twice", SETTING, r.level()));
            }
            if (i > 0 && !(r.predictedGmacs() < rungs.get(i - 1).predictedGmacs())) {
                throw new IllegalArgumentException(String.format(
                        "%s: each level must cost less than the one before, but %s"
                                + " (%.4f GMACs) does not cost less than %s (%.4f GMACs)",
                        SETTING,
                        r.level(),
                        r.predictedGmacs(),
                        rungs.get(i - 1).level(),
                        rungs.get(i - 1).predictedGmacs()));
            }
        }
    }

    /** The ladder of {@code levels}, in that order, costed by {@code cost}. */
    public static Ladder of(CostModel cost, List<CompressionLevel> levels) {
        Objects.requireNonNull(cost, "cost");
        Objects.requireNonNull(levels, SETTING + " must be set");
        List<Rung> out = new ArrayList<>(levels.size());
        for (CompressionLevel level : levels) {
            out.add(new Rung(level, cost.gmacs(level)));
        }
        return new Ladder(out);
    }

    /**
     * Parses {@code none;tome:2;tome:4}: levels in {@link CompressionLevel#parse} form separated
     * by {@value #SEPARATOR}.
     *
     * @throws IllegalArgumentException naming the setting
     */
    public static Ladder parse(CostModel cost, String text) {
        Objects.requireNonNull(text, SETTING + " must be set");
        List<CompressionLevel> levels = new ArrayList<>();
        for (String part : text.split(SEPARATOR, -1)) {
            try {
                levels.add(CompressionLevel.parse(part));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(SETTING + ": " + e.getMessage(), e);
            }
        }
        return of(cost, levels);
    }

    /**
     * {@code none} plus {@code steps} constant-r ToMe levels evenly spaced up to the largest r whose
     * last block still merges a token for this architecture: for {@code vit_demo} (65 tokens, 12
     * blocks) and 3 steps, {@code none, tome:2, tome:4, tome:6}. Steps that round to the same r
     * are merged.
     */
    public static Ladder tomeSteps(CostModel cost, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException(String.format("%s: ToMe steps must be >= 1 but was %d", SETTING, steps));
        }
        int rMax = largestMergingR(cost.geometry());
        List<CompressionLevel> levels = new ArrayList<>();
        levels.add(CompressionLevel.none());
        for (int k = 1; k <= steps; k++) {
            int r = (int) Math.round((double) rMax * k / steps);
            CompressionLevel level = CompressionLevel.tome(r);
            if (r > 0 && !levels.contains(level)) {
                levels.add(level);
            }
        }
        return of(cost, levels);
    }

    /** The largest constant ToMe r for which the last block still merges at least one token. */
    static int largestMergingR(TokenGeometry geometry) {
        int best = 0;
        for (int r = 1; r <= geometry.tokens(); r++) {
            int[] after = TokenCounts.afterEachBlock(geometry, CompressionLevel.tome(r));
            int before = after.length > 1 ? after[after.length - 2] : geometry.tokens();
            if (before - after[after.length - 1] > 0) {
                best = r;
            }
        }
        return best;
    }

    /** Number of rungs. */
    public int size() {
        return rungs.size();
    }

    /** Index of the cheapest rung. */
    public int top() {
        return rungs.size() - 1;
    }

    /** The level of rung {@code index}. */
    public CompressionLevel level(int index) {
        return rungs.get(index).level();
    }

    /** The rung of {@code level}, or -1 when it is not on the ladder. */
    public int indexOf(CompressionLevel level) {
        for (int i = 0; i < rungs.size(); i++) {
            if (rungs.get(i).level().equals(level)) {
                return i;
            }
        }
        return -1;
    }

    /** The text form, {@link #parse} reads it back. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Rung r : rungs) {
            sb.append(sb.length() == 0 ? "" : SEPARATOR).append(r.level());
        }
        return sb.toString();
    }
}
