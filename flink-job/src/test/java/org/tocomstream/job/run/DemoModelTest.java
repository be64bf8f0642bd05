package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;

class DemoModelTest {

    @Test
    void randomDemoModelIsALoadableVitDemoWithTheSceneLabels(@TempDir Path tmp) throws Exception {
        DemoModel.writeRandom(tmp, 3);

        ModelSpec spec = ModelSpec.read(tmp);
        assertThat(spec.architecture().name()).isEqualTo("vit_demo");
        assertThat(spec.labels())
                .isEqualTo(SceneGenerator.of(SceneConfig.defaults(), 0).labels());
        int px = spec.architecture().imageSize();
        try (VitModel model = VitModel.load(tmp, Device.cpu())) {
            float[][] logits = model.logits(new float[3 * px * px], new long[] {1, 3, px, px}, CompressionLevel.none());
            assertThat(logits).hasDimensions(1, 8);
        }
    }

    @Test
    void resolveGivesATemporaryDirectoryWithModelJsonAndWeights() throws Exception {
        DemoModel.Resolved r = DemoModel.resolve();
        try {
            assertThat(r.temporary()).isTrue();
            ModelSpec spec = ModelSpec.read(r.dir());
            assertThat(Files.size(spec.weightsPath(r.dir()))).isPositive();
            // Until the trained demo model is bundled (flink-job/src/main/resources/demo-model/),
            // the stand-in has random weights and says so.
            boolean bundled =
                    DemoModel.class.getClassLoader().getResource(DemoModel.RESOURCE_DIR + ModelSpec.FILE_NAME) != null;
            assertThat(r.randomWeights()).isEqualTo(!bundled);
        } finally {
            DemoModel.delete(r.dir());
        }
        assertThat(r.dir()).doesNotExist();
    }

    /**
     * The bundled demo model ships with its Token Compensator (src/docs/demo-model.md), made for
     * exactly these weights, and the local run's copy of the model carries it so that the stream
     * applies it ({@code vit.model.compensator = auto}).
     */
    @Test
    void theBundledPluginLoadsAgainstTheBundledModelAndIsExtractedWithIt() throws Exception {
        Path bundled = Path.of("src", "main", "resources", "demo-model");
        TokenCompensator plugin = TokenCompensator.loadFor(bundled.resolve(TokenCompensator.FILE_NAME), bundled);
        assertThat(plugin.baseArchitecture()).isEqualTo("vit_demo");
        assertThat(plugin.config().maxDegree()).isEqualTo(6);
        // A version 1 sidecar still reads as constant ToMe degrees, applied at tome:n as the pair 0->n.
        assertThat(plugin.config().axis())
                .isEqualTo(
                        org.tocomstream.compensate.DegreeAxis.of(org.tocomstream.compensate.DegreeSchedule.CONSTANT));
        var pair = plugin.pairFor(
                org.tocomstream.compress.CompressionLevel.none(), org.tocomstream.compress.CompressionLevel.tome(4));
        assertThat(pair.map(plugin::pairText)).contains("0->4");
        assertThat(plugin.pairFor(
                        org.tocomstream.compress.CompressionLevel.none(),
                        org.tocomstream.compress.CompressionLevel.evit(0.7)))
                .isEmpty();

        DemoModel.Resolved r = DemoModel.resolve();
        try {
            assertThat(r.description()).contains("Token Compensator");
            assertThat(TokenCompensator.inModelDir(r.dir())).isPresent();
            TokenCompensator extracted = TokenCompensator.loadFor(r.dir().resolve(TokenCompensator.FILE_NAME), r.dir());
            assertThat(extracted.baseWeightsSha256()).isEqualTo(plugin.baseWeightsSha256());
            assertThat(extracted.tensors().keySet()).isEqualTo(plugin.tensors().keySet());
        } finally {
            DemoModel.delete(r.dir());
        }
    }

    /**
     * The bundled model labels held-out generated frames (the TEST split, which training never
     * sees) at level 0. src/docs/demo-model.md reports 2,000 such frames; 256 keep this test short,
     * and the bound sits well below the measured accuracy so sampling noise cannot fail it.
     */
    @Test
    void bundledModelLabelsHeldOutScenes() throws Exception {
        DemoModel.Resolved r = DemoModel.resolve();
        try {
            assertThat(r.randomWeights())
                    .as("the demo model is bundled in this build")
                    .isFalse();
            ModelSpec spec = ModelSpec.read(r.dir());
            SceneGenerator test = SceneGenerator.of(SceneConfig.defaults(), 0).split(SceneGenerator.Split.TEST);
            assertThat(spec.labels()).isEqualTo(test.labels());
            var data = new org.tocomstream.model.train.GeneratedData(
                    test, 256, new org.tocomstream.model.ImagePreprocessor(spec.preprocessing()));
            double top1 = org.tocomstream.model.train.Trainer.accuracy(
                    spec.architecture(),
                    org.tocomstream.model.VitCheckpoint.load(spec.weightsPath(r.dir()), spec.architecture()),
                    data,
                    CompressionLevel.none(),
                    Device.cpu());
            assertThat(top1).isGreaterThanOrEqualTo(0.95);
        } finally {
            DemoModel.delete(r.dir());
        }
    }
}
