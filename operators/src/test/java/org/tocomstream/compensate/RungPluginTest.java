package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.testutils.RandomWeights;

/**
 * A plugin over an explicit level list (rungs of any family): the axis, its sidecar form next to the
 * unchanged schedule form, training over two families and applying every rung pair in both modes.
 */
class RungPluginTest {

    private static final DegreeAxis RUNGS = DegreeAxis.parseLevels("none;tome:2;evit:0.7@1;idle:0.6@1,2");

    @Test
    void theAxisMapsRungsToDegreesAndNamesPairsByTheirLevels() {
        assertThat(RUNGS.level(2)).isEqualTo(CompressionLevel.evit(0.7, 1));
        assertThat(RUNGS.degreeOf(CompressionLevel.parse("idle:0.6@1,2"))).hasValue(3);
        assertThat(RUNGS.degreeOf(CompressionLevel.tome(4))).isEmpty();
        assertThat(RUNGS.pairFor(CompressionLevel.none(), CompressionLevel.evit(0.7, 1)))
                .contains(new CompensatorPair(0, 2));
        assertThat(RUNGS.pairText(new CompensatorPair(0, 2))).isEqualTo("none->evit:0.7@1");
        assertThat(RUNGS.text()).isEqualTo("none;tome:2;evit:0.7@1;idle:0.6@1,2");
        assertThat(RUNGS.fixedMaxDegree()).hasValue(3);
        // Schedules keep their numeric pairs.
        DegreeAxis constant = DegreeAxis.of(DegreeSchedule.CONSTANT);
        assertThat(constant.pairText(new CompensatorPair(0, 4))).isEqualTo("0->4");
        assertThat(constant.level(4)).isEqualTo(CompressionLevel.tome(4));
        assertThat(constant.method()).isEqualTo("tome");
    }

