package org.tocomstream.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import ai.djl.Device;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.SceneFolders;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainConfig;
import org.tocomstream.model.train.Trainer;

/**
 * {@code train}: usage errors, and tiny end-to-end runs (vit_test_tiny on 32 generated scenes, 2
 * epochs of 2 steps: seconds) that check the model directory, the output lines and resuming.
 */
class TrainCommandTest {

    /** The tiny run every end-to-end test uses; its --out is appended. */
    @TempDir
    static Path tmp;

    static Path trained;
    static Result first;

    @BeforeAll
    static void trainTheTinyModel() {
        trained = tmp.resolve("tiny");
        first = run(tinyRun(trained));
    }

    static String[] tinyRun(Path out) {
        return TestModels.tinyTrainRun(out);
    }

    @Test
    void writesALoadableModelDirectoryWithTheGeneratorsLabels() throws IOException {
        assertThat(first.status()).as(first.err()).isZero();
        ModelSpec spec = ModelSpec.read(trained);
        List<String> labels = SceneGenerator.of(SceneConfig.defaults(), 3).labels();
        assertThat(spec.labels()).isEqualTo(labels);
        assertThat(spec.trainedCompression()).isEqualTo(CompressionLevel.tome(2));
        assertThat(spec.architecture())
                .isEqualTo(VitConfig.preset("vit_test_tiny").withNumClasses(labels.size()));
        assertThat(spec.preprocessing().cropFraction()).isEqualTo(1.0);
        assertThat(spec.source()).startsWith("tocom-stream train --preset vit_test_tiny");
        try (VitModel model = VitModel.load(trained, Device.cpu())) {
            assertThat(model.spec().labels()).hasSize(8);
        }
        assertThat(trained.resolve(TrainRun.STATE_FILE)).isRegularFile();
    }

    @Test
    void printsProgressOnStderrAndOneSummaryLineOnStdout() {
        assertThat(first.err())
                .contains("train: fresh vit_test_tiny (32 px, 8 classes) at level tome:2 on 32 images")
                .contains("epoch 1/2 step 1/4 loss ")
                .containsPattern("epoch 2/2 step 4/4 loss \\d+\\.\\d{4} acc .* img/s ETA 0m00s \\| val acc")
                .doesNotContain("error");
        assertThat(first.out().lines().toList())
                .singleElement()
                .asString()
                .matches("trained " + Pattern.quote(trained.toString())
                        + ": step 4/4 \\(\\+4 this run\\) in \\d+\\.\\d s, \\d+\\.\\d img/s,"
                        + " val acc \\d+\\.\\d\\d%");
    }

