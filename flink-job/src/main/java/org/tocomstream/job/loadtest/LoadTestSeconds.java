package org.tocomstream.job.loadtest;

import java.util.ArrayList;
import java.util.List;
import org.tocomstream.job.run.LabelReader;

/** The per-second series of one run ({@link LoadTestAnalysis.Second}), as the CSV and the plot show it. */
final class LoadTestSeconds {

    private LoadTestSeconds() {}

    /** One row per second since phase 1 started, over {@code samples} sorted by emission. */
    static List<LoadTestAnalysis.Second> of(
            LoadTestAnalysis analysis,
            LoadTestRun.Result r,
            List<LabelReader.Sample> samples,
            List<Double> multipliers) {
        int count = (int) Math.max(r.producedPerSecond().length, (r.end() - r.t0() + 999) / 1000);
        long[] outputs = new long[count];
        long[] labelled = new long[count];
        long[] skipped = new long[count];
        long[] dead = new long[count];
        List<List<Long>> ages = new ArrayList<>();
        double[] levelSum = new double[count];
        String[] lastLevel = new String[count];
        long[] lastEmit = new long[count];
        for (int i = 0; i < count; i++) {
            ages.add(new ArrayList<>());
        }
        long outputsBefore = 0;
        for (LabelReader.Sample s : samples) {
            long dt = s.readTs() - r.t0();
            if (dt < 0) {
                outputsBefore++;
                continue;
            }
            int t = (int) Math.min(count - 1, dt / 1000);
            outputs[t]++;
            if (s.deadLetter()) {
                dead[t]++;
            } else if (s.skipped()) {
                skipped[t]++;
            } else {
                labelled[t]++;
                ages.get(t).add(s.readAgeMs());
                levelSum[t] += analysis.rung(s.level());
                if (s.emitTs() >= lastEmit[t]) {
                    lastEmit[t] = s.emitTs();
                    lastLevel[t] = s.level();
                }
            }
        }
        List<LoadTestAnalysis.Second> out = new ArrayList<>();
        long produced = r.producedBefore();
        long done = outputsBefore;
        for (int t = 0; t < count; t++) {
            long arrived = t < r.producedPerSecond().length ? r.producedPerSecond()[t] : 0;
            produced += arrived;
            done += outputs[t];
            List<Long> a = ages.get(t);
            a.sort(null);
            int phase = phaseAt(r, r.t0() + t * 1000L + 500);
            out.add(new LoadTestAnalysis.Second(
                    t,
                    phase < 0 ? "drain" : Integer.toString(phase + 1),
                    phase < 0 ? null : multipliers.get(phase),
                    arrived,
                    labelled[t],
                    skipped[t],
                    dead[t],
                    LoadTestAnalysis.percentile(a, 0.50),
                    LoadTestAnalysis.percentile(a, 0.99),
                    labelled[t] == 0 ? null : levelSum[t] / labelled[t],
                    lastLevel[t],
                    produced - done));
        }
        return out;
    }

    /** The 0-based phase running at {@code ts}, or -1 after the last. */
    private static int phaseAt(LoadTestRun.Result r, long ts) {
        for (int i = 0; i < r.phaseStart().length; i++) {
            if (ts < r.phaseEnd()[i]) {
                return i;
            }
        }
        return -1;
    }
}
