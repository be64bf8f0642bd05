package org.tocomstream.stream.testutils;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.testutils.RandomWeights;

/** A real, tiny model directory (vit_test_tiny: 32 px, 10 classes) with random weights. */
public final class TinyModels {

    public static final VitConfig CONFIG = VitConfig.preset("vit_test_tiny");

    public static final List<String> LABELS =
            List.of("car", "bus", "bike", "truck", "person", "dog", "cat", "bird", "tree", "sign");

    /** A student for {@link #CONFIG}: the same input and labels, 4 blocks instead of 12. */
    public static final VitConfig STUDENT =
            new VitConfig("vit_test_tiny", 32, 4, 3, 10, 48, 4, 3, 4.0, true, false, 1e-6);

    private TinyModels() {}

    /** Writes a {@link #STUDENT} model directory with the same labels and preprocessing into {@code dir}. */
    public static ModelSpec writeStudent(Path dir, long seed) throws IOException {
        ModelSpec spec = ModelSpec.of(STUDENT, LABELS);
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), RandomWeights.of(STUDENT, seed), Map.of());
        return spec;
    }

    /** Writes {@code model.json} and {@code model.safetensors} into {@code dir}. */
    public static ModelSpec write(Path dir, long seed) throws IOException {
        ModelSpec spec = ModelSpec.of(CONFIG, LABELS);
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), RandomWeights.of(CONFIG, seed), Map.of());
        return spec;
    }
}
