package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.StreamJob;
import org.tocomstream.job.testutils.TestModels;

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
}
