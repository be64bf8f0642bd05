package org.tocomstream.job.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.LadderSelection;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.job.run.LabelReader;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.job.train.EvaluateReport;
import org.tocomstream.model.ModelSpec;

/**
 * {@code loadtest --ladders}: the variants it compares, the accuracy per level and its source, and
 * the analysis of a run over a named ladder (delivered top-1, expected accuracy and its sources, the
 * comparison table), on made-up samples: no job runs here.
 */
class LoadTestLaddersTest {

    static Path dir;
    static CostModel cost;

    private final OptionParser parser = new OptionParser("loadtest")
            .value("--ladders", "LIST", "ladders")
            .value("--ladder", "LADDER", "one ladder");

    @BeforeAll
    static void demoModel() throws IOException {
        dir = DemoModel.resolve().dir();
        cost = CostModel.of(ModelSpec.read(dir).architecture().geometry());
    }

    @AfterAll
    static void deleteIt() {
        DemoModel.delete(dir);
    }

    @AfterEach
    void noLadderJson() throws IOException {
        Files.deleteIfExists(dir.resolve(MeasuredLadder.FILE_NAME));
    }

    /** A measured ladder none, tome:3, evit:0.5 on labelled frames (made-up numbers: only the plumbing matters). */
    private static MeasuredLadder writeLadder(String metric) throws IOException {
        LadderSelection.Result r = LadderSelection.select(
                List.of(
                        new LadderSelection.Measured("none", "none", 1.0, 0.9, null, 100),
                        new LadderSelection.Measured("tome:3", "tome", 0.7, 0.85, null, 140),
                        new LadderSelection.Measured("evit:0.5", "evit", 0.5, 0.8, null, 190)),
                List.of(1.25, 1.8));
        MeasuredLadder m = new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder --model " + dir,
                "2026-12-07T00:00:00Z",
                new MeasuredLadder.Machine("cpu", 2, "17"),
                new MeasuredLadder.Model("vit_demo", TokenCompensator.weightsSha256(dir)),
                new MeasuredLadder.Data("test", 10, MeasuredLadder.TOP1.equals(metric)),
                8,
                metric,
                r.candidates(),
                r.rungs());
        m.write(dir.resolve(MeasuredLadder.FILE_NAME));
        return m;
    }

    private List<LoadTestLadders.Variant> parse(String... argv) throws UsageException {
        ParsedArgs args = parser.parse(argv);
        return LoadTestLadders.parse(args, new Configuration(), dir, cost);
    }

    @Test
    void derivedAndMeasuredAreTheJobsTwoLadders() throws Exception {
        writeLadder(MeasuredLadder.TOP1);
        List<LoadTestLadders.Variant> v = parse("--ladders", "derived,measured");
        assertThat(v).extracting(LoadTestLadders.Variant::name).containsExactly("derived", "measured");
        assertThat(v.get(0).ladder().toString()).isEqualTo("none;tome:2;tome:4;tome:6");
        assertThat(v.get(0).choice().source()).startsWith("derived from the model");
        assertThat(v.get(1).ladder().toString()).isEqualTo("none;tome:3;evit:0.5");
        assertThat(v.get(1).choice().source()).startsWith("measured: " + dir.resolve("ladder.json"));
        assertThat(parse()).isEmpty();
    }

    @Test
    void aNamedMeasuredFileInTheModelDirectoryIsCostedAsTheJobCostsLadderJson() throws Exception {
        writeLadder(MeasuredLadder.TOP1);
        Path other = dir.resolve("ladder-other.json");
        Files.move(dir.resolve(MeasuredLadder.FILE_NAME), other);
        try {
            List<LoadTestLadders.Variant> v = parse("--ladders", "derived|mine=" + other);
            assertThat(v).extracting(LoadTestLadders.Variant::name).containsExactly("derived", "mine");
            assertThat(v.get(1).ladder().toString()).isEqualTo("none;tome:3;evit:0.5");
            assertThat(v.get(1).choice().source()).startsWith("measured: " + other);
            assertThat(v.get(1).choice().measured()).isNotNull();
            assertError(
                    "--ladders mine=" + dir.resolve("nothing.json"),
                    "--ladders: mine: no such file " + dir.resolve("nothing.json"));
            Path outside = Files.createTempFile("ladder", ".json");
            try {
                assertError(
                        "--ladders mine=" + outside,
                        "--ladders: mine: " + outside + " is not in the model directory " + dir
                                + " (a measured ladder is checked against the weights beside it)");
            } finally {
                Files.delete(outside);
            }
        } finally {
            Files.deleteIfExists(other);
        }
    }

    @Test
    void namedLadderTextsAreSeparatedByBars() throws Exception {
        List<LoadTestLadders.Variant> v = parse("--ladders", "derived|fast=none;tome:8,8,4;evit:0.5");
        assertThat(v).extracting(LoadTestLadders.Variant::name).containsExactly("derived", "fast");
        assertThat(v.get(1).ladder().toString()).isEqualTo("none;tome:8,8,4;evit:0.5");
        assertThat(v.get(1).choice().source()).isEqualTo("given as --ladders fast");
    }

    @Test
    void errorsNameTheOptionAndTheEntry() {
        assertError(
                "--ladders derived,fastest",
                "--ladders: unknown ladder 'fastest'; expected derived, measured or NAME=LADDER");
        assertError("--ladders derived,derived", "--ladders: 'derived' given twice");
        assertError("--ladders derived,", "--ladders: an empty entry; expected derived, measured or NAME=LADDER");
        assertError(
                "--ladders Fast=none;tome:2",
                "--ladders: ladder name 'Fast' must be lower-case letters, digits, '-' or '_' (it names topics)");
        assertError(
                "--ladders derived|slow=tome:2;tome:4",
                "--ladders: every ladder must start at the same level (the capacity is measured there), but derived"
                        + " starts at none and slow at tome:2");
        assertError(
                "--ladders measured",
                "--ladders: measured: no ladder.json in " + dir + "; measure it first: ladder --model " + dir
                        + " (--data DIR | --images DIR | --generator)");
        assertError(
                "--ladder none;tome:2 --ladders derived",
                "--ladders: give either --ladder (one ladder) or --ladders (a comparison), not both");
    }

    private void assertError(String argv, String message) {
        assertThatThrownBy(() -> parse(argv.split(" ")))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining(message);
    }

    private static EvaluateReport evaluate() throws IOException {
        String json = "{\"schemaVersion\": 1, \"rows\": ["
                + "{\"level\": \"none\", \"accuracy\": 0.95},"
                + "{\"level\": \"tome:2\", \"accuracy\": 0.94}]}";
        return EvaluateReport.read(new StringReader(json), "acc.json");
    }

    @Test
    void accuracyComesFromTheEvaluateReportThenTheLaddersCandidatesAndIsElseUnknown() throws Exception {
        LevelAccuracy a = LevelAccuracy.NONE.withEvaluate(evaluate(), "acc.json");
        a = a.withLadder(writeLadder(MeasuredLadder.TOP1), "L");
        assertThat(a.get("none")).isEqualTo(new LevelAccuracy.Entry(0.95, "acc.json (top1)"));
        assertThat(a.get("tome:3")).isEqualTo(new LevelAccuracy.Entry(0.85, "L candidates (top1)"));
        assertThat(a.get("tome:6")).isNull();
        LevelAccuracy agreement = LevelAccuracy.NONE.withLadder(writeLadder(MeasuredLadder.AGREEMENT), "L");
        assertThat(agreement.get("evit:0.5").source())
                .isEqualTo("L candidates (agreement with none, a proxy for top-1)");
        org.tocomstream.control.Ladder derived =
                parse("--ladders", "derived").get(0).ladder();
        List<org.tocomstream.compress.CompressionLevel> levels = new ArrayList<>();
        for (int i = 0; i < derived.size(); i++) {
            levels.add(derived.level(i));
        }
        assertThat(LevelAccuracy.table(a, levels))
                .extracting(row -> row.get("source"))
                .containsExactly("acc.json (top1)", "acc.json (top1)", "unknown", "unknown");
    }

    @Test
    void aRunOverANamedLadderIsScoredAgainstTheGeneratorsClasses() throws Exception {
        writeLadder(MeasuredLadder.TOP1);
        LevelAccuracy accuracy = LevelAccuracy.NONE
                .withEvaluate(evaluate(), "acc.json")
                .withLadder(MeasuredLadder.read(dir.resolve(MeasuredLadder.FILE_NAME)), "L");
        LoadTestLadders.Variant measured = parse("--ladders", "measured").get(0);
        // One stream whose frames 0..3 are of classes a, b, a, b.
        PipelineRuns.Cameras cameras = new PipelineRuns.Cameras(null, new String[] {"a", "b"}, 1);
        long t0 = 1_000_000;
        List<LabelReader.Sample> samples = new ArrayList<>();
        samples.add(label("p1-cam-0", 0, t0 + 100, "none", "a")); // right
        samples.add(label("p1-cam-0", 1, t0 + 200, "tome:3", "b")); // right
        samples.add(label("p1-cam-0", 2, t0 + 300, "evit:0.5", "b")); // wrong
        samples.add(new LabelReader.Sample("p1-cam-0", 3, t0 + 400, t0 + 500, -1, true, null, null, false));
        LoadTestRun.Result run = new LoadTestRun.Result(
                LoadTestPolicy.ADAPTIVE,
                "measured",
                "adaptive over " + measured.ladder(),
                t0,
                new long[] {t0},
                new long[] {t0 + 1000},
                0,
                new long[] {4},
                new long[] {4},
                4,
                t0 + 1000,
                true,
                samples);
        assertThat(run.id()).isEqualTo("adaptive[measured]");
        assertThat(LoadTestOutput.csvName(run)).isEqualTo("loadtest-adaptive-measured.csv");
        LoadTestAnalysis.Report r =
                new LoadTestAnalysis(measured.ladder(), accuracy, cameras, List.of(2.0)).analyse(run);
        LoadTestAnalysis.Phase p = r.phases().get(1);
        assertThat(p.labelled()).isEqualTo(3);
        assertThat(p.skipped()).isEqualTo(1);
        assertThat(p.measuredTop1()).isEqualTo(2 / 3.0);
        // Two right of four produced: the skipped frame counts as wrong.
        assertThat(p.correctPerProduced()).isEqualTo(2 / 4.0);
        // (0.95 + 0.85 + 0.8) / 4 produced: the skipped frame counts as wrong.
        assertThat(p.expectedAccuracy()).isCloseTo(2.6 / 4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(p.accuracySources()).containsExactly("L candidates (top1)", "acc.json (top1)");

        LoadTestAnalysis.Report derived = new LoadTestAnalysis(
                        parse("--ladders", "derived").get(0).ladder(), LevelAccuracy.NONE, cameras, List.of(2.0))
                .analyse(run);
        assertThat(derived.phases().get(1).expectedAccuracy()).isNull();
        assertThat(derived.phases().get(1).accuracySources())
                .containsExactly("unknown: evit:0.5", "unknown: none", "unknown: tome:3");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LoadTestOutput.printComparison(List.of(r), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("ladders compared", "ladder", "adaptive", "measured", "2x", "66.7%", "65.00%");
    }

    private static LabelReader.Sample label(String stream, long seq, long readTs, String level, String top1) {
        return new LabelReader.Sample(stream, seq, readTs - 50, readTs, 40, false, level, top1, false);
    }
}
