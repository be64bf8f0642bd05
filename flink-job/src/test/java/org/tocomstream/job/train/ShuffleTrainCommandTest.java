package org.tocomstream.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/** {@code train} of the channel-shuffle test preset: a tiny end-to-end run (seconds). */
class ShuffleTrainCommandTest {

    @Test
    void trainsTheShufflePresetAtAnotherInputSizeIntoALoadableModelDirectory(@TempDir Path out) throws IOException {
        Result r = run(
                "train",
                "--preset",
                "vit_shuffle_test_tiny",
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
                "1",
                "--tome",
                "2",
                "--input-size",
                "16",
                "--crop-fraction",
                "1.0",
                "--out",
                out.toString());

        assertThat(r.status()).as(r.err()).isZero();
        VitConfig arch = ModelSpec.read(out).architecture();
        // The input size changes the token count, never the channel split.
        assertThat(arch)
                .isEqualTo(VitConfig.preset("vit_shuffle_test_tiny")
                        .withNumClasses(8)
                        .withImageSize(16));
        assertThat(arch.attendedDim()).isEqualTo(48);
        try (VitModel model = VitModel.load(out, Device.cpu())) {
            float[][] logits =
                    model.logits(new float[3 * 16 * 16], new long[] {1, 3, 16, 16}, CompressionLevel.tome(2));
            assertThat(logits[0]).hasSize(8);
        }
    }
}
