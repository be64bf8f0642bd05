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
        // Token reuse on cameras: staticCamerasMeasureTokenReuseBesideTheFamilies.
        Result r = ladder(
                "--generator",
                "--cameras",
                "2",
                "--reuse",
                "off",
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
                "--reuse",
                "off",
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

    @Test
    void staticCamerasMeasureTokenReuseBesideTheFamilies() throws IOException {
        Path out = tmp.resolve("reuse/l.json");
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
                tmp.resolve("reuse/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("ladder: reuse quality 8/8 frames");
        // Two cameras: each camera's first frame is computed in full, at every reuse level.
        assertThat(r.err()).containsPattern("reuse:[0-9.]+ computed [2-8] of 8 frames in full");
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertConsistent(ladder, MeasuredLadder.TOP1, true);
        assertThat(ladder.data().description()).contains("(static scene), consecutive");
        List<MeasuredLadder.Candidate> reuse = ladder.candidates().stream()
                .filter(c -> c.family().equals("reuse"))
                .toList();
        assertThat(reuse).isNotEmpty().allSatisfy(c -> {
            assertThat(c.level()).startsWith("reuse:");
            assertThat(c.quality()).isBetween(0.0, 1.0);
            assertThat(c.kl()).isGreaterThanOrEqualTo(0.0);
            assertThat(c.framesPerSecond()).isPositive();
        });
        assertThat(tmp.resolve("reuse/l.png")).isRegularFile();
    }

    @Test
    void reusingEveryTokenAgreesWithNoneOnEveryFrameOfAVideo() throws Exception {
        Path video =
                Path.of(LadderCommandTest.class.getResource("/video/mjpeg.avi").toURI());
        Path out = tmp.resolve("video/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--video",
                video.toString(),
                "--cameras",
                "2",
                "--reuse",
                "1.0,0.5",
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("video/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertConsistent(ladder, MeasuredLadder.AGREEMENT, false);
        assertThat(ladder.data().description()).startsWith("8 frames of video mjpeg.avi as 2 camera(s)");
        MeasuredLadder.Candidate all = candidate(ladder, "reuse:1.0");
        // reuse:1.0 recomputes every token: the plain model up to summation order (1e-4 in the
        // invariant tests), so the same top-1 on every frame and a KL of rounding size.
        assertThat(all.quality()).isEqualTo(1.0);
        assertThat(all.kl()).isLessThan(1e-6);
        assertThat(candidate(ladder, "reuse:0.5").quality()).isBetween(0.0, 1.0);
    }

    @Test
    void anImageFolderIsNoSequenceSoReuseIsLeftOutWithANote() throws IOException {
        Path images = SceneFolders.write(tmp.resolve("still"), 2, 2);
        Path out = tmp.resolve("still-out/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--images",
                images.toString(),
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("still-out/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err())
                .containsOnlyOnce("ladder: no token-reuse candidates: 4 images of " + images
                        + " (unlabelled) are not camera sequences");
        assertThat(MeasuredLadder.read(out).candidates())
                .extracting(MeasuredLadder.Candidate::family)
                .doesNotContain("reuse");
        usage(
                run("ladder", "--model", model.toString(), "--images", images.toString(), "--reuse", "0.25"),
                "--reuse: token reuse is measured on camera sequences");
        usage(run("ladder", "--model", model.toString(), "--generator", "--reuse", "0.25"), "--reuse");
        usage(run("ladder", "--model", model.toString(), "--generator", "--cameras", "2", "--reuse", "0"), "--reuse");
    }

    private static MeasuredLadder.Candidate candidate(MeasuredLadder ladder, String level) {
        return ladder.candidates().stream()
                .filter(c -> c.level().equals(level))
                .findFirst()
                .orElseThrow(() -> new AssertionError(level + " not among " + ladder.candidates()));
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
