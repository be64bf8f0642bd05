package org.tocomstream.job.loadtest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.control.Ladder;
import org.tocomstream.job.run.LabelReader;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.job.run.StatusReporter;

/**
 * Turns one policy's {@link LoadTestRun.Result} into a series per second and a summary per phase.
 *
 * <p>Two attributions, on purpose: frame counts (produced, labelled, skipped, dead-lettered, lost)
 * and expected accuracy belong to the phase the frame was <em>captured</em> in (its stream id says
 * which), so that lost = produced − outputs holds per phase; frame age, level and level changes
 * belong to the time the label was <em>read</em> (age, level) or emitted (changes), which is what
 * a reader sees during the phase. Ages are read time − capture time at a {@code read_committed}
 * reader, over labelled frames only (a skipped frame has no label to be late).
 */
public final class LoadTestAnalysis {

    /** Seconds of a phase the acceptance allows the adaptive policy to react in. */
    static final long TRANSITION_MS = 5_000;

    /** Seconds of a phase before its level changes count as steady-state oscillation. */
    static final long SETTLE_MS = 20_000;

    /** One second of the run, {@code t} seconds after phase 1 started. */
    record Second(
            int t,
            String phase,
            Double multiplier,
            long arrived,
            long labelled,
            long skipped,
            long deadLettered,
            Long ageP50Ms,
            Long ageP99Ms,
            Double level,
            String levelName,
            long backlog) {}

    /**
     * One phase (or the warm-up, the drain, or the whole run).
     *
     * @param ageP99AfterTransitionMs p99 age of the labels read from {@link #TRANSITION_MS} into the phase on
     * @param levelChangesSettled changes after {@link #SETTLE_MS} into the phase; null when less than
     *     {@link #SETTLE_MS} of the phase remains after it
     * @param expectedAccuracy Σ accuracy(level of each labelled frame) ÷ produced: skipped and
     *     dead-lettered frames count as wrong; null when a labelled frame's level has no known accuracy
     * @param measuredTop1 share of the labelled frames whose best label is the reference label: the
     *     scene's class for the synthetic cameras, the plain model's top-1 for video cameras (then
     *     it is agreement with full computation; the JSON header's {@code truth} says which)
     * @param correctPerProduced labelled frames whose best label is the scene's class ÷ produced:
     *     what {@code measuredTop1} is worth once skipped and dead-lettered frames count as wrong;
     *     null unless every labelled frame could be judged
     * @param accuracySources where the accuracies in {@code expectedAccuracy} came from ({@link
     *     LevelAccuracy}); the levels without one as {@code unknown: LEVEL}
     * @param reuseLabelled labelled frames whose label carries token-reuse provenance (those at a
     *     reuse level)
     * @param reusedFraction share of the labelled frames that reused their camera's cache (a frame
     *     computed in full, at a reuse level or any other, did not); null when no label carried
     *     reuse provenance
     */
    record Phase(
            String phase,
            Double multiplier,
            double seconds,
            long produced,
            long labelled,
            long skipped,
            long deadLettered,
            long lost,
            long duplicates,
            Long ageP50Ms,
            Long ageP99Ms,
            Long ageP99AfterTransitionMs,
            Double meanLevel,
            int levelChanges,
            Integer levelChangesSettled,
            Double levelChangesPerMinuteSettled,
            Double expectedAccuracy,
            Double measuredTop1,
            Double correctPerProduced,
            List<String> accuracySources,
            long reuseLabelled,
            Double reusedFraction) {

        double offeredFps() {
            return seconds > 0 ? produced / seconds : 0;
        }
    }

    /** Everything about one policy (over one ladder), and the analysis that made it. */
    record Report(
            LoadTestRun.Result run, List<Second> seconds, List<Phase> phases, Phase total, LoadTestAnalysis analysis) {}

    private final Ladder ladder;
    private final LevelAccuracy accuracy;
    private final PipelineRuns.Cameras cameras;
    private final List<Double> multipliers;