    @Test
    void rerunningAFinishedRunTrainsNothingAndReportsAgain() throws IOException {
        byte[] weights = Files.readAllBytes(trained.resolve("model.safetensors"));
        Result again = run(tinyRun(trained));

        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.err()).contains("resuming from step 4", "already holds the finished run");
        assertThat(again.out()).contains("step 4/4 (+0 this run)");
        // Same validation accuracy as the run that wrote the weights.
        assertThat(valAcc(again.out())).isEqualTo(valAcc(first.out()));
        assertThat(Files.readAllBytes(trained.resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void resumingAnInterruptedRunContinuesFromItsCheckpoint() throws IOException {
        // The CLI cannot be stopped mid-run from a test, so interrupt the Trainer it uses after
        // the first epoch's checkpoint, with exactly the spec the command would build.
        Path out = tmp.resolve("interrupted");
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 3);
        PreprocessConfig pre = TrainCommand.presetPreprocessing(32, OptionalDouble.of(1.0));
        VitConfig cfg = TrainRun.architecture(VitConfig.preset("vit_test_tiny"), 32, 8);
        ModelSpec spec = ModelSpec.of(cfg, scenes.labels()).withPreprocessing(pre);
        TrainConfig config = new TrainConfig(2, 16, 1e-3, 1e-5, 1, 0.05, 0.1, CompressionLevel.tome(2), true, 0, 1);
        assertThatThrownBy(() -> new Trainer(spec, config, Device.cpu())
                        .train(
                                VitInit.truncatedNormal(cfg, 0),
                                new GeneratedData(scenes, 32, new ImagePreprocessor(pre)),
                                null,
                                out,
                                p -> {
                                    if (p.step() == 2) {
                                        throw new IllegalStateException("simulated crash");
                                    }
                                }))
                .hasMessageContaining("simulated crash");

        Result resumed = run(tinyRun(out));

        assertThat(resumed.status()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming from step 2").contains("epoch 2/2 step 3/4");
        assertThat(resumed.err()).doesNotContain("step 1/4");
        assertThat(resumed.out()).contains("step 4/4 (+2 this run)");
    }

    @Test
    void ctrlCStopsTrainingBetweenStepsWithALineSayingWhatIsOnDisk() {
        // What Main does on SIGINT/SIGTERM for a command that stops at safe points: the stop flag
        // turns true and the command returns soon after; here it is true from the start.
        TrainCommand train = new TrainCommand();
        String[] args = tinyRun(tmp.resolve("stopped"));
        PrintStream errStream = new PrintStream(OutputStream.nullOutputStream());

        assertThat(train.stopsOnSignal()).isTrue();
        assertThatThrownBy(() -> train.run(Arrays.copyOfRange(args, 1, args.length), System.out, errStream, () -> true))
                .isInstanceOf(CommandFailedException.class)
                .hasMessage("training into " + tmp.resolve("stopped")
                        + " stopped on request after step 0 of 4; no epoch had finished, so no checkpoint was written");
        assertThat(tmp.resolve("stopped").resolve("model.json")).doesNotExist();
    }

    @Test
    void aLevelThatDoesNotFitTheModelIsRefusedBeforeTraining(@TempDir Path tmp) {
        Result r = run(
                "train",
                "--preset",
                "vit_test_tiny",
                "--generator",
                "--train-size",
                "16",
                "--val-size",
                "8",
                "--batch",
                "8",
                "--epochs",
                "1",
                "--level",
                "diffrate:deit-s@2.9",
                "--out",
                tmp.resolve("out").toString());
        assertThat(r.status()).as(r.err()).isEqualTo(Cli.FAILED);
        assertThat(r.err())
                .startsWith("train: error: --level diffrate:deit-s@2.9 needs 197 tokens and 12 blocks;")
                .doesNotContain("epoch 1/1");
    }

    @Test
    void resumingWithAnotherLevelIsRefused() {
        String[] args = tinyRun(trained);
        args[Arrays.asList(args).indexOf("--tome") + 1] = "4";
        Result r = run(args);
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err())
                .isEqualTo("train: error: --out " + trained + " holds a run with trainedCompression"
                        + " tome:2 but this command asks for tome:4; give another --out" + System.lineSeparator());
    }

    @Test
    void resumingWithAnotherEpochCountIsRefused() {
        String[] args = tinyRun(trained);
        args[Arrays.asList(args).indexOf("--epochs") + 1] = "3";
        Result r = run(args);
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err())
                .isEqualTo("train: error: --out " + trained + " holds a run of 4 steps at batch 16"
                        + " but this command makes 6 steps at batch 16; give another --out, or the same --epochs,"
                        + " --batch and data" + System.lineSeparator());
    }

