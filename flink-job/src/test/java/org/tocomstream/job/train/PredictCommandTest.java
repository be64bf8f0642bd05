package org.tocomstream.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Npy;
import org.tocomstream.model.VitConfig;

/**
 * {@code predict} end to end on the golden vit_test_tiny fixture (weights, inputs and logits from
 * the independent PyTorch reference, src/fixtures/golden_vit.py) and on generated images.
 *
 * <p>Tolerance 1e-4 on logits, as the operators' GoldenParityTest: fp32 on both sides, differing
 * only in summation order, and the fixture keeps every ToMe decision 1e-4 away from a tie.
 */
class PredictCommandTest {

    private static final Path GOLDEN =
            Paths.get("..", "operators", "src", "test", "resources", "golden", "vit_test_tiny");
    private static final double TOL = 1e-4;
    private static final List<String> LABELS =
            List.of("ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "ibis", "jay");

    @TempDir
    static Path tmp;

    private static Path modelDir;

    @BeforeAll
    static void modelDirectory() throws IOException {
        modelDir = tmp.resolve("model");
        Files.createDirectories(modelDir);
        ModelSpec.of(VitConfig.preset("vit_test_tiny"), LABELS).write(modelDir);
        Files.copy(GOLDEN.resolve("weights_timm.safetensors"), modelDir.resolve(ModelSpec.DEFAULT_WEIGHTS_FILE));
    }

    @Test
    void npyBatchAtTome4MatchesTheReferenceLogits() throws IOException {
        Path out = tmp.resolve("out/tome4.npy");
        String input = GOLDEN.resolve("input.npy").toString();
        Result r = CommandLines.run(
                "predict",
                "--model",
                modelDir.toString(),
                "--tome",
                "4",
                "--batch",
                "3",
                "--logits-out",
                out.toString(),
                input);

        assertThat(r.status()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(8);
        for (int i = 0; i < 8; i++) {
            // Name, then five "label probability" pairs separated by two spaces.
            assertThat(lines.get(i)).startsWith(input + "[" + i + "]  ");
            assertThat(lines.get(i).split("  ")).hasSize(6);
        }
        assertClose(Npy.read(out), Npy.read(GOLDEN.resolve("logits_tome_4.npy")));
    }

    @Test
    void presetAndWeightsWithoutCompressionMatchTheReference() throws IOException {
        Path out = tmp.resolve("none.npy");
        Result r = CommandLines.run(
                "predict",
                "--preset",
                "vit_test_tiny",
                "--weights",
                GOLDEN.resolve("weights_timm.safetensors").toString(),
                "--top",
                "2",
                "--logits-out",
                out.toString(),
                GOLDEN.resolve("input.npy").toString());

        assertThat(r.status()).as(r.err()).isZero();
        // Default labels of a model built from bare weights.
        assertThat(r.out().lines())
                .allMatch(l -> l.matches(".*\\[\\d]  class_\\d \\d\\.\\d{3}  class_\\d \\d\\.\\d{3}"));
        assertClose(Npy.read(out), Npy.read(GOLDEN.resolve("logits_none.npy")));
    }

    @Test
    void topLabelMatchesTheLargestLogit() throws IOException {
        HostTensor ref = Npy.read(GOLDEN.resolve("logits_tome_4.npy"));
        float[] row = java.util.Arrays.copyOfRange(ref.data(), 0, 10);
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            best = row[i] > row[best] ? i : best;
        }
        String line = PredictCommand.formatTop(row, LABELS, 3);
        assertThat(line).startsWith("  " + LABELS.get(best) + " ");
        double sum = 0;
        for (String part : PredictCommand.formatTop(row, LABELS, 10).trim().split("  ")) {
            sum += Double.parseDouble(part.split(" ")[1]);
        }
        assertThat(sum).isCloseTo(1.0, within(0.01));
    }

    @Test
    void imagesInADirectoryWithOneCorruptFile() throws IOException {
        Path dir = tmp.resolve("images");
        Files.createDirectories(dir.resolve("sub"));
        png(dir.resolve("a.png"), Color.RED, 48, 40);
        png(dir.resolve("sub/c.PNG"), Color.BLUE, 32, 32);
        Files.write(dir.resolve("b.png"), new byte[] {1, 2, 3, 4, 5});
        Files.writeString(dir.resolve("notes.txt"), "not an input");
        Path out = tmp.resolve("images.npy");

        Result r = CommandLines.run(
                "predict",
                "--model",
                modelDir.toString(),
                "--evit",
                "0.7",
                "--logits-out",
                out.toString(),
                dir.toString());

        assertThat(r.status()).isEqualTo(Cli.FAILED);
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith(dir.resolve("a.png") + "  ").doesNotContain("error");
        assertThat(lines.get(1)).startsWith(dir.resolve("b.png") + "  error: ");
        assertThat(lines.get(2)).startsWith(dir.resolve("sub/c.PNG") + "  ").doesNotContain("error");
        assertThat(lines.get(0).split("  ")).hasSize(6);
        assertThat(r.err()).contains("predict: 1 of 3 inputs failed");

        HostTensor logits = Npy.read(out);
        assertThat(logits.shape()).containsExactly(3, 10);
        assertThat(logits.data()[0]).isFinite();
        assertThat(logits.data()[10]).isNaN();
        assertThat(logits.data()[20]).isFinite();
    }

    @Test
    void missingInputAndWrongNpyShapeAreReportedPerInput() throws IOException {
        Path png = tmp.resolve("one.png");
        png(png, Color.GREEN, 32, 32);
        Path wrong = tmp.resolve("wrong.npy");
        Npy.write(wrong, new HostTensor(new long[] {2, 3, 16, 16}, new float[2 * 3 * 16 * 16]));
        String missing = tmp.resolve("missing.jpg").toString();

        Result r =
                CommandLines.run("predict", "--model", modelDir.toString(), missing, wrong.toString(), png.toString());

        assertThat(r.status()).isEqualTo(Cli.FAILED);
        List<String> lines = new ArrayList<>(r.out().lines().toList());
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(missing + "  error: no such file or directory");
        assertThat(lines.get(1))
                .isEqualTo(wrong + "  error: shape [2, 3, 16, 16] but the model expects [B, 3, 32, 32]");
        assertThat(lines.get(2)).startsWith(png + "  ").doesNotContain("error");
    }

    private static void png(Path file, Color color, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.WHITE);
        g.fillOval(w / 4, h / 4, w / 2, h / 2);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void assertClose(HostTensor ours, HostTensor reference) {
        assertThat(ours.shape()).containsExactly(reference.shape());
        for (int i = 0; i < ours.data().length; i++) {
            assertThat((double) ours.data()[i])
                    .as("logit %d", i)
                    .isCloseTo(reference.data()[i], within(TOL));
        }
    }
}
