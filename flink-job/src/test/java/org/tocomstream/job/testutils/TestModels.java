package org.tocomstream.job.testutils;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;

/** Model directories for the job tests. */
public final class TestModels {

    private TestModels() {}

    /** A {@code vit_demo} (64 px, 8 scene classes) with random weights in {@code dir}. */
    public static Path randomVitDemo(Path dir) throws IOException {
        VitConfig cfg = VitConfig.preset("vit_demo");
        ModelSpec spec =
                ModelSpec.of(cfg, SceneGenerator.of(SceneConfig.defaults(), 0).labels());
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), VitInit.truncatedNormal(cfg, 1), Map.of());
        return dir;
    }
}