    @Test
    void badListsAndConfigsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> DegreeAxis.parseLevels("none"))
                .hasMessage("a level list needs at least two rungs but had [none]");
        assertThatThrownBy(() -> DegreeAxis.parseLevels("none;tome:2;tome:2"))
                .hasMessage("level tome:2 occurs twice in the level list [none, tome:2, tome:2]");
        assertThatThrownBy(() -> DegreeAxis.parseLevels("none;fast:2")).hasMessageContaining("'fast:2'");
        assertThatThrownBy(() -> RUNGS.level(4)).hasMessageContaining("degree 4 is outside the level list 0..3");
        assertThatThrownBy(() -> new CompensatorConfig(2, 5, 0.1, RUNGS))
                .hasMessage("maxDegree must be 3 for the 4 levels none;tome:2;evit:0.7@1;idle:0.6@1,2 but was 5");
    }

    @Test
    void aRungPluginRoundTripsAsVersion2AndAScheduleOneIsWrittenAsBefore(@TempDir Path dir) throws IOException {
        CompensatorConfig config = CompensatorConfig.overLevels(2, 0.5, RUNGS);
        TokenCompensator plugin = TokenCompensator.initial(TocomTesting.TINY, TocomTesting.BASE_SHA, config, 1);
        Path file = dir.resolve("rungs.safetensors");
        plugin.save(file);
        TokenCompensator back = TokenCompensator.load(file);
        assertThat(back.config()).isEqualTo(config);
        assertThat(back.config().schedule()).isNull();
        assertThat(back.describe()).contains("rungs none;tome:2;evit:0.7@1;idle:0.6@1,2");
        String sidecar = Files.readString(dir.resolve("rungs.json"), StandardCharsets.UTF_8);
        assertThat(sidecar).contains("\"formatVersion\": 2", "\"method\": \"levels\"", "\"maxDegree\": 3");
        assertThat(sidecar)
                .contains(
                        "\"levels\": [\n    \"none\",\n    \"tome:2\",\n    \"evit:0.7@1\",\n    \"idle:0.6@1,2\"\n  ]");

        Path old = dir.resolve("old.safetensors");
        TokenCompensator.initial(
                        TocomTesting.TINY,
                        TocomTesting.BASE_SHA,
                        new CompensatorConfig(2, 4, 0.1, DegreeSchedule.DECREASING),
                        1)
                .save(old);
        assertThat(Files.readString(dir.resolve("old.json"), StandardCharsets.UTF_8))
                .as("a schedule plugin's sidecar is the version 1 text, unchanged")
                .isEqualTo("{\n  \"formatVersion\": 1,\n  \"method\": \"tome-decreasing\",\n  \"baseModel\": {\n"
                        + "    \"architecture\": \"tocom_test\",\n    \"weightsSha256\": \"" + TocomTesting.BASE_SHA
                        + "\"\n  },\n  \"rankPerStep\": 2,\n  \"maxDegree\": 4,\n  \"defaultScale\": 0.1,\n"
                        + "  \"depth\": 3,\n  \"embedDim\": 32\n}\n");
        assertThat(TokenCompensator.load(old).pairText(new CompensatorPair(0, 4)))
                .isEqualTo("0->4");
    }

    @Test
    void sidecarsThatMixTheFormsAreRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("p.safetensors");
        TokenCompensator.initial(
                        TocomTesting.TINY, TocomTesting.BASE_SHA, CompensatorConfig.overLevels(2, 0.5, RUNGS), 1)
                .save(file);
        Path json = dir.resolve("p.json");
        String good = Files.readString(json);
        Files.writeString(json, good.replace("\"formatVersion\": 2", "\"formatVersion\": 1"));
        assertThatThrownBy(() -> TokenCompensator.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageEndingWith("method 'levels' needs formatVersion 2 but was 1");
        Files.writeString(json, good.replace("\"method\": \"levels\"", "\"method\": \"tome\""));
        assertThatThrownBy(() -> TokenCompensator.load(file))
                .hasMessageEndingWith("field 'levels' needs method 'levels' but method is 'tome'");
        Files.writeString(json, good.replace("\"maxDegree\": 3", "\"maxDegree\": 2"));
        assertThatThrownBy(() -> TokenCompensator.load(file))
                .hasMessageContaining("maxDegree must be 3 for the 4 levels");
        Files.writeString(json, good.replace("\"evit:0.7@1\"", "\"evit:x\""));
        assertThatThrownBy(() -> TokenCompensator.load(file)).hasMessageContaining("'evit:x'");
    }

    @Test
    void trainingOverMergingAndPruningRungsLowersTheHeldOutKlAndEveryPairRunsInBothModes(@TempDir Path dir)
            throws IOException {
        // ToMe merges, EViT prunes (fewer tokens, fused), IdleViT keeps the idle tokens aside: the
        // plugin path must take all three without a shape error.
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 3);
        ImagePreprocessor pre = new ImagePreprocessor(TocomTesting.spec().preprocessing());
        TrainingData train = new GeneratedData(scenes.split(SceneGenerator.Split.TRAIN), 96, pre);
        TrainingData heldOut = new GeneratedData(scenes.split(SceneGenerator.Split.VALIDATION), 48, pre);
        CompensatorConfig config = CompensatorConfig.overLevels(4, 1.0, RUNGS);
        Path modelDir = TocomTesting.modelDir(Files.createDirectories(dir.resolve("model")), 5);
        ModelSpec spec = ModelSpec.read(modelDir);
        String sha = TokenCompensator.weightsSha256(modelDir);
        Path file = dir.resolve("tocom.safetensors");
        TocomTrainer.Summary s = new TocomTrainer(
                        spec,
                        RandomWeights.of(TocomTesting.TINY, 5),
                        sha,
                        config,
                        TocomTrainConfig.defaults(4, 32),
                        Device.cpu())
                .train(train, heldOut, TocomTrainer.defaultHeldOutPairs(3), file, p -> {});
        assertThat(s.heldOutKlPlain()).isPositive();
        assertThat(s.heldOutKlCompensated())
                .as("a few steps already lower the held-out KL over mixed rungs")
                .isLessThan(s.heldOutKlPlain());

        TokenCompensator plugin = TokenCompensator.loadFor(file, modelDir);
        assertThat(plugin.config().axis()).isEqualTo(RUNGS);
        try (VitModel model = VitModel.load(modelDir, Device.cpu());
                BoundCompensator side = plugin.bind(model, CompensatorMode.SIDE_BRANCH);
                BoundCompensator merged = plugin.bind(model, CompensatorMode.MERGED)) {
            float[] pixels = TocomTesting.pixels(3, 11);
            List<CompensatorPair> all = CompensatorEvaluation.allPairs(3);
            for (CompensatorPair p : all) {
                if (p.isIdentity()) {
                    continue;
                }
                CompressionLevel at = RUNGS.level(p.to());
                float[][] a = model.logits(
                        pixels,
                        TocomTesting.shape(3),
                        org.tocomstream.model.ForwardContext.at(at)
                                .withAdapter(side.adapter(p, CompensatorMode.SIDE_BRANCH, 1.0)));
                float[][] b = model.logits(
                        pixels,
                        TocomTesting.shape(3),
                        org.tocomstream.model.ForwardContext.at(at)
                                .withAdapter(merged.adapter(p, CompensatorMode.MERGED, 1.0)));
                // Same delta, added to the weights or beside them: float32 rounding only.
                assertThat(TocomTesting.maxAbsDiff(a, b))
                        .as("pair %s", plugin.pairText(p))
                        .isLessThan(1e-3f);
            }
            List<CompensatorEvaluation.Cell> cells =
                    CompensatorEvaluation.run(model, side, heldOut, all, 1.0, 16, line -> {});
            assertThat(cells)
                    .hasSize(16)
                    .allSatisfy(c -> assertThat(c.klCompensated()).isFinite());
        }
    }
}
