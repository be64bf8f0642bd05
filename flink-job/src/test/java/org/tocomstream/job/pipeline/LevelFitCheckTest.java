package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.StreamJob;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;

/**
 * Every level the job may run must fit the model: a level that does not stops the start with one
 * line naming the setting, instead of failing every batch on the TaskManagers.
 */
class LevelFitCheckTest {

    private static final String DEIT_S = "diffrate:deit-s@2.9";
    private static final String DEMO_DIFFRATE =
            "diffrate:65,62,50,52,44,60,36,30,26,20,16,6/65,58,56,46,44,40,34,28,24,18,14,3";

    @TempDir
    static Path model;

    private static Configuration conf() throws Exception {
        if (!model.resolve("model.json").toFile().exists()) {
            TestModels.randomVitDemo(model);
        }
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        c.set(StreamJobOptions.MODEL_DIR, model.toString());
        return c;
    }

    @Test
    void aFixedLevelThatDoesNotFitStopsTheBuildNamingTheSetting() throws Exception {
        Configuration c = conf();
        c.set(StreamJobOptions.LEVEL, DEIT_S);
        StreamPipeline pipeline = StreamPipeline.of(c, new VitLabelStage());

        assertThatThrownBy(() -> pipeline.build(StreamExecutionEnvironment.getExecutionEnvironment()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("vit.compress.level diffrate:deit-s@2.9 needs 197 tokens and 12 blocks;"
                        + " the model vit_demo has 65 tokens and 12 blocks");
    }

    @Test
    void aLadderRungThatDoesNotFitIsNamed() throws Exception {
        Configuration c = conf();
        c.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        c.set(ControlOptions.LADDER, "none;tome:2;" + DEIT_S);

        assertThat(LevelFitCheck.problems(c))
                .containsExactly("vit.control.ladder rung diffrate:deit-s@2.9 needs 197 tokens and 12 blocks;"
                        + " the model vit_demo has 65 tokens and 12 blocks (a DiffRate schedule fits one token"
                        + " count and depth: give this model its own, inline or file=)");
    }

    @Test
    void levelsThatFitAndLevelsTheJobDoesNotRunPass() throws Exception {
        Configuration fixed = conf();
        fixed.set(StreamJobOptions.LEVEL, DEMO_DIFFRATE);
        assertThat(LevelFitCheck.problems(fixed)).isEmpty();

        Configuration adaptive = conf();
        adaptive.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        adaptive.set(ControlOptions.LADDER, "none;gtp:8;idle:0.7;evit:0.5;" + DEMO_DIFFRATE);
        adaptive.set(StreamJobOptions.LEVEL, DEIT_S); // only FIXED runs it
        assertThat(LevelFitCheck.problems(adaptive)).isEmpty();
    }

    @Test
    void theEntryClassRefusesBeforeKafkaNamingTheFlag() throws Exception {
        conf();
        String[] args = {
            "--bootstrap",
            "localhost:1",
            "--model",
            model.toString(),
            "--ladder",
            "none;" + DEIT_S,
            "--control",
            "adaptive"
        };

        assertThatThrownBy(() -> StreamJob.main(args))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--ladder rung diffrate:deit-s@2.9 needs 197 tokens and 12 blocks;"
                        + " the model vit_demo has 65 tokens and 12 blocks");
    }

    @Test
    void theStudentLevelNeedsAStudentThatCanStandInForTheModel(@TempDir Path tmp) throws Exception {
        Configuration fixed = conf();
        fixed.set(StreamJobOptions.LEVEL, "student");
        assertThat(LevelFitCheck.problems(fixed))
                .containsExactly("vit.compress.level student runs the student, but the model vit_demo has none:"
                        + " set vit.model.student (--student DIR) to the student's model directory");

        Configuration adaptive = conf();
        adaptive.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        adaptive.set(ControlOptions.LADDER, "none;tome:2;student");
        assertThat(LevelFitCheck.problems(adaptive))
                .singleElement()
                .asString()
                .startsWith("vit.control.ladder rung student");

        ModelSpec model = ModelSpec.read(LevelFitCheckTest.model);
        VitConfig tiny = VitConfig.preset("vit_demo_tiny");
        Path student = tmp.resolve("student");
        ModelSpec.of(tiny, model.labels())
                .withPreprocessing(model.preprocessing())
                .write(student);
        adaptive.set(StreamJobOptions.STUDENT, student.toString());
        fixed.set(StreamJobOptions.STUDENT, student.toString());
        assertThat(LevelFitCheck.problems(adaptive)).isEmpty();
        assertThat(LevelFitCheck.problems(fixed)).isEmpty();
        // The ladder orders rungs by cost: the student (0.027 GMACs) is the cheapest.
        assertThatThrownBy(() -> ControlOptions.ladder(
                        withLadder(adaptive, "none;student;tome:2"), StudentOptions.cost(adaptive, model)))
                .hasMessageContaining("does not cost less than student");

        Path otherLabels = tmp.resolve("labels");
        List<String> reversed = new ArrayList<>(model.labels());
        Collections.reverse(reversed);
        ModelSpec.of(tiny, reversed).withPreprocessing(model.preprocessing()).write(otherLabels);
        adaptive.set(StreamJobOptions.STUDENT, otherLabels.toString());
        assertThat(LevelFitCheck.problems(adaptive))
                .singleElement()
                .asString()
                .startsWith("vit.model.student = " + otherLabels + ": the student vit_demo_tiny cannot stand in for"
                        + " the model vit_demo: its labels");
        adaptive.set(StreamJobOptions.STUDENT, tmp.resolve("missing").toString());
        assertThat(LevelFitCheck.problems(adaptive))
                .singleElement()
                .asString()
                .startsWith("vit.model.student: cannot read "
                        + tmp.resolve("missing").resolve("model.json"));
    }

    private static Configuration withLadder(Configuration c, String ladder) {
        Configuration copy = new Configuration(c);
        copy.set(ControlOptions.LADDER, ladder);
        return copy;
    }
}