    /**
     * @param accuracy top-1 accuracy per level and its source, or null when none is known
     */
    LoadTestAnalysis(Ladder ladder, LevelAccuracy accuracy, PipelineRuns.Cameras cameras, List<Double> multipliers) {
        this.ladder = ladder;
        this.accuracy = accuracy == null ? LevelAccuracy.NONE : accuracy;
        this.cameras = cameras;
        this.multipliers = List.copyOf(multipliers);
    }

    /** What the delivered labels are scored against ({@link PipelineRuns.Cameras#truthKind()}). */
    String truthKind() {
        return cameras.truthKind();
    }

    Report analyse(LoadTestRun.Result r) {
        List<LabelReader.Sample> samples = new ArrayList<>(r.samples());
        samples.sort(
                Comparator.comparingLong(LabelReader.Sample::emitTs).thenComparingLong(LabelReader.Sample::readTs));
        List<Phase> phases = new ArrayList<>();
        int n = r.phaseStart().length;
        phases.add(phase(r, samples, 0, "warm-up", null, 0, r.t0(), r.producedBefore()));
        for (int i = 0; i < n; i++) {
            phases.add(phase(
                    r,
                    samples,
                    i + 1,
                    LoadTestSettings.format(multipliers.get(i)) + "x",
                    multipliers.get(i),
                    r.phaseStart()[i],
                    r.phaseEnd()[i],
                    r.producedPerPhase()[i]));
        }
        phases.add(phase(r, samples, -2, "drain", null, r.phaseEnd()[n - 1], r.end(), 0));
        Phase total = phase(r, samples, -1, "all", null, r.t0(), r.end(), r.produced());
        return new Report(r, LoadTestSeconds.of(this, r, samples, multipliers), phases, total, this);
    }

    /**
     * @param capturedIn the phase whose frames are counted: 0 warm-up, k phase k, -1 all, -2 none
     */
    private Phase phase(
            LoadTestRun.Result r,
            List<LabelReader.Sample> sorted,
            int capturedIn,
            String name,
            Double multiplier,
            long from,
            long to,
            long produced) {
        Captured c = new Captured();
        for (LabelReader.Sample s : sorted) {
            if (capturedIn == -2 || (capturedIn >= 0 && phaseOf(s.stream()) != capturedIn)) {
                continue;
            }
            c.add(s);
        }
        List<Long> ages = new ArrayList<>();
        List<Long> agesAfter = new ArrayList<>();
        double levelSum = 0;
        int levels = 0;
        for (LabelReader.Sample s : sorted) {
            if (!s.labelled() || s.readTs() < from || s.readTs() >= to) {
                continue;
            }
            ages.add(s.readAgeMs());
            if (s.readTs() >= from + TRANSITION_MS) {
                agesAfter.add(s.readAgeMs());
            }
            int rung = rung(s.level());
            if (rung >= 0) {
                levelSum += rung;
                levels++;
            }
        }
        ages.sort(null);
        agesAfter.sort(null);
        int changes = levelChanges(sorted, from, to);
        Integer settled = null;
        Double perMinute = null;
        if (multiplier != null && to - (from + SETTLE_MS) >= SETTLE_MS) {
            settled = levelChanges(sorted, from + SETTLE_MS, to);
            perMinute = settled * 60_000.0 / (to - from - SETTLE_MS);
        }
        return new Phase(
                name,
                multiplier,
                (to - from) / 1000.0,
                produced,
                c.labelled,
                c.skipped,
                c.dead,
                produced - c.distinct.size(),
                c.duplicates,
                percentile(ages, 0.50),
                percentile(ages, 0.99),
                multiplier == null ? null : percentile(agesAfter, 0.99),
                levels == 0 ? null : levelSum / levels,
                changes,
                settled,
                perMinute,
                c.accuracyKnown && produced > 0 ? c.accuracySum / produced : null,
                c.judged == 0 ? null : (double) c.correct / c.judged,
                c.judged == c.labelled && produced > 0 ? (double) c.correct / produced : null,
                List.copyOf(c.sources),
                c.reuseLabelled,
                c.reuseLabelled == 0 ? null : (double) c.reused / c.labelled);
    }

