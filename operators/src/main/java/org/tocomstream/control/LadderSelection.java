package org.tocomstream.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Picks a ladder from measured candidates: the Pareto frontier over (quality, frames/s) and, for
 * each requested speed-up, the least lossy candidate that reaches it. Pure: the numbers come from
 * the {@code ladder} command's measurements, the result goes into {@link MeasuredLadder}.
 *
 * <p>The rules, in the order they are applied for each target speed-up {@code s} (ascending):
 *
 * <ol>
 *   <li>eligible: measured speed-up (frames/s over {@code none}'s in the same run) at least {@code
 *       s}; and either the previous rung's own level (two targets may share a level) or a level
 *       that is both faster than the previous rung (the controller orders its rungs by cost, and
 *       a measured ladder is costed by these speed-ups, see {@link MeasuredLadder#ladder}) and
 *       <em>worth it</em>: its quality × speed-up above the previous rung's, i.e. it delivers more
 *       correct labels per second than the previous rung does with the frames it cannot keep up
 *       with skipped (shedding, the job's last step). A level that buys speed by losing a larger
 *       share of its labels than it gains in frames does worse than skipping, so it is no rung;
 *   <li>the eligible candidate with the best quality; on equal quality the faster one;
 *   <li>no eligible candidate: the rung is unreachable, kept with a null level and the best
 *       speed-up seen among all candidates, and not used by the controller.
 * </ol>
 *
 * <p>Picking per target in ascending order is optimal under these rules: a candidate eligible
 * for a target that is no faster than the previous rung also was eligible for the previous
 * target, where the previous rung was at least as good.
 *
 * <pre>{@code
 * LadderSelection.Result r = LadderSelection.select(measured, List.of(1.25, 1.5, 2.0));
 * r.candidates();   // measured, each marked pareto true/false
 * r.rungs();        // none first, then one per target
 * }</pre>
 */
public final class LadderSelection {

    private LadderSelection() {}

    /**
     * One measured level.
     *
     * @param level the level's text ({@code none} for the uncompressed model)
     * @param family its family ({@code none}, {@code tome}, {@code evit}, …)
     * @param relativeMacs its MACs over the uncompressed model's (cost model)
     * @param quality top-1 accuracy, or agreement with {@code none}'s top-1, in [0, 1]
     * @param kl mean KL(none || level) in nats, or null when not measured
     * @param framesPerSecond end-to-end frames per second (median of the rounds)
     */
    public record Measured(
            String level, String family, double relativeMacs, double quality, Double kl, double framesPerSecond) {

        /** @throws IllegalArgumentException naming the level and the bad number */
        public Measured {
            Objects.requireNonNull(level, "level");
            Objects.requireNonNull(family, "family");
            if (!(quality >= 0 && quality <= 1)) {
                throw new IllegalArgumentException(level + ": quality must be in [0, 1] but was " + quality);
            }
            if (!(framesPerSecond > 0) || Double.isInfinite(framesPerSecond)) {
                throw new IllegalArgumentException(level + ": frames/s must be positive but was " + framesPerSecond);
            }
            if (!(relativeMacs > 0)) {
                throw new IllegalArgumentException(level + ": relative MACs must be positive but was " + relativeMacs);
            }
        }
    }

    /** The candidates with their speed-up and Pareto mark, and the rungs (none first). */
    public record Result(List<MeasuredLadder.Candidate> candidates, List<MeasuredLadder.Rung> rungs) {
        public Result {
            candidates = List.copyOf(candidates);
            rungs = List.copyOf(rungs);
        }
    }

    /**
     * Selects the rungs for {@code targets}.
     *
     * @param measured the candidates, {@code none} among them (its frames/s is the reference)
     * @param targets requested speed-ups, each above 1, distinct
     * @throws IllegalArgumentException when {@code none} is missing or a target is not above 1
     */
    public static Result select(List<Measured> measured, List<Double> targets) {
        Measured none = measured.stream()
                .filter(m -> m.level().equals(MeasuredLadder.NONE))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the candidates must include none"));
        List<MeasuredLadder.Candidate> candidates = new ArrayList<>();
        for (Measured m : measured) {
            candidates.add(new MeasuredLadder.Candidate(
                    m.level(),
                    m.family(),
                    m.relativeMacs(),
                    m.quality(),
                    m.kl(),
                    m.framesPerSecond(),
                    m.framesPerSecond() / none.framesPerSecond(),
                    isPareto(m, measured)));
        }
        List<Double> sorted = new ArrayList<>(targets);
        sorted.sort(Double::compare);
        List<MeasuredLadder.Rung> rungs = new ArrayList<>();
        rungs.add(new MeasuredLadder.Rung(1.0, MeasuredLadder.NONE, 1.0, none.quality()));
        MeasuredLadder.Candidate previous = candidates.get(measured.indexOf(none));
        double bestSeen = candidates.stream()
                .mapToDouble(MeasuredLadder.Candidate::speedup)
                .max()
                .orElse(1);
        for (double s : sorted) {
            if (!(s > 1) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("a target speed-up must be above 1 but was " + s);
            }
            MeasuredLadder.Candidate pick = pick(candidates, s, previous);
            if (pick == null) {
                rungs.add(new MeasuredLadder.Rung(s, null, bestSeen, null));
            } else {
                rungs.add(new MeasuredLadder.Rung(s, pick.level(), pick.speedup(), pick.quality()));
                previous = pick;
            }
        }
        return new Result(candidates, rungs);
    }

    private static MeasuredLadder.Candidate pick(
            List<MeasuredLadder.Candidate> candidates, double target, MeasuredLadder.Candidate previous) {
        MeasuredLadder.Candidate best = null;
        for (MeasuredLadder.Candidate c : candidates) {
            if (c.speedup() < target || c.level().equals(MeasuredLadder.NONE)) {
                continue;
            }
            if (!c.level().equals(previous.level()) && !(c.speedup() > previous.speedup() && worthIt(c, previous))) {
                continue;
            }
            if (best == null
                    || c.quality() > best.quality()
                    || (c.quality() == best.quality() && c.framesPerSecond() > best.framesPerSecond())) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Whether {@code c} delivers more correct labels per second than {@code previous} at full
     * load: quality × speed-up.
     */
    static boolean worthIt(MeasuredLadder.Candidate c, MeasuredLadder.Candidate previous) {
        return c.quality() * c.speedup() > previous.quality() * previous.speedup();
    }

    /** Whether no other candidate is at least as good in both quality and frames/s and better in one. */
    static boolean isPareto(Measured m, List<Measured> all) {
        for (Measured o : all) {
            if (o != m
                    && o.quality() >= m.quality()
                    && o.framesPerSecond() >= m.framesPerSecond()
                    && (o.quality() > m.quality() || o.framesPerSecond() > m.framesPerSecond())) {
                return false;
            }
        }
        return true;
    }
}
