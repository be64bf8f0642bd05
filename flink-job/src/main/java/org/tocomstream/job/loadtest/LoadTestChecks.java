package org.tocomstream.job.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tocomstream.job.run.LabelReader;

/**
 * The checks of the overload test ({@code loadtest.md}, The checks), evaluated on
 * what was measured; a check that the run cannot decide (its policy not run, a phase too short)
 * says SKIP and why.
 */
public final class LoadTestChecks {

    /** How long after the start of the last light phase the adaptive policy must be back at rung 0. */
    static final long RESTORE_WITHIN_MS = 30_000;

    /** Most level changes per minute under steady load. */
    static final double MAX_CHANGES_PER_MINUTE = 2;

    /** One check's outcome: {@code PASS}, {@code FAIL} or {@code SKIP}. */
    record Check(String check, String policy, String result, String detail) {}

    private LoadTestChecks() {}

    static List<Check> evaluate(List<LoadTestAnalysis.Report> reports, LoadTestSettings s) {
        List<Double> m = s.phases();
        int overload = -1;
        for (int i = 0; i < m.size() && overload < 0; i++) {
            if (m.get(i) > 1) {
                overload = i;
            }
        }
        int restore = -1;
        for (int i = m.size() - 1; i > overload && overload >= 0 && restore < 0; i--) {
            if (m.get(i) < 1) {
                restore = i;
            }
        }
        long targetMs = s.latencyTarget().toMillis();
        List<Check> checks = new ArrayList<>();
        for (LoadTestAnalysis.Report r : reports) {
            checks.add(lost(r));
        }
        boolean fixed0 = false;
        for (LoadTestAnalysis.Report r : reports) {
            LoadTestPolicy p = r.run().policy();
            if (p == LoadTestPolicy.FIXED_0) {
                fixed0 = true;
                checks.add(grows(r, overload, m, targetMs, r.analysis()));
            }
            if (p.adaptive()) {
                checks.add(underTarget(r, overload, m, targetMs));
                checks.add(restores(r, restore, m, r.analysis()));
                checks.add(steady(r, m));
            }
        }
        if (!fixed0) {
            checks.add(new Check("fixed level 0 falls behind under overload", "fixed-0", "SKIP", "policy not run"));
        }
        return checks;
    }

    private static Check lost(LoadTestAnalysis.Report r) {
        LoadTestAnalysis.Phase t = r.total();
        LoadTestRun.Result run = r.run();
        boolean ok = t.lost() == 0 && run.framesTopicRecords() == run.produced();
        return new Check(
                "nothing lost",
                run.id(),
                ok ? "PASS" : "FAIL",
                String.format(
                        Locale.ROOT,
                        "produced %d (frames topic %d) = labelled %d + skipped %d + dead-lettered %d + lost %d; %d duplicates%s",
                        run.produced(),
                        run.framesTopicRecords(),
                        t.labelled(),
                        t.skipped(),
                        t.deadLettered(),
                        t.lost(),
                        t.duplicates(),
                        run.drained() ? "" : "; stopped waiting: no output for the drain idle time"));
    }

    private static Check underTarget(LoadTestAnalysis.Report r, int overload, List<Double> m, long targetMs) {
        String name = String.format(
                Locale.ROOT,
                "p99 frame age under %d ms after %d s of overload",
                targetMs,
                LoadTestAnalysis.TRANSITION_MS / 1000);
        if (overload < 0) {
            return new Check(name, r.run().id(), "SKIP", "no phase above 1x capacity");
        }
        LoadTestAnalysis.Phase p = r.phases().get(overload + 1);
        if (p.ageP99AfterTransitionMs() == null) {
            return new Check(
                    name,
                    r.run().id(),
                    "SKIP",
                    String.format(
                            Locale.ROOT,
                            "phase %d (%sx): no label read after its first %d s",
                            overload + 1,
                            LoadTestSettings.format(m.get(overload)),
                            LoadTestAnalysis.TRANSITION_MS / 1000));
        }
        return new Check(
                name,
                r.run().id(),
                p.ageP99AfterTransitionMs() < targetMs ? "PASS" : "FAIL",
                String.format(
                        Locale.ROOT,
                        "phase %d (%sx): p99 %d ms from %d s in (whole phase %d ms)",
                        overload + 1,
                        LoadTestSettings.format(m.get(overload)),
                        p.ageP99AfterTransitionMs(),
                        LoadTestAnalysis.TRANSITION_MS / 1000,
                        p.ageP99Ms()));
    }

