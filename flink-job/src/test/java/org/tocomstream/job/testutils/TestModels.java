package org.tocomstream.job.testutils;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;

/** Model directories for the job tests. */
public final class TestModels {

    /**
     * {@code train} of {@code vit_test_tiny} on 32 generated scenes for 2 epochs at {@code tome:2}
     * (4 steps, seconds): a real model directory whose accuracy is near chance.
     */
    private static final String[] TINY_TRAIN_RUN = {
        "train",
        "--preset",
        "vit_test_tiny",
        "--generator",
        "--data-seed",
        "3",
        "--train-size",
        "32",
        "--val-size",
        "16",
        "--batch",
        "16",
        "--epochs",
        "2",
        "--tome",
        "2",
        "--crop-fraction",
        "1.0",
        "--log-every",
        "1",
        "--out"
    };

    private TestModels() {}

    /** The arguments of the tiny {@code train} run writing to {@code out}. */
    public static String[] tinyTrainRun(Path out) {
        String[] args = Arrays.copyOf(TINY_TRAIN_RUN, TINY_TRAIN_RUN.length + 1);
        args[TINY_TRAIN_RUN.length] = out.toString();
        return args;
    }

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