    /** The outputs of the frames captured in one phase, each (stream, seq) counted once. */
    private final class Captured {
        final Set<String> distinct = new HashSet<>();
        long labelled;
        long skipped;
        long dead;
        long duplicates;
        double accuracySum;
        boolean accuracyKnown = !accuracy.isEmpty();
        final Set<String> sources = new TreeSet<>();
        long judged;
        long correct;
        long reuseLabelled;
        long reused;

        void add(LabelReader.Sample s) {
            if (!distinct.add(s.stream() + "#" + s.seq())) {
                duplicates++;
                return;
            }
            if (s.deadLetter()) {
                dead++;
            } else if (s.skipped()) {
                skipped++;
            } else {
                labelled++;
                LevelAccuracy.Entry a = accuracy.get(s.level());
                if (a == null) {
                    accuracyKnown = false;
                    sources.add("unknown: " + canonical(s.level()));
                } else {
                    accuracySum += a.accuracy();
                    sources.add(a.source());
                }
                if (s.reused() != null) {
                    reuseLabelled++;
                    reused += s.reused() ? 1 : 0;
                }
                String truth = truthOf(s);
                if (truth != null) {
                    judged++;
                    correct += truth.equals(s.top1()) ? 1 : 0;
                }
            }
        }
    }

    /** p99 read age of the labels read in [from, to), null when none was. */
    Long p99Read(LoadTestRun.Result r, long from, long to) {
        List<Long> ages = new ArrayList<>();
        for (LabelReader.Sample s : r.samples()) {
            if (s.labelled() && s.readTs() >= from && s.readTs() < to) {
                ages.add(s.readAgeMs());
            }
        }
        ages.sort(null);
        return percentile(ages, 0.99);
    }

    /** Level changes between consecutive labelled frames in emission order, the later one emitted in [from, to). */
    int levelChanges(List<LabelReader.Sample> sortedByEmit, long from, long to) {
        int changes = 0;
        int previous = Integer.MIN_VALUE;
        for (LabelReader.Sample s : sortedByEmit) {
            if (!s.labelled()) {
                continue;
            }
            int rung = rung(s.level());
            if (previous != Integer.MIN_VALUE && rung != previous && s.emitTs() >= from && s.emitTs() < to) {
                changes++;
            }
            previous = rung;
        }
        return changes;
    }

    /** 0 for warm-up frames, k for frames of phase k, -1 for anything else. */
    static int phaseOf(String stream) {
        if (stream.startsWith(LoadTestRun.WARMUP_PREFIX)) {
            return 0;
        }
        int dash = stream.indexOf("-cam-");
        if (stream.startsWith("p") && dash > 1) {
            try {
                return Integer.parseInt(stream.substring(1, dash));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    private String truthOf(LabelReader.Sample s) {
        int dash = s.stream().lastIndexOf('-');
        try {
            int stream = Integer.parseInt(s.stream().substring(dash + 1));
            return stream < cameras.streams() && s.seq() >= 0 ? cameras.truthOf(stream, s.seq()) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private final Map<String, Integer> rungs = new HashMap<>();

    /** The ladder rung of a level text, -1 when it is not on the ladder. */
    int rung(String level) {
        return rungs.computeIfAbsent(level, l -> {
            try {
                return ladder.indexOf(CompressionLevel.parse(l));
            } catch (IllegalArgumentException e) {
                return -1;
            }
        });
    }

    static String canonical(String level) {
        try {
            return CompressionLevel.parse(level).toString();
        } catch (IllegalArgumentException e) {
            return level;
        }
    }

    /** Nearest-rank percentile of sorted values, null when there are none. */
    static Long percentile(List<Long> sorted, double q) {
        return sorted.isEmpty() ? null : StatusReporter.percentile(sorted, q);
    }
}
