package org.tocomstream.job.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.job.train.EvaluateReport;

/**
 * The accuracy of each level that {@code loadtest}'s expected accuracy uses, and where each number
 * came from: an {@code evaluate --json} report (top-1 on held-out labelled data), else the model's
 * {@code ladder.json} candidates (top-1 when it was measured on labelled frames; agreement with the
 * uncompressed model's top-1 when not, a stated proxy). A level in neither is unknown: {@link
 * #get} returns null and nothing is guessed.
 *
 * <pre>{@code
 * LevelAccuracy a = LevelAccuracy.NONE.withEvaluate(report, "acc.json").withLadder(ladder, "DIR/ladder.json");
 * a.get("evit:0.6");   // Entry[accuracy=0.93, source="DIR/ladder.json candidates (top1)"]
 * }</pre>
 */
final class LevelAccuracy {

    /** One level's accuracy and its source. */
    record Entry(double accuracy, String source) {}

    /** No level known. */
    static final LevelAccuracy NONE = new LevelAccuracy(Map.of(), null);

    private final Map<String, Entry> byLevel;
    private final String evaluateSource;

    private LevelAccuracy(Map<String, Entry> byLevel, String evaluateSource) {
        this.byLevel = Map.copyOf(byLevel);
        this.evaluateSource = evaluateSource;
    }

    /** Where the evaluate report came from, null without one. */
    String evaluateSource() {
        return evaluateSource;
    }

    /** This, plus the rows of an evaluate report for levels not yet known. */
    LevelAccuracy withEvaluate(EvaluateReport report, String source) {
        Map<String, Entry> m = new LinkedHashMap<>(byLevel);
        for (EvaluateReport.Row row : report.rows()) {
            m.putIfAbsent(LoadTestAnalysis.canonical(row.level()), new Entry(row.accuracy(), source + " (top1)"));
        }
        return new LevelAccuracy(m, evaluateSource == null ? source : evaluateSource);
    }

    /**
     * This, plus a measured ladder's candidates for levels not yet known: their quality, top-1 when
     * the ladder was measured on labelled frames, else agreement with the uncompressed model as a
     * proxy for it.
     */
    LevelAccuracy withLadder(MeasuredLadder ladder, String file) {
        boolean top1 = MeasuredLadder.TOP1.equals(ladder.metric());
        String source = file + " candidates (" + (top1 ? "top1" : "agreement with none, a proxy for top-1") + ")";
        Map<String, Entry> m = new LinkedHashMap<>(byLevel);
        for (MeasuredLadder.Candidate c : ladder.candidates()) {
            m.putIfAbsent(LoadTestAnalysis.canonical(c.level()), new Entry(c.quality(), source));
        }
        if (top1) {
            // The rungs repeat their candidates' quality; a rung whose candidate is missing still counts.
            for (MeasuredLadder.Rung r : ladder.rungs()) {
                if (r.reachable() && r.quality() != null) {
                    m.putIfAbsent(LoadTestAnalysis.canonical(r.level()), new Entry(r.quality(), source));
                }
            }
        }
        return new LevelAccuracy(m, evaluateSource);
    }

    /** The accuracy of {@code level} (any text form), or null when unknown. */
    Entry get(String level) {
        return byLevel.get(LoadTestAnalysis.canonical(level));
    }

    boolean isEmpty() {
        return byLevel.isEmpty();
    }

    /** For the summary JSON: per level, its accuracy and source, {@code unknown} when neither is known. */
    static List<Map<String, Object>> table(LevelAccuracy a, List<CompressionLevel> levels) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (CompressionLevel level : levels) {
            Entry e = a.get(level.toString());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("level", level.toString());
            row.put("accuracy", e == null ? null : e.accuracy());
            row.put("source", e == null ? "unknown" : e.source());
            rows.add(row);
        }
        return rows;
    }

    /**
     * The accuracies {@code loadtest} knows for this model: {@code --accuracy FILE} (an evaluate
     * report), else the bundled demo model's; then the model directory's ladder.json candidates
     * for the levels not in it, when the file was measured on the model's weights (else a warning).
     */
    static LevelAccuracy load(ParsedArgs args, DemoModel.Resolved bundled, Path modelDir, PrintStream err)
            throws UsageException, IOException {
        LevelAccuracy a = NONE;
        if (args.has("--accuracy")) {
            Path file = args.path("--accuracy").orElseThrow();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                a = a.withEvaluate(EvaluateReport.read(r, file.toString()), file.toString());
            } catch (IOException e) {
                throw args.error("--accuracy", Cli.describe(e));
            }
        } else if (bundled != null && !bundled.randomWeights()) {
            String resource = LoadTestCommand.ACCURACY_RESOURCE;
            try (InputStream in = LevelAccuracy.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    err.println(
                            "loadtest: warning: no " + resource + " in this build; expected accuracy is not reported");
                } else {
                    EvaluateReport report =
                            EvaluateReport.read(new InputStreamReader(in, StandardCharsets.UTF_8), resource);
                    a = a.withEvaluate(report, "bundled " + resource);
                }
            }
        }
        Path ladder = modelDir.resolve(MeasuredLadder.FILE_NAME);
        if (Files.isRegularFile(ladder)) {
            try {
                MeasuredLadder measured = MeasuredLadder.read(ladder);
                String sha = TokenCompensator.weightsSha256(modelDir);
                if (sha.equalsIgnoreCase(measured.model().weightsSha256())) {
                    a = a.withLadder(measured, ladder.toString());
                } else {
                    err.println("loadtest: warning: accuracy per level not taken from " + ladder
                            + ": it was measured on other weights (sha256 "
                            + measured.model().weightsSha256()
                            + ", the model's are " + sha + ")");
                }
            } catch (IOException e) {
                err.println("loadtest: warning: accuracy per level not taken from " + Cli.describe(e));
            }
        }
        return a;
    }
}