    @Test
    void aNonEmptyOutWithoutTrainingStateIsRefused() throws IOException {
        Path out = tmp.resolve("occupied");
        Files.createDirectories(out);
        Files.writeString(out.resolve("notes.txt"), "mine");
        Result r = run(tinyRun(out));
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err())
                .isEqualTo("train: error: --out " + out + " is not empty and holds no training run"
                        + " (training/state.json); give a new or empty directory" + System.lineSeparator());
    }

    @Test
    void fineTunesAModelOnAnImageFolderMappedToItsLabels() throws IOException {
        assertThat(first.status()).as(first.err()).isZero();
        Path folder = SceneFolders.write(tmp.resolve("folder"), 3, 2);
        Path out = tmp.resolve("finetuned");

        Result r = run(
                "train",
                "--model",
                trained.toString(),
                "--data",
                folder.toString(),
                "--val-data",
                folder.toString(),
                "--epochs",
                "1",
                "--batch",
                "4",
                "--no-augment",
                "--out",
                out.toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("fine-tuning vit_test_tiny (32 px, 8 classes) at level none on 6 images");
        assertThat(r.out()).contains("step 1/1 (+1 this run)");
        ModelSpec spec = ModelSpec.read(out);
        assertThat(spec.labels()).isEqualTo(ModelSpec.read(trained).labels());
        assertThat(spec.preprocessing()).isEqualTo(ModelSpec.read(trained).preprocessing());
        assertThat(spec.trainedCompression()).isEqualTo(CompressionLevel.none());
    }

    @Test
    void fineTuningOnAFolderWithAnUnknownClassFails() throws IOException {
        assertThat(first.status()).as(first.err()).isZero();
        Path folder = SceneFolders.write(tmp.resolve("zoo"), 1, 1);
        Files.move(Files.list(folder).findFirst().orElseThrow(), folder.resolve("zebra"));
        Result r = run(
                "train",
                "--model",
                trained.toString(),
                "--data",
                folder.toString(),
                "--epochs",
                "1",
                "--batch",
                "1",
                "--out",
                tmp.resolve("zoo-out").toString());
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err())
                .startsWith("train: error: cannot read --data: ")
                .contains("class directory 'zebra' that is not among the labels")
                .hasLineCount(1);
    }

    @Test
    void fineTunesAtAnIdleLevelWithIdleViTsRecipe() throws IOException {
        assertThat(first.status()).as(first.err()).isZero();
        Path out = tmp.resolve("idle-recipe");
        String[] args = {
            "train",
            "--model",
            trained.toString(),
            "--generator",
            "--data-seed",
            "3",
            "--train-size",
            "16",
            "--val-size",
            "16",
            "--batch",
            "16",
            "--epochs",
            "1",
            "--level",
            "idle:0.7",
            "--idle-recipe",
            "--distill-weight",
            "5",
            "--crop-fraction",
            "1.0",
            "--out",
            out.toString()
        };

        Result r = run(args);

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err())
                .contains("fine-tuning vit_test_tiny (32 px, 8 classes) at level idle:0.7 on 16 images")
                .contains("lr 1.00e-05"); // the recipe's peak, no warm-up
        assertThat(r.out()).contains("step 1/1 (+1 this run)");
        assertThat(ModelSpec.read(out).trainedCompression()).isEqualTo(CompressionLevel.idle(0.7));
        // The finished run again: the recipe reloads --model as its teacher, trains nothing.
        Result again = run(args);
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.err()).contains("already holds the finished run");
    }

    private static String valAcc(String out) {
        return out.substring(out.indexOf("val acc"));
    }

    @Nested
    class Usage {
        private static final String OUT = "/nonexistent/out";

        @Test
        void missingOut() {
            assertUsageError(
                    run("train", "--preset", "vit_test_tiny", "--generator", "--epochs", "1"),
                    "train: missing required option --out DIR");
        }

        @Test
        void idleRecipeMisuse() {
            assertUsageError(
                    run("train", "--model", "m", "--generator", "--epochs", "1", "--idle-recipe", "--out", OUT),
                    "train: --idle-recipe: needs an idle level (--level idle:K) but the level is none");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--level",
                            "idle:0.7",
                            "--idle-recipe",
                            "--out",
                            OUT),
                    "train: --idle-recipe: requires --model");
            assertUsageError(
                    run("train", "--model", "m", "--generator", "--epochs", "1", "--distill-weight", "3", "--out", OUT),
                    "train: --distill-weight: requires --idle-recipe");
        }

        @Test
        void missingEpochs() {
            assertUsageError(
                    run("train", "--preset", "vit_test_tiny", "--generator", "--out", OUT),
                    "train: missing required option --epochs N");
        }

        @Test
        void zeroEpochs() {
            assertUsageError(
                    run("train", "--preset", "vit_test_tiny", "--generator", "--epochs", "0", "--out", OUT),
                    "train: --epochs: expected a positive integer but got '0'");
        }

        @Test
        void dataAndGenerator() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--data",
                            "d",
                            "--generator",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --data and --generator cannot be used together");
            assertUsageError(
                    run("train", "--preset", "vit_test_tiny", "--epochs", "1", "--out", OUT),
                    "train: give --data DIR or --generator");
        }

        @Test
        void modelAndPreset() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--model",
                            "m",
                            "--generator",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --preset and --model cannot be used together");
            assertUsageError(
                    run("train", "--generator", "--epochs", "1", "--out", OUT),
                    "train: give --preset NAME (fresh weights) or --model DIR (fine-tune)");
        }

        @Test
        void unknownOption() {
            assertUsageError(
                    run("train", "--preset", "vit_test_tiny", "--generator", "--epoch", "1", "--out", OUT),
                    "train: unknown option '--epoch' (did you mean --epochs?)");
        }

        @Test
        void badLearningRates() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--lr",
                            "fast",
                            "--out",
                            OUT),
                    "train: --lr: expected a number > 0 but got 'fast'");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--lr",
                            "0",
                            "--out",
                            OUT),
                    "train: --lr: expected a number > 0 but got '0'");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--lr",
                            "NaN",
                            "--out",
                            OUT),
                    "train: --lr: expected a number > 0 but got 'NaN'");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--lr",
                            "1e-4",
                            "--min-lr",
                            "1e-3",
                            "--out",
                            OUT),
                    "train: --min-lr: must not exceed --lr 1.0E-4 but got '1e-3'");
        }

        @Test
        void otherHyperParameters() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "2",
                            "--warmup-epochs",
                            "3",
                            "--out",
                            OUT),
                    "train: --warmup-epochs: must not exceed --epochs 2 but got '3'");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--label-smoothing",
                            "1",
                            "--out",
                            OUT),
                    "train: --label-smoothing: expected a number in [0, 1) but got '1'");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--crop-fraction",
                            "1.5",
                            "--out",
                            OUT),
                    "train: --crop-fraction: expected a number in (0, 1] but got '1.5'");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--seed",
                            "x",
                            "--out",
                            OUT),
                    "train: --seed: expected an integer but got 'x'");
        }

        @Test
        void generatorOnlyOptions() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--data",
                            "d",
                            "--train-size",
                            "8",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --train-size: requires --generator");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--val-data",
                            "v",
                            "--val-size",
                            "8",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --val-data and --val-size cannot be used together");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--train-size",
                            "8",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --batch: exceeds --train-size 8: got '64'");
            Result r = run(
                    "train",
                    "--preset",
                    "vit_test_tiny",
                    "--generator",
                    "--frame-size",
                    "8",
                    "--epochs",
                    "1",
                    "--out",
                    OUT);
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err()).startsWith("train: --frame-size: width must be").hasLineCount(1);
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--data",
                            "d",
                            "--classes",
                            "red_circle,blue_ring",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --classes: requires --generator");
            r = run(
                    "train",
                    "--preset",
                    "vit_test_tiny",
                    "--generator",
                    "--classes",
                    "red_circle,pink_blob",
                    "--epochs",
                    "1",
                    "--out",
                    OUT);
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("train: --classes: scene class 'pink_blob' is not colour_shape")
                    .hasLineCount(1);
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--data",
                            "d",
                            "--object-scale",
                            "0.1,0.2",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --object-scale: requires --generator");
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--data",
                            "d",
                            "--noise",
                            "5",
                            "--epochs",
                            "1",
                            "--out",
                            OUT),
                    "train: --noise: requires --generator");
            r = run(
                    "train",
                    "--preset",
                    "vit_test_tiny",
                    "--generator",
                    "--object-scale",
                    "0.3",
                    "--epochs",
                    "1",
                    "--out",
                    OUT);
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("train: --object-scale: '0.3': expected MIN,MAX")
                    .hasLineCount(1);
            r = run(
                    "train",
                    "--preset",
                    "vit_test_tiny",
                    "--generator",
                    "--object-scale",
                    "0.6,0.2",
                    "--epochs",
                    "1",
                    "--out",
                    OUT);
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err()).startsWith("train: --object-scale: '0.6,0.2': ").hasLineCount(1);
            r = run(
                    "train",
                    "--preset",
                    "vit_test_tiny",
                    "--generator",
                    "--noise",
                    "loud",
                    "--epochs",
                    "1",
                    "--out",
                    OUT);
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err()).startsWith("train: --noise: 'loud': ").hasLineCount(1);
        }

        @Test
        void presetOptions() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--input-size",
                            "30",
                            "--out",
                            OUT),
                    "train: --input-size: expected a multiple of vit_test_tiny's patch size 4 but got '30'");
            assertUsageError(
                    run("train", "--model", "m", "--generator", "--epochs", "1", "--input-size", "32", "--out", OUT),
                    "train: --input-size: requires --preset");
            Result r = run("train", "--preset", "vit_huge", "--generator", "--epochs", "1", "--out", OUT);
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("train: --preset: unknown preset 'vit_huge'")
                    .hasLineCount(1);
        }

        @Test
        void badLevel() {
            assertUsageError(
                    run(
                            "train",
                            "--preset",
                            "vit_test_tiny",
                            "--generator",
                            "--epochs",
                            "1",
                            "--tome",
                            "2",
                            "--evit",
                            "0.7",
                            "--out",
                            OUT),
                    "train: --tome and --evit cannot be used together");
        }

        @Test
        void missingModelIsARuntimeFailure() {
            Result r = run("train", "--model", "/nonexistent/model", "--generator", "--epochs", "1", "--out", OUT);
            assertThat(r.status()).isEqualTo(Cli.FAILED);
            assertThat(r.err())
                    .startsWith("train: error: cannot load model from /nonexistent/model")
                    .hasLineCount(1);
        }
    }
}
