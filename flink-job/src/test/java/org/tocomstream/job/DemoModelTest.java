package org.tocomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
        assertThat(spec.labels()).isEqualTo(SceneGenerator.of(SceneConfig.defaults(), 0).labels());
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
            boolean bundled = DemoModel.class.getClassLoader().getResource(DemoModel.RESOURCE_DIR + ModelSpec.FILE_NAME) != null;
            assertThat(r.randomWeights()).isEqualTo(!bundled);
        } finally {
            DemoModel.delete(r.dir());
        }
        assertThat(r.dir()).doesNotExist();
    }
}
