package org.tocomstream.job.train;

import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.testutils.TestModels;

/** A level that does not fit the model is a usage error naming the flag, not a failure deep in the forward pass. */
class LevelFitUsageTest {

    private static final String WHY = " needs 197 tokens and 12 blocks; the model vit_demo has 65 tokens and 12"
            + " blocks (a DiffRate schedule fits one token count and depth: give this model its own, inline or file=)";

    @Test
    void evaluateNamesTheLevelsFlag(@TempDir Path tmp) throws Exception {
        Path model = TestModels.randomVitDemo(tmp);

        assertUsageError(
                run(
                        "evaluate",
                        "--model",
                        model.toString(),
                        "--generator",
                        "--test-size",
                        "2",
                        "--levels",
                        "none;diffrate:deit-s@2.9"),
                "evaluate: --levels: diffrate:deit-s@2.9" + WHY);
    }

    @Test
    void predictNamesTheLevelFlag(@TempDir Path tmp) throws Exception {
        Path model = TestModels.randomVitDemo(tmp);
        Path image = tmp.resolve("none.npy");

        assertUsageError(
                run("predict", "--model", model.toString(), "--level", "diffrate:deit-s@2.9", image.toString()),
                "predict: --level: diffrate:deit-s@2.9" + WHY);
    }

    @Test
    void benchNamesTheLevelsFlag() {
        assertUsageError(
                run("bench", "--preset", "vit_demo", "--levels", "0;diffrate:deit-s@2.9"),
                "bench: --levels: diffrate:deit-s@2.9" + WHY);
    }
}
