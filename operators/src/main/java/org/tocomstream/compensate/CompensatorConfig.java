package org.tocomstream.compensate;

/**
 * The shape of a Token Compensator ({@code src/docs/token-reduction.md}, Low-rank delta on q and v): how many low-rank channels
 * each unit step of ToMe's r gets, the largest degree covered, and the default scale s.
 *
 * <p>The side branch of every q and v projection has rank {@link #rank()} = {@code rankPerStep ×
 * maxDegree}. Channel chunk j (j = 1..maxDegree, {@code rankPerStep} channels) encodes the step r
 * = j−1 → j; the chunk of the smallest step sits in the <em>last</em> channels, as in ToCom's
 * released layout, so {@link #mask(int) M(r)} has its last {@code rankPerStep·r} entries set.
 *
 * <pre>{@code
 * CompensatorConfig deitB = new CompensatorConfig(2, 16, 0.1); // ToCom's DeiT-B plugin: rank 32
 * deitB.mask(1); // [0 × 30, 1, 1]
 * }</pre>
 *
 * @param rankPerStep channels per unit step of r, ≥ 1 (ToCom: 2)
 * @param maxDegree largest ToMe r the plugin covers, ≥ 1 (ToCom: 16); pairs are in 0..maxDegree
 * @param defaultScale s used when a caller names none, finite and ≥ 0 (ToCom trains at 0.1)
 * @param axis which level a degree stands for: a ToMe schedule ({@link DegreeSchedule#CONSTANT}:
 *     ToCom's {@code tome:r}) or a level list, whose size must then be maxDegree + 1
 */
public record CompensatorConfig(int rankPerStep, int maxDegree, double defaultScale, DegreeAxis axis) {

    /** A plugin over constant degrees, {@code tome:r}, as ToCom's. */
    public CompensatorConfig(int rankPerStep, int maxDegree, double defaultScale) {
        this(rankPerStep, maxDegree, defaultScale, DegreeSchedule.CONSTANT);
    }

    /** A plugin over the degrees of a ToMe schedule. */
    public CompensatorConfig(int rankPerStep, int maxDegree, double defaultScale, DegreeSchedule schedule) {
        this(rankPerStep, maxDegree, defaultScale, schedule == null ? null : DegreeAxis.of(schedule));
    }

    /** A plugin over the rungs of a level list: degrees 0..levels − 1. */
    public static CompensatorConfig overLevels(int rankPerStep, double defaultScale, DegreeAxis levels) {
        return new CompensatorConfig(rankPerStep, levels.fixedMaxDegree().orElseThrow(), defaultScale, levels);
    }

    /** @throws IllegalArgumentException naming the offending field */
    public CompensatorConfig {
        if (axis == null) {
            throw new IllegalArgumentException("axis (a degree schedule or a level list) must not be null");
        }
        if (axis.fixedMaxDegree().isPresent() && axis.fixedMaxDegree().getAsInt() != maxDegree) {
            throw new IllegalArgumentException(String.format(
                    "maxDegree must be %d for the %d levels %s but was %d",
                    axis.fixedMaxDegree().getAsInt(), axis.levels().size(), axis.text(), maxDegree));
        }
        if (rankPerStep < 1) {
            throw new IllegalArgumentException("rankPerStep must be >= 1 but was " + rankPerStep);
        }
        if (maxDegree < 1) {
            throw new IllegalArgumentException("maxDegree must be >= 1 but was " + maxDegree);
        }
        if ((long) rankPerStep * maxDegree > 1 << 16) {
            throw new IllegalArgumentException(String.format(
                    "rankPerStep × maxDegree must be at most 65536 but was %d × %d", rankPerStep, maxDegree));
        }
        checkScale(defaultScale, "defaultScale");
    }

    /** ToCom's DeiT-B setting: rank 2 per step, degrees 0..16, s = 0.1. */
    public static CompensatorConfig tocomDefaults() {
        return new CompensatorConfig(2, 16, 0.1);
    }

    /** This configuration with another default scale s. */
    public CompensatorConfig withDefaultScale(double scale) {
        return new CompensatorConfig(rankPerStep, maxDegree, scale, axis);
    }

    /** The ToMe schedule of the degrees, or null when they are a level list ({@link #axis()}). */
    public DegreeSchedule schedule() {
        return axis.schedule();
    }

    /**
     * {@code "degrees 0..6"}, {@code "degrees 0..8 of tome-decreasing"} for another schedule, or
     * {@code "rungs none;tome:4;evit:0.7"} for a level list.
     */
    public String degreesText() {
        if (axis.isLevelList()) {
            return "rungs " + axis.text();
        }
        return "degrees 0.." + maxDegree
                + (schedule() == DegreeSchedule.CONSTANT
                        ? ""
                        : " of " + schedule().method());
    }

    /** R, the rank of each side branch: {@code rankPerStep × maxDegree}. */
    public int rank() {
        return rankPerStep * maxDegree;
    }

    /** Whether r is a degree this plugin covers, 0..maxDegree. */
    public boolean covers(int r) {
        return r >= 0 && r <= maxDegree;
    }

    /**
     * M(r): R entries, 1 in the last {@code rankPerStep·r} channels, 0 elsewhere.
     *
     * @throws IllegalArgumentException when r is outside 0..maxDegree
     */
    public float[] mask(int r) {
        if (!covers(r)) {
            throw new IllegalArgumentException(String.format("degree %d is outside 0..%d", r, maxDegree));
        }
        float[] m = new float[rank()];
        for (int c = rank() - rankPerStep * r; c < rank(); c++) {
            m[c] = 1f;
        }
        return m;
    }

    /** M(n) − M(m) for the pair: +1 on the chunks of steps m+1..n, −1 on n+1..m, 0 elsewhere. */
    public float[] maskDifference(CompensatorPair pair) {
        float[] to = mask(pair.to());
        float[] from = mask(pair.from());
        float[] d = new float[to.length];
        for (int c = 0; c < d.length; c++) {
            d[c] = to[c] - from[c];
        }
        return d;
    }

    /** First channel with a non-zero mask difference for the pair (inclusive). */
    int activeStart(CompensatorPair pair) {
        return rank() - rankPerStep * Math.max(pair.from(), pair.to());
    }

    /** One past the last channel with a non-zero mask difference. */
    int activeEnd(CompensatorPair pair) {
        return rank() - rankPerStep * Math.min(pair.from(), pair.to());
    }

    static void checkScale(double s, String what) {
        if (!Double.isFinite(s) || s < 0) {
            throw new IllegalArgumentException(what + " must be finite and >= 0 but was " + s);
        }
    }
}
