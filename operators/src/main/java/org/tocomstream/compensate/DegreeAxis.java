package org.tocomstream.compensate;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.tocomstream.compress.CompressionLevel;

/**
 * What a Token Compensator's degrees 0..maxDegree stand for: either a ToMe {@link DegreeSchedule}
 * (degree d = {@code tome:d} or {@code tome-decreasing:d}, 0 = none; every plugin written before
 * level lists existed) or an explicit ordered list of levels of any family, the rungs of a ladder
 * (degree i = the i-th level; e.g. {@code none;tome:4;evit:0.7;idle:0.6}). The plugin's structure
 * is the same either way: one chunk of {@code rankPerStep} channels per step i−1 → i, Δ(i→j) =
 * U·diag(M(j) − M(i))·D.
 *
 * <pre>{@code
 * DegreeAxis.of(DegreeSchedule.CONSTANT).level(4);                  // tome:4
 * DegreeAxis ladder = DegreeAxis.parseLevels("none;tome:4;evit:0.7");
 * ladder.degreeOf(CompressionLevel.parse("evit:0.7"));              // 2
 * ladder.pairText(new CompensatorPair(0, 2));                       // none->evit:0.7
 * }</pre>
 *
 * @param schedule the ToMe schedule, or null for a level list
 * @param levels the rungs in order (rung 0 first, at least two, all distinct), or null for a
 *     schedule
 */
public record DegreeAxis(DegreeSchedule schedule, List<CompressionLevel> levels) {

    /** The sidecar {@code method} of a plugin over a level list. */
    public static final String LEVELS_METHOD = "levels";

    /** @throws IllegalArgumentException unless exactly one of the two is given, or on a bad list */
    public DegreeAxis {
        if ((schedule == null) == (levels == null)) {
            throw new IllegalArgumentException("a degree axis is either a schedule or a level list, exactly one");
        }
        if (levels != null) {
            levels = List.copyOf(levels);
            if (levels.size() < 2) {
                throw new IllegalArgumentException("a level list needs at least two rungs but had " + levels);
            }
            HashSet<CompressionLevel> seen = new HashSet<>();
            for (CompressionLevel l : levels) {
                if (!seen.add(l)) {
                    throw new IllegalArgumentException("level " + l + " occurs twice in the level list " + levels);
                }
            }
        }
    }

    /** The axis of a ToMe schedule. */
    public static DegreeAxis of(DegreeSchedule schedule) {
        return new DegreeAxis(Objects.requireNonNull(schedule, "schedule"), null);
    }

    /** The axis of an ordered level list (rung 0 first). */
    public static DegreeAxis ofLevels(List<CompressionLevel> levels) {
        return new DegreeAxis(null, Objects.requireNonNull(levels, "levels"));
    }

    /**
     * Parses {@code "none;tome:4;evit:0.7"}: levels in their text form separated by {@code ;}.
     *
     * @throws IllegalArgumentException naming the bad level or list
     */
    public static DegreeAxis parseLevels(String text) {
        List<CompressionLevel> levels = new ArrayList<>();
        for (String item : Objects.requireNonNull(text, "levels").split(";", -1)) {
            levels.add(CompressionLevel.parse(item));
        }
        return ofLevels(levels);
    }

    /** Whether the degrees are an explicit level list. */
    public boolean isLevelList() {
        return levels != null;
    }

    /** The sidecar's {@code method}: the schedule's, or {@value #LEVELS_METHOD}. */
    public String method() {
        return schedule != null ? schedule.method() : LEVELS_METHOD;
    }

    /** The largest degree a level list allows (its size − 1); empty for a schedule (any). */
    public OptionalInt fixedMaxDegree() {
        return levels == null ? OptionalInt.empty() : OptionalInt.of(levels.size() - 1);
    }

    /**
     * The level of degree d.
     *
     * @throws IllegalArgumentException when d is negative or past the level list
     */
    public CompressionLevel level(int degree) {
        if (schedule != null) {
            return schedule.level(degree);
        }
        if (degree < 0 || degree >= levels.size()) {
            throw new IllegalArgumentException(
                    String.format("degree %d is outside the level list 0..%d %s", degree, levels.size() - 1, levels));
        }
        return levels.get(degree);
    }

    /** The degree of {@code level} on this axis, or empty when it is not one. */
    public OptionalInt degreeOf(CompressionLevel level) {
        if (schedule != null) {
            return schedule.degreeOf(level);
        }
        int i = levels.indexOf(level);
        return i < 0 ? OptionalInt.empty() : OptionalInt.of(i);
    }

    /** The pair of degrees for a model trained at {@code trained} running at {@code level}, if both are on the axis. */
    public Optional<CompensatorPair> pairFor(CompressionLevel trained, CompressionLevel level) {
        OptionalInt m = degreeOf(trained);
        OptionalInt n = degreeOf(level);
        return m.isEmpty() || n.isEmpty()
                ? Optional.empty()
                : Optional.of(new CompensatorPair(m.getAsInt(), n.getAsInt()));
    }

    /**
     * The pair as labels and reports name it: {@code "m->n"} for a schedule (as always), the two
     * levels' texts for a level list, e.g. {@code "none->evit:0.7"}.
     */
    public String pairText(CompensatorPair pair) {
        return schedule != null ? pair.toString() : level(pair.from()) + "->" + level(pair.to());
    }

    /** The list's text, {@code "none;tome:4;evit:0.7"}; the schedule's method for a schedule. */
    public String text() {
        return schedule != null
                ? schedule.method()
                : String.join(";", levels.stream().map(Object::toString).toList());
    }
}
