package org.tocomstream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;

/**
 * Dispatch, exit statuses and the one-line usage errors of both commands. All usage errors are
 * found before a model is loaded, so these tests are fast.
 */
class MainTest {

    @Nested
    class Dispatch {
        @Test
        void noArgumentsMeansTheLocalDemo() {
            // Without arguments Main runs 'run' (in-process Kafka, cameras, demo model; exercised
            // end to end by RunCommandITCase); the usage text says so.
            Result r = run("--help");
            assertThat(r.status()).isZero();
            assertThat(r.out())
                    .contains(
                            "usage:",
                            "Without a command: 'run'",
                            "predict",
                            "bench",
                            "train",
                            "evaluate",
                            "run",
                            "produce");
        }

        @Test
        void helpExits0() {
            assertThat(run("--help").status()).isZero();
            Result predict = run("predict", "--help");
            assertThat(predict.status()).isZero();
            assertThat(predict.out()).contains("--logits-out", "--schedule", "INPUT");
            Result bench = run("bench", "-h");
            assertThat(bench.status()).isZero();
            assertThat(bench.out()).contains("--onnx", "oursOverOrt", "achievedGflops");
            Result train = run("train", "--help");
            assertThat(train.status()).isZero();
            assertThat(train.out()).contains("--warmup-epochs", "--crop-fraction 1.0", "resumes");
            Result evaluate = run("evaluate", "-h");
            assertThat(evaluate.status()).isZero();
            assertThat(evaluate.out()).contains("--levels", "relativeMacs", "maxMergingR");
        }

        @Test
        void unknownCommand() {
            assertUsageError(
                    run("serve"),
                    "unknown command 'serve'; expected one of predict, bench, train, evaluate, ladder, tocom, diffrate, run, produce, audit, bench-pipeline, loadtest, capacity-sim (see --help)");
        }

        @Test
        void offlineDefaultsToTrue() {
            run("--help");
            assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        }
    }

    @Nested
    class PredictUsage {
        @Test
        void badTome() {
            assertUsageError(
                    run("predict", "--model", "m", "--tome", "x", "a.png"),
                    "predict: --tome: expected a non-negative integer but got 'x'");
        }

        @Test
        void twoLevelOptions() {
            assertUsageError(
                    run("predict", "--model", "m", "--tome", "4", "--evit", "0.7", "a.png"),
                    "predict: --tome and --evit cannot be used together");
        }

        @Test
        void modelAndPreset() {
            assertUsageError(
                    run("predict", "--model", "m", "--preset", "vit_test_tiny", "a.png"),
                    "predict: --model and --preset cannot be used together");
            assertUsageError(
                    run("predict", "--model", "m", "--weights", "w", "a.png"),
                    "predict: --model and --weights cannot be used together");
        }

        @Test
        void presetNeedsWeightsAndBack() {
            assertUsageError(
                    run("predict", "--preset", "vit_test_tiny", "a.png"), "predict: --preset: requires --weights");
            assertUsageError(
                    run("predict", "--weights", "w.safetensors", "a.png"), "predict: --weights: requires --preset");
        }

        @Test
        void noModel() {
            assertUsageError(
                    run("predict", "a.png"), "predict: give --model DIR, or --preset NAME with --weights FILE");
        }

        @Test
        void noInput() {
            assertUsageError(
                    run("predict", "--model", "m"),
                    "predict: expected at least one INPUT (image, directory or .npy file)");
        }

        @Test
        void unknownPreset() {
            Result r = run("predict", "--preset", "vit_huge", "--weights", "w", "a.png");
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("predict: --preset: unknown preset 'vit_huge'")
                    .hasLineCount(1);
        }

        @Test
        void badDevice() {
            Result r = run("predict", "--model", "m", "--device", "tpu", "a.png");
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("predict: --device: unknown device 'tpu'")
                    .hasLineCount(1);
        }

        @Test
        void badBatchAndTop() {
            assertUsageError(
                    run("predict", "--model", "m", "--batch", "0", "a.png"),
                    "predict: --batch: expected a positive integer but got '0'");
            assertUsageError(
                    run("predict", "--model", "m", "--top", "many", "a.png"),
                    "predict: --top: expected a positive integer but got 'many'");
        }

        @Test
        void unknownOption() {
            assertUsageError(
                    run("predict", "--model", "m", "--logit-out", "x.npy", "a.png"),
                    "predict: unknown option '--logit-out' (did you mean --logits-out?)");
        }
    }

    @Nested
    class RuntimeFailure {
        @Test
        void missingModelDirectoryIsOneLineWithoutStackTrace(@TempDir Path tmp) {
            Result r = run("predict", "--model", tmp.resolve("nope").toString(), "a.png");
            assertThat(r.status()).isEqualTo(Cli.FAILED);
            assertThat(r.err())
                    .startsWith("predict: error: cannot load model from " + tmp.resolve("nope"))
                    .hasLineCount(1);
        }

        @Test
        void verbosePrintsTheStackTrace(@TempDir Path tmp) {
            Result r =
                    run("--verbose", "predict", "--model", tmp.resolve("nope").toString(), "a.png");
            assertThat(r.status()).isEqualTo(Cli.FAILED);
            assertThat(r.err()).contains("predict: error: cannot load model", "\tat ");
        }
    }

    @Nested
    class BenchUsage {
        @Test
        void badLevels() {
            Result r = run("bench", "--levels", "0,merge:4");
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("bench: --levels: invalid compression level 'merge:4'")
                    .hasLineCount(1);
            assertUsageError(run("bench", "--levels", "0,8,tome:8"), "bench: --levels: level tome:8 is listed twice");
        }

        @Test
        void badBatch() {
            assertUsageError(
                    run("bench", "--batch", "1,8,x"),
                    "bench: --batch: expected a comma-separated list of positive integers but" + " got '1,8,x'");
        }

        @Test
        void badIterationsWarmupThreads() {
            assertUsageError(
                    run("bench", "--iterations", "0"), "bench: --iterations: expected a positive integer but got '0'");
            assertUsageError(
                    run("bench", "--warmup", "-1"), "bench: --warmup: expected a non-negative integer but got '-1'");
            assertUsageError(
                    run("bench", "--threads", "two"), "bench: --threads: expected a positive integer but got 'two'");
        }

        @Test
        void missingOnnxFile(@TempDir Path tmp) {
            Path onnx = tmp.resolve("deit.onnx");
            assertUsageError(
                    run("bench", "--onnx", onnx.toString()),
                    "bench: --onnx: no such file '" + onnx + "' (export one with src/fixtures/export_onnx.py)");
        }

        @Test
        void positionalArgument() {
            assertUsageError(run("bench", "deit"), "bench: unexpected argument 'deit'");
        }

        @Test
        void profileBatchNeedsProfile() {
            assertUsageError(run("bench", "--profile-batch", "8"), "bench: --profile-batch: requires --profile");
        }
    }
}
