package org.tocomstream.job.ladder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.SceneFolders;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.ModelSpec;

/**
 * {@code ladder} on a model trained by {@code train} in a few steps (the same tiny run as {@code
 * TrainCommandTest}): the files are written and consistent. The measured numbers themselves are not
 * asserted (a 4-step model on a shared machine), only what the selection guarantees.
 */
class LadderCommandTest {

    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void trainATinyModel() {
        model = tmp.resolve("tiny");
        Result r = run(TestModels.tinyTrainRun(model));
        assertThat(r.status()).as(r.err()).isZero();
    }

    /** Few frames, one timed round: the test checks the files, not the numbers. */
    private static Result ladder(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "ladder",
                "--model",
                model.toString(),
                "--size",
                "8",
                "--batch",
                "8",
                "--rounds",
                "1",
                "--timing-frames",
                "8",
                "--rungs",
                "1.1,50",
                "--families",
                "tome"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    @Test
    void labelledGeneratorFramesWriteTheModelsLadderAndPlot() throws IOException {
        Result r = ladder("--generator", "--data-seed", "3");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("ladder: quality 8/8 frames", "ladder: speed round 1/1");
        assertThat(r.out()).contains("rung 0: target 1.00x -> none", "rung 2: target 50.00x unreachable");
        MeasuredLadder ladder = MeasuredLadder.read(model.resolve("ladder.json"));
        assertConsistent(ladder, MeasuredLadder.TOP1, true);
        BufferedImage png = ImageIO.read(model.resolve("ladder.png").toFile());
        assertThat(png.getWidth()).isGreaterThan(500);

        JsonObject root = JsonParser.parseString(Files.readString(model.resolve("ladder.json")))
                .getAsJsonObject();
        assertThat(root.getAsJsonObject("model").get("weightsSha256").getAsString())
                .isEqualTo(TokenCompensator.weightsSha256(model));
        assertThat(root.get("command").getAsString()).startsWith("ladder --model " + model);
    }

    @Test
    void syntheticCameraFramesAreLabelledAndNamedInTheFile() throws IOException {
        Path out = tmp.resolve("cams/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--generator",
                "--cameras",
                "2",
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("cams/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("rendering 8 frames of 2 synthetic cameras");
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertConsistent(ladder, MeasuredLadder.TOP1, true);
        assertThat(ladder.data().description()).startsWith("8 frames of 2 synthetic cameras");
    }

    @Test
    void staticSceneCamerasAreLabelledAndNamedInTheFile() throws IOException {
        Path out = tmp.resolve("static/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--generator",
                "--cameras",
                "2",
                "--scene",
                "static",
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("static/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertConsistent(ladder, MeasuredLadder.TOP1, true);
        assertThat(ladder.data().description()).startsWith("8 frames of 2 synthetic cameras (static scene)");
    }

    @Test
    void anUnlabelledImageFolderMeasuresAgreementIntoTheGivenFiles() throws IOException {
        Path images = SceneFolders.write(tmp.resolve("images"), 2, 3);
        Path out = tmp.resolve("out/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--images",
                images.toString(),
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("out/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertConsistent(ladder, MeasuredLadder.AGREEMENT, false);
        assertThat(ladder.data().images()).isEqualTo(6);
        assertThat(ladder.candidates().get(0).quality()).isEqualTo(1.0); // none agrees with itself
        assertThat(tmp.resolve("out/l.png")).isRegularFile();
    }

    private static void assertConsistent(MeasuredLadder ladder, String metric, boolean labelled) throws IOException {
        assertThat(ladder.metric()).isEqualTo(metric);
        assertThat(ladder.data().labelled()).isEqualTo(labelled);
        assertThat(ladder.batch()).isEqualTo(8);
        assertThat(ladder.rungs().get(0).level()).isEqualTo("none");
        assertThat(ladder.rungs()).extracting(MeasuredLadder.Rung::target).containsExactly(1.0, 1.1, 50.0);
        for (MeasuredLadder.Rung rung : ladder.rungs()) {
            if (rung.reachable()) {
                assertThat(rung.speedup()).isGreaterThanOrEqualTo(rung.target());
            }
        }
        assertThat(ladder.rungs().get(2).reachable()).isFalse();
        assertThat(ladder.candidates())
                .extracting(MeasuredLadder.Candidate::family)
                .contains("none", "tome");
        assertThat(ladder.candidates().get(0).speedup()).isEqualTo(1.0);
        // The controller can run it: the rungs fit and fall in cost.
        CostModel cost = CostModel.of(ModelSpec.read(model).architecture().geometry());
        assertThat(ladder.ladder(cost).level(0).toString()).isEqualTo("none");
    }

    @Test
    void usageErrors() {
        usage(run("ladder", "--model", model.toString()), "give --data DIR, --generator, --images DIR or --topic T");
        usage(run("ladder", "--model", model.toString(), "--generator", "--images", "x"), "--images");
        usage(run("ladder", "--model", model.toString(), "--generator", "--rungs", "1.5,0.8"), "--rungs");
        usage(
                run("ladder", "--model", model.toString(), "--generator", "--families", "tome,diffrate"),
                "--diffrate FILES");
        usage(run("ladder", "--model", model.toString(), "--topic", "frames"), "--bootstrap");
        usage(run("ladder", "--model", model.toString(), "--images", "x", "--cameras", "2"), "--cameras");
        usage(run("ladder", "--model", model.toString(), "--images", "x", "--data-seed", "2"), "--data-seed");
        usage(
                run("ladder", "--model", model.toString(), "--generator", "--scene", "static"),
                "--scene: requires --cameras");
    }

    /** A usage error (exit status 2) whose one line contains {@code part}. */
    private static void usage(Result r, String part) {
        assertThat(r.status()).as(r.err()).isEqualTo(org.tocomstream.job.cli.Cli.USAGE);
        assertThat(r.err()).contains(part).hasLineCount(1);
    }

    @Test
    void helpNamesTheFileAndTheOrderOfPrecedence() {
        Result r = run("ladder", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("--rungs", "--diffrate", "vit.control.ladder", "diffrate search");
    }
}
