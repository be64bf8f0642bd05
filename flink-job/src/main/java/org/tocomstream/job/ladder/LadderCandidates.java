package org.tocomstream.job.ladder;

import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.MacsMatch;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;

/**
 * The levels {@code ladder} measures: {@code none}, then for each requested speed-up {@code s} and
 * each family the level closest in MACs ({@link MacsMatch#closest}) to the fractions 1/s,
 * 1/(1.25 s) and 1/(1.6 s) (the end-to-end speed-up of a level falls short of its MACs ratio,
 * since decoding and preprocessing cost the same at every level, so stronger candidates are
 * needed to reach s), then the given DiffRate levels; each level once. The command adds the
 * token-reuse levels ({@link LadderReuse}) and then the student ({@link LadderStudent}) after them.
 *
 * @param level the level
 * @param family its family's name ({@code none}, {@code tome}, …, {@code diffrate})
 */
record LadderCandidates(CompressionLevel level, String family) {

    /** The MACs fractions tried per target speed-up s are 1/(s * f) for these f. */
    static final double[] STRENGTHS = {1.0, 1.25, 1.6};

    static List<LadderCandidates> of(
            TokenGeometry geometry,
            List<Double> speedups,
            List<MacsMatch.Family> families,
            List<CompressionLevel> diffRate) {
        List<LadderCandidates> out = new ArrayList<>();
        out.add(new LadderCandidates(CompressionLevel.none(), "none"));
        for (double s : speedups) {
            for (MacsMatch.Family family : families) {
                for (double strength : STRENGTHS) {
                    CompressionLevel level = MacsMatch.closest(family, geometry, 1 / (s * strength))
                            .level();
                    add(out, level, family.text());
                }
            }
        }
        for (CompressionLevel level : diffRate) {
            add(out, level, "diffrate");
        }
        return List.copyOf(out);
    }

    private static void add(List<LadderCandidates> out, CompressionLevel level, String family) {
        if (out.stream().noneMatch(c -> c.level().equals(level))) {
            out.add(new LadderCandidates(level, family));
        }
    }

    /** {@code candidates} followed by {@code levels} of {@code family}, each level once. */
    static List<LadderCandidates> plus(
            List<LadderCandidates> candidates, List<CompressionLevel> levels, String family) {
        List<LadderCandidates> out = new ArrayList<>(candidates);
        levels.forEach(level -> add(out, level, family));
        return List.copyOf(out);
    }

    /**
     * The families of {@code option} ({@code --families}), all when it is not given. The item
     * {@value LadderStudent#FAMILY} is accepted when {@code student} (the student is measured
     * whenever it is given), so that {@code --families student} measures none and the student only.
     */
    static List<MacsMatch.Family> families(ParsedArgs args, String option, String studentOption, boolean student)
            throws UsageException {
        if (!args.has(option)) {
            return List.of(MacsMatch.Family.values());
        }
        List<MacsMatch.Family> out = new ArrayList<>();
        boolean studentListed = false;
        for (String item : args.list(option)) {
            String name = item.trim();
            if (name.equalsIgnoreCase(LadderStudent.FAMILY)) {
                if (!student) {
                    throw args.error(option, "family student needs " + studentOption + " DIR");
                }
                if (studentListed) {
                    throw args.error(option, "family " + item + " is listed twice");
                }
                studentListed = true;
                continue;
            }
            try {
                MacsMatch.Family f = MacsMatch.Family.parse(item);
                if (out.contains(f)) {
                    throw args.error(option, "family " + item + " is listed twice");
                }
                out.add(f);
            } catch (IllegalArgumentException e) {
                throw args.error(
                        option,
                        e.getMessage()
                                + (name.equalsIgnoreCase("diffrate") ? "; give --diffrate FILES" : "")
                                + "; also student, with " + studentOption + " DIR");
            }
        }
        return List.copyOf(out);
    }

    /** The levels of {@code candidates}, in order. */
    static List<CompressionLevel> levels(List<LadderCandidates> candidates) {
        return candidates.stream().map(LadderCandidates::level).toList();
    }
}
