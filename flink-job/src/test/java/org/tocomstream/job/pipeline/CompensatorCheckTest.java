package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.stream.ModelConfig;

class CompensatorCheckTest {

    private static Configuration conf(Path model) {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.MODEL_DIR, model.toString());
        return c;
    }

    private static void plugin(Path model, String sha) throws Exception {
        TokenCompensator.initial(ModelSpec.read(model).architecture(), sha, new CompensatorConfig(2, 6, 0.1), 0)
                .save(model.resolve(TokenCompensator.FILE_NAME));
    }

    @Test
    void describesThePluginTheJobAppliesOrWhyNone(@TempDir Path tmp) throws Exception {
        Path model = TestModels.randomVitDemo(tmp.resolve("m"));
        assertThat(CompensatorCheck.describe(conf(model)))
                .isEqualTo("compensator: none (no tocom.safetensors in " + model + ")");

        plugin(model, TokenCompensator.weightsSha256(model));
        assertThat(CompensatorCheck.describe(conf(model)))
                .startsWith("compensator: " + model.resolve(TokenCompensator.FILE_NAME) + " (base vit_demo sha256 ")
                .endsWith("rank 2 per step, degrees 0..6, s = 0.1), applied at s = 0.1 to batches at ToMe degree n"
                        + " in 0..6, n != 0, as the pair 0->n");

        // A ladder with rungs the plugin has no degree for: named, with the command that covers them.
        Configuration mixed = conf(model);
        mixed.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        mixed.set(ControlOptions.LADDER, "none;evit:0.7;tome:4;gtp:8");
        assertThat(CompensatorCheck.describe(mixed))
                .endsWith("as the pair 0->n; no delta for ladder rungs evit:0.7, gtp:8: they run uncompensated"
                        + " (a plugin over the ladder's rungs: tocom train --model " + model
                        + " --images FRAMES_DIR --ladder " + model.resolve("ladder.json") + ")");

        Configuration scaled = conf(model);
        scaled.set(StreamJobOptions.COMPENSATOR_SCALE, 0.0);
        assertThat(CompensatorCheck.describe(scaled)).endsWith("never applied: s = 0");

        Configuration off = conf(model);
        off.set(StreamJobOptions.COMPENSATOR, "none");
        assertThat(CompensatorCheck.describe(off)).isEqualTo("compensator: none (vit.model.compensator = none)");
        assertThat(VitLabelStage.modelConfig(off))
                .isEqualTo(new ModelConfig(model.toString(), "auto", "gpu", "none", null));
    }

    @Test
    void aFineTunedModelWithACalibrationIsDescribedWithItsFactors(@TempDir Path tmp) throws Exception {
        Path model = TestModels.randomVitDemo(tmp.resolve("m"));
        String base = "cd".repeat(32);
        plugin(model, base);
        new CompensatorCalibration(
                        base,
                        TokenCompensator.weightsSha256(model),
                        500,
                        Map.of(new CompensatorPair(0, 4), new CompensatorCalibration.PairFactor(0.01, 0.04, 0.5)))
                .save(model.resolve(CompensatorCalibration.FILE_NAME));
        assertThat(CompensatorCheck.describe(conf(model)))
                .endsWith("applied at s = 0.1 times the factors of tocom-scales.json (sqrt-kl-ratio;"
                        + " 0->4 0.50) to batches at ToMe degree n in 0..6, n != 0, as the pair 0->n");

        new CompensatorCalibration(
                        CompensatorCalibration.Rule.KL_LINE_SEARCH,
                        base,
                        TokenCompensator.weightsSha256(model),
                        500,
                        0.4,
                        Map.of(
                                new CompensatorPair(0, 4),
                                new CompensatorCalibration.PairFactor(0.01, Double.NaN, 0.008, 0.125)))
                .save(model.resolve(CompensatorCalibration.FILE_NAME));
        assertThat(CompensatorCheck.describe(conf(model)))
                .as("a line-search calibration's reference scale is the default s")
                .endsWith("applied at s = 0.4 times the factors of tocom-scales.json (kl-line-search;"
                        + " 0->4 0.13) to batches at ToMe degree n in 0..6, n != 0, as the pair 0->n");
    }

    @Test
    void aPluginOfOtherWeightsIsRefusedNamingBothHashes(@TempDir Path tmp) throws Exception {
        Path model = TestModels.randomVitDemo(tmp.resolve("m"));
        String other = "cd".repeat(32);
        plugin(model, other);
        assertThatThrownBy(() -> CompensatorCheck.describe(conf(model)))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(other)
                .hasMessageContaining(TokenCompensator.weightsSha256(model))
                .hasMessageContaining("tocom calibrate --model " + model);
    }
}
