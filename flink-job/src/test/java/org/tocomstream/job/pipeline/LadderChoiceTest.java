package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.LadderSelection;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.model.ModelSpec;

/** Which ladder the adaptive control uses: the setting, else the model's ladder.json, else derived. */
class LadderChoiceTest {

    static Path dir;
    static CostModel cost;
    static String sha;

    @BeforeAll
    static void demoModel() throws IOException {
        dir = DemoModel.resolve().dir();
        cost = CostModel.of(ModelSpec.read(dir).architecture().geometry());
        sha = TokenCompensator.weightsSha256(dir);
    }

    @AfterAll
    static void deleteIt() {
        DemoModel.delete(dir);
    }

    private static Configuration conf() {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.MODEL_DIR, dir.toString());
        c.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        return c;
    }

    /** A measured ladder none, tome:3, evit:0.5 (numbers made up: only the selection's output matters here). */
    private static void writeLadder(String weightsSha256) throws IOException {
        LadderSelection.Result r = LadderSelection.select(
                List.of(
                        new LadderSelection.Measured("none", "none", 1.0, 0.9, null, 100),
                        new LadderSelection.Measured("tome:3", "tome", 0.7, 0.85, null, 140),
                        new LadderSelection.Measured("evit:0.5", "evit", 0.5, 0.8, null, 190)),
                List.of(1.25, 1.8, 4.0));
        new MeasuredLadder(
                        MeasuredLadder.SCHEMA_VERSION,
                        "ladder --model " + dir,
                        "2026-12-07T00:00:00Z",
                        new MeasuredLadder.Machine("cpu", 2, "17"),
                        new MeasuredLadder.Model("vit_demo", weightsSha256),
                        new MeasuredLadder.Data("test", 10, false),
                        8,
                        MeasuredLadder.AGREEMENT,
                        r.candidates(),
                        r.rungs())
                .write(dir.resolve(MeasuredLadder.FILE_NAME));
    }

    @Test
    void withoutLadderJsonTheLadderIsDerivedFromTheModel() throws IOException {
        java.nio.file.Files.deleteIfExists(dir.resolve(MeasuredLadder.FILE_NAME));
        LadderChoice c = LadderChoice.resolve(conf(), cost);
        assertThat(c.ladder().toString()).isEqualTo("none;tome:2;tome:4;tome:6");
        assertThat(c.describe()).startsWith("ladder: none;tome:2;tome:4;tome:6 (derived from the model");
    }

    @Test
    void theModelsLadderJsonIsUsedWhenMeasuredOnItsWeightsAndTheSettingWins() throws IOException {
        writeLadder(sha);
        try {
            LadderChoice c = LadderChoice.resolve(conf(), cost);
            assertThat(c.ladder().toString()).isEqualTo("none;tome:3;evit:0.5");
            assertThat(c.describe())
                    .contains("measured: " + dir.resolve("ladder.json"))
                    .contains("tome:3 1.40x", "evit:0.5 1.90x", "not reached: 4.00x");
            assertThat(ControlOptions.ladder(conf(), cost).toString()).isEqualTo("none;tome:3;evit:0.5");
            // The start line: the top rung's measured end-to-end speed-up (190 / 100 frames/s), the
            // default shedding beyond it.
            assertThat(LadderChoice.overload(conf(), cost))
                    .isEqualTo("overload: absorbs up to 1.90x the frame rate level none keeps up with, end to end"
                            + " (top rung evit:0.5), measured by `ladder` on 2026-12-07T00:00:00Z at batch 8;"
                            + " beyond that: frames whose age when their batch forms plus the top rung's"
                            + " measured batch time would pass 90 % of the latency target are skipped"
                            + " (vit.control.shed-mode = DEADLINE, vit.control.shed-deadline not set), each"
                            + " answered by a label record marked skipped");
            Configuration fixedDeadline = conf();
            fixedDeadline.set(ControlOptions.SHED_DEADLINE, java.time.Duration.ofMillis(800));
            assertThat(LadderChoice.overload(fixedDeadline, cost))
                    .endsWith("beyond that: frames older than 800 ms when their batch forms are skipped"
                            + " (vit.control.shed-mode = DEADLINE), each answered by a label record marked"
                            + " skipped");
            Configuration off = conf();
            off.set(ControlOptions.SHED_MODE, org.tocomstream.control.Shedding.Mode.OFF);
            assertThat(LadderChoice.overload(off, cost))
                    .endsWith("beyond that: frame age grows without bound (shedding off,"
                            + " vit.control.shed-mode = OFF)");
            assertThat(LevelFitCheck.problems(conf(), ModelSpec.read(dir))).isEmpty();

            Configuration set = conf();
            set.set(ControlOptions.LADDER, "none;tome:6");
            assertThat(LadderChoice.resolve(set, cost).describe())
                    .isEqualTo("ladder: none;tome:6 (set by vit.control.ladder)");
            assertThat(LadderChoice.overload(set, cost)).contains("by the cost model alone", "top rung tome:6");

            Configuration fixed = conf();
            fixed.set(ControlOptions.POLICY, ControlOptions.Policy.FIXED);
            assertThat(LadderChoice.describe(fixed, cost)).isEqualTo("ladder: not used (vit.control.policy = FIXED)");
        } finally {
            java.nio.file.Files.deleteIfExists(dir.resolve(MeasuredLadder.FILE_NAME));
        }
    }

    @Test
    void aLadderMeasuredOnOtherWeightsIsRefusedNamingTheFile() throws IOException {
        writeLadder("0".repeat(64));
        try {
            String file = dir.resolve("ladder.json").toString();
            assertThatThrownBy(() -> LadderChoice.resolve(conf(), cost))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(file)
                    .hasMessageContaining("measured on weights sha256 " + "0".repeat(64))
                    .hasMessageContaining(sha)
                    .hasMessageContaining("ladder --model");
            assertThat(LevelFitCheck.problems(conf(), ModelSpec.read(dir)))
                    .singleElement()
                    .asString()
                    .contains(file);
            Configuration set = conf();
            set.set(ControlOptions.LADDER, "none;tome:6");
            assertThat(LadderChoice.resolve(set, cost).ladder().toString()).isEqualTo("none;tome:6");
        } finally {
            java.nio.file.Files.deleteIfExists(dir.resolve(MeasuredLadder.FILE_NAME));
        }
    }

    @Test
    void aMeasuredStudentRungNeedsTheStudentInTheJob(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        LadderSelection.Result r = LadderSelection.select(
                List.of(
                        new LadderSelection.Measured("none", "none", 1.0, 0.9, null, 100),
                        new LadderSelection.Measured("tome:3", "tome", 0.7, 0.85, null, 140),
                        new LadderSelection.Measured("student", "student", 0.2, 0.8, null, 300)),
                List.of(1.25, 2.5));
        new MeasuredLadder(
                        MeasuredLadder.SCHEMA_VERSION,
                        "ladder --model " + dir + " --student /models/tiny",
                        "2026-12-07T00:00:00Z",
                        new MeasuredLadder.Machine("cpu", 2, "17"),
                        new MeasuredLadder.Model("vit_demo", sha),
                        new MeasuredLadder.Data("test", 10, false),
                        8,
                        MeasuredLadder.AGREEMENT,
                        r.candidates(),
                        r.rungs(),
                        new MeasuredLadder.Student("/models/tiny", "vit_demo_tiny@1a2b3c4d"))
                .write(dir.resolve(MeasuredLadder.FILE_NAME));
        try {
            assertThat(LevelFitCheck.problems(conf(), ModelSpec.read(dir)))
                    .singleElement()
                    .asString()
                    .contains(dir.resolve("ladder.json").toString())
                    .contains("its rung student ran the student vit_demo_tiny@1a2b3c4d from /models/tiny:"
                            + " set vit.model.student (--student DIR)");

            ModelSpec model = ModelSpec.read(dir);
            Path student = tmp.resolve("student");
            ModelSpec.of(org.tocomstream.model.VitConfig.preset("vit_demo_tiny"), model.labels())
                    .withPreprocessing(model.preprocessing())
                    .write(student);
            Configuration withStudent = conf();
            withStudent.set(StreamJobOptions.STUDENT, student.toString());
            assertThat(LevelFitCheck.problems(withStudent, model)).isEmpty();
            assertThat(ControlOptions.ladder(withStudent, StudentOptions.cost(withStudent, model))
                            .toString())
                    .isEqualTo("none;tome:3;student");
        } finally {
            java.nio.file.Files.deleteIfExists(dir.resolve(MeasuredLadder.FILE_NAME));
        }
    }
}
