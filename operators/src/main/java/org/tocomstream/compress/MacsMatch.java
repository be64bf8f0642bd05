package org.tocomstream.compress;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Levels picked by cost: for a family and a target fraction of the uncompressed MACs, the level of
 * that family whose {@link CostModel} MACs come closest. Comparing families at matched MACs is the
 * only fair comparison (each family's parameter means something else), and a ladder rung asks for
 * a speed-up, not for a parameter.
 *
 * <p>Each family's candidates walk its one parameter from weak to strong and keep a candidate only
 * when it is cheaper than the one before, so the list is strictly decreasing in MACs:
 *
 * <ul>
 *   <li>{@code tome}: {@code tome:r}, r = 1, 2, … until a larger r saves nothing more (ToMe's clamp
 *       to half the tokens);
 *   <li>{@code tome-decreasing}: {@code tome-decreasing:r} the same way;
 *   <li>{@code evit}: {@code evit:ρ} at its default blocks, ρ = 0.99 down to 0.01 in steps of 0.01
 *       (no candidates when a default block lies beyond the model's depth);
 *   <li>{@code gtp}: {@code gtp:P} with every other parameter at its default, P = 1, 2, …;
 *   <li>{@code idle}: {@code idle:ρ} at its default blocks, ρ = 0.99 down to 0.01.
 * </ul>
 *
 * DiffRate has no parameter to walk: its schedule for a cost comes from a search ({@code diffrate
 * search --target-gmacs}), so it is not a family here.
 *
 * <pre>{@code
 * MacsMatch.Match m = MacsMatch.closest(MacsMatch.Family.EVIT, cfg.geometry(), 0.6);
 * m.level();      // evit:0.54, say
 * m.fraction();   // its MACs over the uncompressed model's, 0.601
 * }</pre>
 */
public final class MacsMatch {

    /** The families whose cost is set by one parameter. */
    public enum Family {
        TOME("tome"),
        TOME_DECREASING("tome-decreasing"),
        EVIT("evit"),
        GTP("gtp"),
        IDLE("idle");

        private final String text;

        Family(String text) {
            this.text = text;
        }

        /** The name used on command lines: {@code tome}, {@code tome-decreasing}, {@code evit}, … */
        public String text() {
            return text;
        }

        /**
         * The family named {@code text} (case-insensitive).
         *
         * @throws IllegalArgumentException naming the text and the known families
         */
        public static Family parse(String text) {
            String s = Objects.requireNonNull(text, "family").trim().toLowerCase(Locale.ROOT);
            for (Family f : values()) {
                if (f.text.equals(s)) {
                    return f;
                }
            }
            List<String> known = new ArrayList<>();
            for (Family f : values()) {
                known.add(f.text);
            }
            throw new IllegalArgumentException(String.format(
                    "unknown family '%s': expected one of %s (DiffRate levels come from diffrate search)",
                    text, String.join(", ", known)));
        }
    }

    /**
     * The level of {@code family} picked for {@code target}.
     *
     * @param family the family
     * @param target the fraction of the uncompressed MACs asked for
     * @param level the candidate whose fraction is closest to the target
     * @param fraction its MACs over the uncompressed model's
     */
    public record Match(Family family, double target, CompressionLevel level, double fraction) {

        /** Whether the picked level's fraction lies within {@code tolerance} of the target. */
        public boolean within(double tolerance) {
            return Math.abs(fraction - target) <= tolerance;
        }
    }

    private static final int RATE_STEPS = 100;

    private MacsMatch() {}

    /**
     * The candidates of {@code family} on a model of {@code geometry}, weakest first, strictly
     * cheaper one after the other (see the class comment); empty when the family cannot run on it.
     */
    public static List<CompressionLevel> candidates(Family family, TokenGeometry geometry) {
        Objects.requireNonNull(family, "family");
        CostModel cost = CostModel.of(Objects.requireNonNull(geometry, "geometry"));
        List<CompressionLevel> out = new ArrayList<>();
        long last = cost.macs(CompressionLevel.none());
        switch (family) {
            case TOME, TOME_DECREASING, GTP -> {
                for (int p = 1; p <= geometry.tokens(); p++) {
                    CompressionLevel level = integerLevel(family, p);
                    long macs = cost.macs(level);
                    if (macs >= last) {
                        break;
                    }
                    out.add(level);
                    last = macs;
                }
            }
            case EVIT, IDLE -> {
                if (family == Family.EVIT && !evitFits(geometry)) {
                    return List.of();
                }
                for (int step = RATE_STEPS - 1; step >= 1; step--) {
                    double rate = step / (double) RATE_STEPS;
                    CompressionLevel level =
                            family == Family.EVIT ? CompressionLevel.evit(rate) : CompressionLevel.idle(rate);
                    long macs = cost.macs(level);
                    if (macs < last) {
                        out.add(level);
                        last = macs;
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * The candidate of {@code family} whose MACs fraction is closest to {@code target}; on a tie
     * the cheaper one. The level {@code none} (fraction 1) when the family has no candidates or
     * none comes closer.
     *
     * @param target a fraction of the uncompressed MACs in (0, 1]
     * @throws IllegalArgumentException if the target lies outside (0, 1]
     */
    public static Match closest(Family family, TokenGeometry geometry, double target) {
        if (!(target > 0 && target <= 1)) {
            throw new IllegalArgumentException("target MACs fraction must be in (0, 1] but was " + target);
        }
        CostModel cost = CostModel.of(geometry);
        double dense = cost.macs(CompressionLevel.none());
        CompressionLevel best = CompressionLevel.none();
        double bestFraction = 1.0;
        for (CompressionLevel level : candidates(family, geometry)) {
            double fraction = cost.macs(level) / dense;
            if (Math.abs(fraction - target) <= Math.abs(bestFraction - target)) {
                best = level;
                bestFraction = fraction;
            }
        }
        return new Match(family, target, best, bestFraction);
    }

    private static CompressionLevel integerLevel(Family family, int p) {
        return switch (family) {
            case TOME -> CompressionLevel.tome(p);
            case TOME_DECREASING -> CompressionLevel.tomeDecreasing(p);
            case GTP -> CompressionLevel.gtp(GtpParams.of(p));
            default -> throw new IllegalArgumentException(family + " has no integer parameter");
        };
    }

    private static boolean evitFits(TokenGeometry geometry) {
        for (int b : EvitParams.DEFAULT_BLOCKS) {
            if (b >= geometry.depth()) {
                return false;
            }
        }
        return true;
    }
}