    /** Fixed level 0 in the first overload phase: the age at its end above the target and above its start. */
    private static Check grows(
            LoadTestAnalysis.Report r, int overload, List<Double> m, long targetMs, LoadTestAnalysis analysis) {
        String name = "fixed level 0 falls behind under overload";
        if (overload < 0) {
            return new Check(name, r.run().id(), "SKIP", "no phase above 1x capacity");
        }
        long start = r.run().phaseStart()[overload];
        long end = r.run().phaseEnd()[overload];
        long third = (end - start) / 3;
        Long first = analysis.p99Read(r.run(), start, start + third);
        Long last = analysis.p99Read(r.run(), end - third, end);
        if (first == null || last == null) {
            return new Check(name, r.run().id(), "SKIP", "no labels read in the first or last third of the phase");
        }
        boolean grows = last > targetMs && last > first;
        return new Check(
                name,
                r.run().id(),
                grows ? "PASS" : "FAIL",
                String.format(
                        Locale.ROOT,
                        "phase %d (%sx): p99 age %d ms in its first third, %d ms in its last (target %d ms)",
                        overload + 1,
                        LoadTestSettings.format(m.get(overload)),
                        first,
                        last,
                        targetMs));
    }

    /** Back at rung 0, for good, within 30 s of the start of the last phase below 1x that follows an overload. */
    private static Check restores(LoadTestAnalysis.Report r, int restore, List<Double> m, LoadTestAnalysis analysis) {
        String name =
                String.format(Locale.ROOT, "back at level 0 within %d s of the load falling", RESTORE_WITHIN_MS / 1000);
        String policy = r.run().id();
        if (restore < 0) {
            return new Check(name, policy, "SKIP", "no phase below 1x after one above it");
        }
        long start = r.run().phaseStart()[restore];
        long end = r.run().phaseEnd()[restore];
        long lastHigh = start;
        long lastZero = -1;
        for (LabelReader.Sample s : r.run().samples()) {
            if (!s.labelled() || s.readTs() < start || s.readTs() >= end) {
                continue;
            }
            if (analysis.rung(s.level()) != 0) {
                lastHigh = Math.max(lastHigh, s.readTs());
            } else {
                lastZero = Math.max(lastZero, s.readTs());
            }
        }
        String phase =
                String.format(Locale.ROOT, "phase %d (%sx)", restore + 1, LoadTestSettings.format(m.get(restore)));
        boolean back = lastZero > lastHigh;
        if (back) {
            long after = lastHigh - start;
            return new Check(
                    name,
                    policy,
                    after <= RESTORE_WITHIN_MS ? "PASS" : "FAIL",
                    String.format(
                            Locale.ROOT,
                            "%s: every label read from %.1f s into the phase on is at level 0",
                            phase,
                            after / 1000.0));
        }
        if (end - start < RESTORE_WITHIN_MS) {
            return new Check(
                    name,
                    policy,
                    "SKIP",
                    String.format(
                            Locale.ROOT,
                            "%s lasts %.0f s, less than %d s, and ends above level 0",
                            phase,
                            (end - start) / 1000.0,
                            RESTORE_WITHIN_MS / 1000));
        }
        return new Check(name, policy, "FAIL", phase + ": still above level 0 at its end");
    }

    /**
     * At most 2 level changes a minute in every phase of steady load, after it settled: phases not
     * preceded by a higher load (a fall in load brings legitimate steps back, which the restore
     * check covers).
     */
    private static Check steady(LoadTestAnalysis.Report r, List<Double> m) {
        String name = String.format(
                Locale.ROOT, "at most %.0f level changes per minute under steady load", MAX_CHANGES_PER_MINUTE);
        List<String> parts = new ArrayList<>();
        boolean evaluated = false;
        boolean ok = true;
        for (int i = 0; i < m.size(); i++) {
            if (i > 0 && m.get(i) < m.get(i - 1)) {
                continue;
            }
            LoadTestAnalysis.Phase p = r.phases().get(i + 1);
            if (p.levelChangesPerMinuteSettled() == null) {
                continue;
            }
            evaluated = true;
            ok &= p.levelChangesPerMinuteSettled() <= MAX_CHANGES_PER_MINUTE;
            parts.add(String.format(
                    Locale.ROOT,
                    "phase %d (%sx) %d changes, %.1f/min",
                    i + 1,
                    LoadTestSettings.format(m.get(i)),
                    p.levelChangesSettled(),
                    p.levelChangesPerMinuteSettled()));
        }
        if (!evaluated) {
            return new Check(
                    name,
                    r.run().id(),
                    "SKIP",
                    String.format(
                            Locale.ROOT,
                            "needs phases of at least %d s (changes are counted after the first %d s)",
                            2 * LoadTestAnalysis.SETTLE_MS / 1000,
                            LoadTestAnalysis.SETTLE_MS / 1000));
        }
        return new Check(
                name,
                r.run().id(),
                ok ? "PASS" : "FAIL",
                "after " + LoadTestAnalysis.SETTLE_MS / 1000 + " s of each: " + String.join("; ", parts));
    }
}
