package org.tocomstream.job.ladder;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.LadderSelection;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.bench.ProcessStats;

/** Builds {@link MeasuredLadder} from the measurements and prints the table of {@code ladder}. */
final class LadderReport {

    private LadderReport() {}

    /**
     * The measured ladder: candidates, their selection for {@code targets}, and the run's facts.
     *
     * @param cost costs every candidate; {@linkplain CostModel#withStudent with the student} when
     *     one is among them
     * @param student the student measured as the level {@code student}, null for none
     */
    static MeasuredLadder build(
            String command,
            String architecture,
            String weightsSha256,
            LadderFrames frames,
            int batch,
            CostModel cost,
            List<LadderCandidates> candidates,
            LadderMeasurement.Quality quality,
            double[] framesPerSecond,
            List<Double> targets,
            MeasuredLadder.Student student) {
        double dense = cost.macs(CompressionLevel.none());
        List<LadderSelection.Measured> measured = new ArrayList<>();
        for (int l = 0; l < candidates.size(); l++) {
            CompressionLevel level = candidates.get(l).level();
            measured.add(new LadderSelection.Measured(
                    level.toString(),
                    candidates.get(l).family(),
                    cost.macs(level) / dense,
                    frames.labelled() ? quality.top1()[l] : quality.agreement()[l],
                    quality.kl()[l],
                    framesPerSecond[l]));
        }
        LadderSelection.Result selected = LadderSelection.select(measured, targets);
        return new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                command,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                new MeasuredLadder.Machine(
                        ProcessStats.cpuModel(),
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version")),
                new MeasuredLadder.Model(architecture, weightsSha256),
                new MeasuredLadder.Data(frames.description(), frames.size(), frames.labelled()),
                batch,
                frames.labelled() ? MeasuredLadder.TOP1 : MeasuredLadder.AGREEMENT,
                selected.candidates(),
                selected.rungs(),
                student);
    }

    /**
     * The table: one row per candidate (level, family, rel. MACs, quality %, KL, frames/s,
     * speed-up, {@code *} on the Pareto frontier), then one line per rung.
     */
    static void print(MeasuredLadder ladder, PrintStream out) {
        String metric = MeasuredLadder.TOP1.equals(ladder.metric()) ? "top-1 %" : "agree %";
        out.printf(
                Locale.ROOT,
                "%s on %s, batch %d, %s%n",
                ladder.model().architecture(),
                ladder.data().description(),
                ladder.batch(),
                ladder.machine().cpuModel());
        int width = Math.max(
                5,
                ladder.candidates().stream()
                        .mapToInt(c -> c.level().length())
                        .max()
                        .orElse(5));
        out.printf(
                Locale.ROOT,
                "%-" + width + "s  %-15s  %9s  %8s  %8s  %9s  %8s  pareto%n",
                "level",
                "family",
                "rel. MACs",
                metric,
                "KL",
                "frames/s",
                "speed-up");
        for (MeasuredLadder.Candidate c : ladder.candidates()) {
            out.printf(
                    Locale.ROOT,
                    "%-" + width + "s  %-15s  %9.3f  %8.2f  %8.4f  %9.1f  %8.2f  %s%n",
                    c.level(),
                    c.family(),
                    c.relativeMacs(),
                    100 * c.quality(),
                    c.kl() == null ? Double.NaN : c.kl(),
                    c.framesPerSecond(),
                    c.speedup(),
                    c.pareto() ? "*" : "");
        }
        for (int i = 0; i < ladder.rungs().size(); i++) {
            MeasuredLadder.Rung r = ladder.rungs().get(i);
            out.println(
                    r.reachable()
                            ? String.format(
                                    Locale.ROOT,
                                    "rung %d: target %.2fx -> %s (%.2fx, %s %.2f)",
                                    i,
                                    r.target(),
                                    r.level(),
                                    r.speedup(),
                                    metric,
                                    100 * r.quality())
                            : String.format(
                                    Locale.ROOT,
                                    "rung %d: target %.2fx unreachable (best speed-up seen %.2fx%s); not used",
                                    i,
                                    r.target(),
                                    r.speedup(),
                                    r.speedup() >= r.target()
                                            ? "; the levels that reach it are no faster than an earlier"
                                                    + " rung or deliver fewer correct labels per second"
                                                    + " (quality x speed-up) than it with its overflow skipped"
                                            : ""));
        }
    }
}
