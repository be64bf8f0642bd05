package org.tocomstream.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;

import ai.djl.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitModel;

/**
 * {@code train --teacher}: a channel-shuffle student distilled from a {@code vit_test_tiny}
 * teacher trained for a few steps (seconds each).
 */
class DistillTrainCommandTest {

    @TempDir
    static Path tmp;

    private static Path teacher;

    @BeforeAll
    static void trainTeacher() {
        teacher = tmp.resolve("teacher");
        Result r = run(TrainCommandTest.tinyRun(teacher));
        assertThat(r.status()).as(r.err()).isZero();
    }

    /** A generated-data distillation run into {@code out}, with {@code extra} options. */
    private static String[] distil(Path out, String preset, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "train",
                "--preset",
                preset,
                "--teacher",
                teacher.toString(),
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
                "--log-every",
                "1",
                "--out",
                out.toString()));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void theProjectorEnsembleTrainsAShuffleStudentWhoseModelHasNoProjectors() throws IOException {
        Path out = tmp.resolve("student");
        Result r = run(distil(out, "vit_shuffle_test_tiny"));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err())
                .contains("train: distilling from --teacher " + teacher + " (vit_test_tiny): projectors 3,"
                        + " feature weight 25.0, KD weight 1.0, temperature 4.0")
                .contains("epoch 2/2 step 4/4 loss ");
        Map<String, HostTensor> weights = Safetensors.read(out.resolve("model.safetensors"));
        assertThat(weights.keySet()).noneMatch(k -> k.contains("projector"));
        assertThat(Safetensors.read(out.resolve("training").resolve("projectors.safetensors")))
                .hasSize(6);
        ModelSpec spec = ModelSpec.read(out);
        assertThat(spec.labels()).isEqualTo(ModelSpec.read(teacher).labels());
        assertThat(spec.preprocessing()).isEqualTo(ModelSpec.read(teacher).preprocessing());
        try (VitModel model = VitModel.load(out, Device.cpu())) {
            float[][] logits = model.logits(new float[3 * 32 * 32], new long[] {1, 3, 32, 32}, CompressionLevel.none());
            assertThat(logits[0]).hasSize(8);
        }
        Result eval = run(
                "evaluate",
                "--model",
                out.toString(),
                "--generator",
                "--data-seed",
                "3",
                "--test-size",
                "16",
                "--levels",
                "0");
        assertThat(eval.status()).as(eval.err()).isZero();

        // Running it again resumes (the projectors read back from training/) and finds it finished.
        Result again = run(distil(out, "vit_shuffle_test_tiny"));
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.err()).contains("resuming from step 4", "already holds the finished run");
        // Another projector count is another run: refused.
        Result other = run(distil(out, "vit_shuffle_test_tiny", "--projectors", "1"));
        assertThat(other.status()).isEqualTo(Cli.FAILED);
        assertThat(other.err()).contains("holds a run with distillation projectors 3");
    }

    @Test
    void oneProjectorWithoutLogitsLearnsFromUnlabelledFrames(@TempDir Path frames) throws IOException {
        Random rnd = new Random(1);
        for (int i = 0; i < 16; i++) {
            BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 40; y++) {
                for (int x = 0; x < 40; x++) {
                    img.setRGB(x, y, rnd.nextInt(0xFFFFFF));
                }
            }
            Path dir = Files.createDirectories(frames.resolve("cam" + (i % 2)));
            ImageIO.write(img, "png", dir.resolve("f" + i + ".png").toFile());
        }
        Path out = tmp.resolve("unlabelled");
        Result r = run(
                "train",
                "--preset",
                "vit_test_tiny",
                "--teacher",
                teacher.toString(),
                "--images",
                frames.toString(),
                "--batch",
                "8",
                "--epochs",
                "1",
                "--projectors",
                "1",
                "--no-kd",
                "--out",
                out.toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("projectors 1, feature weight 25.0, KD weight 0.0");
        assertThat(Safetensors.read(out.resolve("training").resolve("projectors.safetensors")))
                .containsOnlyKeys("projector.0.weight", "projector.0.bias");
        assertThat(ModelSpec.read(out).labels())
                .isEqualTo(ModelSpec.read(teacher).labels());
    }

    @Test
    void aStudentThatDoesNotFitTheTeacherIsRefused() {
        Result size = run(distil(tmp.resolve("small"), "vit_test_tiny", "--input-size", "16"));
        assertThat(size.status()).isEqualTo(Cli.FAILED);
        assertThat(size.err()).contains("--teacher " + teacher + " takes 32 px input but the student 16 px");

        Result labels = run(distil(tmp.resolve("labels"), "vit_test_tiny", "--classes", "red_circle,blue_square"));
        assertThat(labels.status()).isEqualTo(Cli.FAILED);
        assertThat(labels.err()).contains("the labels of --teacher");

        Result level = run(distil(tmp.resolve("level"), "vit_test_tiny", "--tome", "2"));
        assertThat(level.status()).isEqualTo(Cli.USAGE);
        assertThat(level.err()).contains("--teacher", "no compression");

        List<String> plain = new ArrayList<>(Arrays.asList(TrainCommandTest.tinyRun(tmp.resolve("alone"))));
        plain.addAll(List.of("--projectors", "2"));
        Result alone = run(plain.toArray(String[]::new));
        assertThat(alone.status()).isEqualTo(Cli.USAGE);
        assertThat(alone.err()).contains("--projectors", "--teacher");

        Result nothing = run(distil(tmp.resolve("nothing"), "vit_test_tiny", "--no-kd", "--feature-weight", "0"));
        assertThat(nothing.status()).isEqualTo(Cli.USAGE);
        assertThat(nothing.err()).contains("--feature-weight", "nothing to distil");
    }
}
