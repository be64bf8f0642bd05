package org.tocomstream.job.tocom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/** {@code tocom train} and {@code tocom eval}: usage errors and a tiny end-to-end run. */
class TocomCommandTest {

    /** 16 px, 3 blocks of width 32: a training step takes milliseconds. */
    static final VitConfig TINY = new VitConfig("tocom_cli", 16, 4, 3, 8, 32, 3, 2, 2.0, true, false, 1e-6);

    @Nested
    class Usage {

        @Test
        void subcommands() {
            assertUsageError(run("tocom"), "tocom: missing subcommand; expected train, eval, calibrate or proof");
            assertUsageError(
                    run("tocom", "fit"), "tocom: unknown subcommand 'fit'; expected train, eval, calibrate or proof");
        }

        @Test
        void trainOptions() {
            assertUsageError(
                    run("tocom", "train", "--generator", "--out", "p"),
                    "tocom train: missing required option --model DIR");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--out", "p"),
                    "tocom train: give --images DIR, --generator or --topic T");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--images", "i", "--generator", "--out", "p"),
                    "tocom train: --images and --generator cannot be used together");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--generator", "--out", "p", "--scale", "x"),
                    "tocom train: --scale: expected a number > 0 but got 'x'");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--images", "i", "--out", "p", "--train-size", "9"),
                    "tocom train: --train-size: requires --generator");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--generator", "--out", "p", "--max-degree", "0"),
                    "tocom train: --max-degree: expected a positive integer but got '0'");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--generator", "--out", "p", "--degrees", "linear"),
                    "tocom train: --degrees: expected constant or decreasing but got 'linear'");
            // --topic T (frames from Kafka) is a third, exclusive source, and needs --bootstrap.
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--generator", "--out", "p", "--topic", "t"),
                    "tocom train: --generator and --topic cannot be used together");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--out", "p", "--topic", "t"),
                    "tocom train: --topic: requires --bootstrap");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--generator", "--out", "p", "--bootstrap", "k:1"),
                    "tocom train: --bootstrap: requires --topic");
            assertUsageError(
                    run("tocom", "train", "--model", "m", "--out", "p", "--topic", "t", "--bootstrap", "kafka"),
                    "tocom train: --bootstrap: expected HOST:PORT[,HOST:PORT...] but got 'kafka'");
            assertUsageError(
                    run(
                            "tocom",
                            "train",
                            "--model",
                            "m",
                            "--out",
                            "p",
                            "--topic",
                            "t",
                            "--bootstrap",
                            "k:1",
                            "--held-out-size",
                            "9"),
                    "tocom train: --held-out-size: requires --generator");
        }

        @Test
        void evalOptions() {
            assertUsageError(
                    run("tocom", "eval", "--model", "m", "--generator"),
                    "tocom eval: missing required option --plugin FILE");
            assertUsageError(
                    run("tocom", "eval", "--model", "m", "--plugin", "p", "--generator", "--mode", "fast"),
                    "tocom eval: --mode: expected side or merged but got 'fast'");
            assertUsageError(
                    run("tocom", "eval", "--model", "m", "--plugin", "p", "--generator", "--grid", "0->x"),
                    "tocom eval: --grid: expected all, degrees like 0,2,4 or pairs like 0->4,4->0 but got '0->x'");
        }

        @Test
        void proofOptions() {
            assertUsageError(
                    run("tocom", "proof", "--models", "a,b", "--generator"),
                    "tocom proof: missing required option --plugin FILE");
            assertUsageError(
                    run("tocom", "proof", "--plugin", "p", "--models", "a", "--data", "d"),
                    "tocom proof: --data: tocom proof needs --generator (it tunes s on the VALIDATION split)");
            assertUsageError(
                    run("tocom", "proof", "--plugin", "p", "--models", "a", "--generator", "--scales", "0.1,-1"),
                    "tocom proof: --scales: expected scales >= 0 but got '-1'");
            assertUsageError(
                    run(
                            "tocom",
                            "proof",
                            "--plugin",
                            "p",
                            "--models",
                            "a",
                            "--generator",
                            "--line-search",
                            "--calibrate-with",
                            "b"),
                    "tocom proof: --line-search: give either --line-search or --calibrate-with, not both");
            assertUsageError(
                    run(
                            "tocom",
                            "proof",
                            "--plugin",
                            "p",
                            "--models",
                            "a",
                            "--generator",
                            "--line-search",
                            "--scales",
                            "0"),
                    "tocom proof: --scales: --line-search needs at least one scale > 0");
        }

        @Test
        void calibrateOptions() {
            assertUsageError(
                    run(
                            "tocom",
                            "calibrate",
                            "--model",
                            "m",
                            "--plugin",
                            "p",
                            "--rule",
                            "sqrt-kl-ratio",
                            "--generator"),
                    "tocom calibrate: missing required option --base DIR");
            assertUsageError(
                    run("tocom", "calibrate", "--model", "m", "--plugin", "p"),
                    "tocom calibrate: give --images DIR, --generator or --topic T");
            assertUsageError(
                    run("tocom", "calibrate", "--model", "m", "--plugin", "p", "--images", "i", "--noise", "3"),
                    "tocom calibrate: --noise: requires --generator");
            assertUsageError(
                    run("tocom", "calibrate", "--model", "m", "--plugin", "p", "--rule", "linear", "--generator"),
                    "tocom calibrate: --rule: rule 'linear' is not supported; expected one of [sqrt-kl-ratio, kl-line-search]");
            assertUsageError(
                    run("tocom", "calibrate", "--model", "m", "--plugin", "p", "--base", "b", "--generator"),
                    "tocom calibrate: --base: rule kl-line-search measures the model alone; leave out --base"
                            + " (or give --rule sqrt-kl-ratio)");
            assertUsageError(
                    run(
                            "tocom",
                            "calibrate",
                            "--model",
                            "m",
                            "--plugin",
                            "p",
                            "--rule",
                            "sqrt-kl-ratio",
                            "--base",
                            "b",
                            "--scales",
                            "0.1",
                            "--generator"),
                    "tocom calibrate: --scales: only rule kl-line-search tries scales");
            assertUsageError(
                    run(
                            "tocom",
                            "calibrate",
                            "--model",
                            "m",
                            "--plugin",
                            "p",
                            "--rule",
                            "kl-line-search",
                            "--scales",
                            "0.1,0.1",
                            "--generator"),
                    "tocom calibrate: --scales: expected distinct scales > 0 but got '0.1'");
        }

        @Test
        void theBootstrapIntervalOfAConstantIsThatConstantAndOtherwiseHoldsTheMean() {
            assertThat(TocomProofRun.bootstrap(new double[] {0.25, 0.25, 0.25}, 200, 1))
                    .containsExactly(0.25, 0.25);
            double[] values = new double[400];
            for (int i = 0; i < values.length; i++) {
                values[i] = i % 2 == 0 ? 1 : -0.5; // mean 0.25
            }
            double[] ci = TocomProofRun.bootstrap(values, 1000, 1);
            assertThat(ci[0]).isLessThan(0.25).isGreaterThan(0.1);
            assertThat(ci[1]).isGreaterThan(0.25).isLessThan(0.4);
        }

        @Test
        void helpDescribesBoth() {
            Result r = run("tocom", "--help");
            assertThat(r.status()).isZero();
            assertThat(r.out())
                    .contains("tocom train --model DIR", "tocom eval --model DIR", "--rank-per-step", "--grid");
        }
    }

    @Nested
    class EndToEnd {

        @TempDir
        static Path tmp;

        static Path model;
        static Path plugin;
        static Result trained;

        @BeforeAll
        static void trainAPlugin() throws IOException {
            model = modelDir(tmp.resolve("model"), 1);
            plugin = tmp.resolve("plugins/tocom.safetensors");
            trained = run(
                    "tocom",
                    "train",
                    "--model",
                    model.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--train-size",
                    "32",
                    "--held-out-size",
                    "16",
                    "--batch",
                    "16",
                    "--epochs",
                    "2",
                    "--max-degree",
                    "3",
                    "--scale",
                    "0.5",
                    "--log-every",
                    "1",
                    "--out",
                    plugin.toString());
        }

        @Test
        void trainWritesThePluginItsSidecarAndProgress() throws IOException {
            assertThat(trained.status()).as(trained.err()).isZero();
            assertThat(trained.out())
                    .startsWith("trained " + plugin + ": step 4/4 in ")
                    .contains("held-out kl ");
            assertThat(trained.err())
                    .contains(
                            "tocom train: new plugin for " + model,
                            "rank 2 per step, degrees 0..3, s = 0.5",
                            "epoch 2/2 step 4/4 kl ");
            TokenCompensator p = TokenCompensator.loadFor(plugin, model);
            assertThat(p.config().maxDegree()).isEqualTo(3);
            assertThat(tmp.resolve("plugins/tocom.json")).exists();
        }

        @Test
        void runningTheSameCommandAgainResumesAndTrainsNothing() {
            Result again = run(
                    "tocom",
                    "train",
                    "--model",
                    model.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--train-size",
                    "32",
                    "--held-out-size",
                    "16",
                    "--batch",
                    "16",
                    "--epochs",
                    "2",
                    "--max-degree",
                    "3",
                    "--scale",
                    "0.5",
                    "--out",
                    plugin.toString());
            assertThat(again.status()).as(again.err()).isZero();
            assertThat(again.err()).contains("resuming the plugin");
            assertThat(again.out()).startsWith("trained " + plugin + ": step 4/4");
        }

        @Test
        void evalPrintsOneRowPerPairAndWritesJson() throws IOException {
            Path json = tmp.resolve("eval/tocom.json");
            Result r = run(
                    "tocom",
                    "eval",
                    "--model",
                    model.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--test-size",
                    "16",
                    "--grid",
                    "0,3",
                    "--json",
                    json.toString());

            assertThat(r.status()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines).hasSize(2 + 4 + 1);
            assertThat(lines.get(1)).matches("m->n +KL plain +KL tocom +change +acc@m +acc@n +\\+tocom");
            assertThat(lines.get(2)).matches("0->0 +0\\.00000 +0\\.00000 +- +\\d+\\.\\d\\d% .*");
            assertThat(lines.get(3)).startsWith("0->3 ");
            assertThat(lines.get(6)).startsWith("mean over 2 pairs with m != n: KL ");
            JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            assertThat(root.get("schemaVersion").getAsInt()).isEqualTo(2);
            assertThat(root.get("scale").getAsDouble()).isEqualTo(0.5);
            assertThat(root.get("mode").getAsString()).isEqualTo("side");
            assertThat(root.getAsJsonArray("cells")).hasSize(4);
            JsonObject cell = root.getAsJsonArray("cells").get(1).getAsJsonObject();
            assertThat(cell.get("m").getAsInt()).isZero();
            assertThat(cell.get("n").getAsInt()).isEqualTo(3);
            assertThat(cell.get("klPlain").getAsDouble()).isPositive();
            assertThat(root.getAsJsonObject("summary").get("mismatchedPairs").getAsInt())
                    .isEqualTo(2);
        }

        @Test
        void evalWritesAHeatMapOfTheGrid() throws IOException {
            Path png = tmp.resolve("eval/heat.png");
            Result r = run(
                    "tocom",
                    "eval",
                    "--model",
                    model.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--test-size",
                    "16",
                    "--grid",
                    "0,3",
                    "--heatmap",
                    png.toString());

            assertThat(r.status()).as(r.err()).isZero();
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
            assertThat(img).as("a PNG").isNotNull();
            // Two degrees: a 2 x 2 grid per panel; labelled generator scenes add the top-1 panel.
            assertThat(img.getWidth()).isGreaterThanOrEqualTo(56 + 2 * 2 * 56);
            int diagonal = img.getRGB(56 + 28, 64 + 28) & 0xFFFFFF;
            int offDiagonal = img.getRGB(56 + 56 + 10, 64 + 10) & 0xFFFFFF;
            assertThat(diagonal).as("m = n is grey").isEqualTo(0xDDDDDD);
            assertThat(offDiagonal).as("0->3 is coloured by its KL change").isNotEqualTo(0xDDDDDD);
        }

        @Test
        void mergedModeGivesTheSameNumbers() {
            Result side = run(
                    "tocom",
                    "eval",
                    "--model",
                    model.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--test-size",
                    "16",
                    "--grid",
                    "3->1");
            Result merged = run(
                    "tocom",
                    "eval",
                    "--model",
                    model.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--test-size",
                    "16",
                    "--grid",
                    "3->1",
                    "--mode",
                    "merged");
            assertThat(merged.status()).as(merged.err()).isZero();
            // KL printed to 5 decimals: merged and side branch agree to ~1e-6 on these logits.
            assertThat(merged.out().lines().skip(1).toList())
                    .isEqualTo(side.out().lines().skip(1).toList());
        }

        @Test
        void proofAppliesThePluginToModelsTrainedAtOtherDegreesAndReportsTheChecks() throws IOException {
            Path m3 = modelDir(tmp.resolve("fine-tuned-m3"), 5);
            ModelSpec.read(m3).withTrainedCompression(CompressionLevel.tome(3)).write(m3);
            Path json = tmp.resolve("proof/proof.json");
            Path png = tmp.resolve("proof/proof.png");
            Result r = run(
                    "tocom",
                    "proof",
                    "--plugin",
                    plugin.toString(),
                    "--models",
                    model + "," + m3,
                    "--generator",
                    "--data-seed",
                    "3",
                    "--tune-size",
                    "16",
                    "--test-size",
                    "24",
                    "--scales",
                    "0.25,0.5",
                    "--bootstrap",
                    "200",
                    "--json",
                    json.toString(),
                    "--heatmap",
                    png.toString());

            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.err())
                    .contains(
                            "trained at m = 1 (the plugin's base itself)",
                            "trained at m = 3 (fine-tuned: weights differ from the plugin's base)");
            assertThat(r.out()).containsPattern("chosen s = 0\\.(25|5)\n");
            assertThat(r.out()
                            .lines()
                            .filter(l -> l.startsWith("PASS ") || l.startsWith("FAIL "))
                            .count())
                    .isEqualTo(4);
            JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            assertThat(root.getAsJsonArray("cells")).hasSize(4); // m in {1, 3} x n in {1, 3}
            assertThat(root.get("testImages").getAsInt()).isEqualTo(24);
            assertThat(root.getAsJsonArray("meanTop1GainCi95")).hasSize(2);
            assertThat(root.getAsJsonObject("scaleTuning").keySet()).containsExactly("0.25", "0.5");
            assertThat(javax.imageio.ImageIO.read(png.toFile())).as("a PNG").isNotNull();
        }

        @Test
        void calibrateWritesEachPairsFactorIntoTheFineTunedModelsDirectory() throws IOException {
            Path m3 = modelDir(tmp.resolve("calibrated-m3"), 6);
            ModelSpec.read(m3).withTrainedCompression(CompressionLevel.tome(3)).write(m3);
            Result r = run(
                    "tocom",
                    "calibrate",
                    "--model",
                    m3.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--rule",
                    "sqrt-kl-ratio",
                    "--base",
                    model.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--size",
                    "16");

            assertThat(r.status()).as(r.err()).isZero();
            Path file = m3.resolve(CompensatorCalibration.FILE_NAME);
            assertThat(r.out()).contains("wrote " + file);
            assertThat(r.out()
                            .lines()
                            .filter(l -> l.matches("3->[012] KL .* -> factor .*"))
                            .count())
                    .isEqualTo(3);
            CompensatorCalibration cal = CompensatorCalibration.load(file);
            assertThat(cal.modelWeightsSha256()).isEqualTo(TokenCompensator.weightsSha256(m3));
            assertThat(cal.pluginBaseWeightsSha256()).isEqualTo(TokenCompensator.weightsSha256(model));
            assertThat(cal.images()).isEqualTo(16);
            assertThat(cal.pairs().values()).allSatisfy(f -> {
                assertThat(f.klModel()).isPositive();
                assertThat(f.factor()).isEqualTo(CompensatorCalibration.factor(f.klModel(), f.klBase()));
            });
            assertThat(CompensatorCalibration.forModel(TokenCompensator.load(plugin), m3))
                    .contains(cal);

            Result self = run(
                    "tocom",
                    "calibrate",
                    "--model",
                    model.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--rule",
                    "sqrt-kl-ratio",
                    "--base",
                    model.toString(),
                    "--generator",
                    "--data-seed",
                    "3",
                    "--size",
                    "16",
                    "--out",
                    tmp.resolve("self/" + CompensatorCalibration.FILE_NAME).toString());
            assertThat(self.status()).as(self.err()).isZero();
            assertThat(CompensatorCalibration.load(tmp.resolve("self/" + CompensatorCalibration.FILE_NAME))
                            .pairs()
                            .values())
                    .as("the base against itself on the same frames")
                    .allSatisfy(f -> assertThat(f.factor()).isEqualTo(1));
        }

        @Test
        void calibrateByLineSearchKeepsPerPairTheScaleOfLeastKlAndTheStreamUsesIt() throws IOException {
            Path m3 = modelDir(tmp.resolve("line-search-m3"), 6);
            ModelSpec.read(m3).withTrainedCompression(CompressionLevel.tome(3)).write(m3);
            Result r = run(
                    "tocom",
                    "calibrate",
                    "--model",
                    m3.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--scales",
                    "0.25,0.5,1",
                    "--generator",
                    "--data-seed",
                    "3",
                    "--size",
                    "16"); // the default rule

            assertThat(r.status()).as(r.err()).isZero();
            Path file = m3.resolve(CompensatorCalibration.FILE_NAME);
            assertThat(r.out()
                            .lines()
                            .filter(l -> l.matches("3->[012] KL .* at scale .*"))
                            .count())
                    .isEqualTo(3);
            CompensatorCalibration cal = CompensatorCalibration.load(file);
            assertThat(cal.rule()).isEqualTo(CompensatorCalibration.Rule.KL_LINE_SEARCH);
            assertThat(cal.scale()).isEqualTo(1.0);
            assertThat(cal.images()).isEqualTo(16);
            assertThat(cal.pairs().values()).allSatisfy(f -> {
                assertThat(f.factor()).isIn(0.0, 0.25, 0.5, 1.0);
                assertThat(f.klCompensated()).isLessThanOrEqualTo(f.klModel());
            });
            // The chosen scale is the grid's best on these frames: each scale alone, on the same frames,
            // records min(KL at that scale, plain KL); the search keeps the least of those.
            Map<Double, CompensatorCalibration> alone = new LinkedHashMap<>();
            for (String scale : List.of("0.25", "0.5", "1")) {
                Path one = tmp.resolve("line-search-at-" + scale + ".json");
                Result each = run(
                        "tocom",
                        "calibrate",
                        "--model",
                        m3.toString(),
                        "--plugin",
                        plugin.toString(),
                        "--rule",
                        "kl-line-search",
                        "--scales",
                        scale,
                        "--generator",
                        "--data-seed",
                        "3",
                        "--size",
                        "16",
                        "--out",
                        one.toString());
                assertThat(each.status()).as(each.err()).isZero();
                alone.put(Double.parseDouble(scale), CompensatorCalibration.load(one));
            }
            cal.pairs().forEach((pair, f) -> {
                double least = alone.values().stream()
                        .mapToDouble(c -> c.pairs().get(pair).klCompensated())
                        .min()
                        .orElseThrow();
                assertThat(f.klCompensated()).as(pair.toString()).isEqualTo(least);
                if (f.factor() > 0) {
                    assertThat(alone.get(f.factor()).pairs().get(pair).klCompensated())
                            .isEqualTo(least);
                }
            });
            TokenCompensator loaded = TokenCompensator.load(plugin);
            assertThat(CompensatorCalibration.forModel(loaded, m3)).contains(cal);
            try (VitModel vit = VitModel.load(m3, Device.cpu());
                    BoundCompensator tocom = loaded.bind(vit, CompensatorMode.SIDE_BRANCH, cal)) {
                assertThat(tocom.defaultScale())
                        .as("the calibration's reference scale")
                        .isEqualTo(1.0);
            }
        }

        @Test
        void calibrateRefusesABaseThePluginWasNotTrainedOn() throws IOException {
            Path other = modelDir(tmp.resolve("not-the-base"), 7);
            Result r = run(
                    "tocom",
                    "calibrate",
                    "--model",
                    other.toString(),
                    "--plugin",
                    plugin.toString(),
                    "--rule",
                    "sqrt-kl-ratio",
                    "--base",
                    other.toString(),
                    "--generator",
                    "--size",
                    "8");
            assertThat(r.status()).isEqualTo(Cli.FAILED);
            assertThat(r.err())
                    .contains("--base " + other + " has weights sha256 " + TokenCompensator.weightsSha256(other))
                    .contains(TokenCompensator.weightsSha256(model));
            assertThat(other.resolve(CompensatorCalibration.FILE_NAME)).doesNotExist();
        }

        @Test
        void proofWithCalibrationScalesEachPairOfTheFineTunedModels() throws IOException {
            Path m3 = modelDir(tmp.resolve("proof-calibrated-m3"), 5);
            ModelSpec.read(m3).withTrainedCompression(CompressionLevel.tome(3)).write(m3);
            Path json = tmp.resolve("proof-calibrated/proof.json");
            Result r = run(
                    "tocom",
                    "proof",
                    "--plugin",
                    plugin.toString(),
                    "--models",
                    model + "," + m3,
                    "--generator",
                    "--data-seed",
                    "3",
                    "--tune-size",
                    "16",
                    "--test-size",
                    "16",
                    "--scales",
                    "0.5",
                    "--bootstrap",
                    "100",
                    "--calibrate-with",
                    model.toString(),
                    "--json",
                    json.toString());

            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out())
                    .contains("per-pair factors min(1, sqrt(KL_model / KL_base))")
                    .containsPattern("  3->1 KL .* -> factor ");
            JsonObject cal = JsonParser.parseString(Files.readString(json))
                    .getAsJsonObject()
                    .getAsJsonObject("calibration");
            assertThat(cal.get("rule").getAsString()).isEqualTo(CompensatorCalibration.Rule.SQRT_KL_RATIO.id());
            assertThat(cal.getAsJsonObject("m1")
                            .getAsJsonObject("1->3")
                            .get("factor")
                            .getAsDouble())
                    .as("the plugin's base itself")
                    .isEqualTo(1.0);
            assertThat(cal.getAsJsonObject("m3").keySet()).containsExactly("3->1");
        }

        @Test
        void proofWithLineSearchRunsEachPairAtItsOwnScale() throws IOException {
            Path m3 = modelDir(tmp.resolve("proof-line-search-m3"), 5);
            ModelSpec.read(m3).withTrainedCompression(CompressionLevel.tome(3)).write(m3);
            Path json = tmp.resolve("proof-line-search/proof.json");
            Result r = run(
                    "tocom",
                    "proof",
                    "--plugin",
                    plugin.toString(),
                    "--models",
                    model + "," + m3,
                    "--generator",
                    "--data-seed",
                    "3",
                    "--tune-size",
                    "16",
                    "--test-size",
                    "16",
                    "--scales",
                    "0,0.25,0.5",
                    "--bootstrap",
                    "100",
                    "--line-search",
                    "--json",
                    json.toString());

            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out())
                    .contains("line search: per model and pair the scale of least VALIDATION KL (s = 0.5 x factor)")
                    .containsPattern("  3->1 KL .* at scale ");
            JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            assertThat(root.get("chosenScale").getAsDouble()).isEqualTo(0.5);
            JsonObject cal = root.getAsJsonObject("calibration");
            assertThat(cal.get("rule").getAsString()).isEqualTo(CompensatorCalibration.Rule.KL_LINE_SEARCH.id());
            assertThat(cal.getAsJsonObject("m3").keySet()).containsExactly("3->1");
            assertThat(cal.getAsJsonObject("m3")
                            .getAsJsonObject("3->1")
                            .get("factor")
                            .getAsDouble())
                    .isIn(0.0, 0.5, 1.0);
        }

        @Test
        void aGridBeyondThePluginIsAUsageError() {
            assertUsageError(
                    run(
                            "tocom",
                            "eval",
                            "--model",
                            model.toString(),
                            "--plugin",
                            plugin.toString(),
                            "--generator",
                            "--grid",
                            "0->5"),
                    "tocom eval: --grid: pair 0->5 is outside the plugin's degree range 0..3");
        }

        @Test
        void aPluginOfAnotherModelIsRefusedNamingBothIdentities() throws IOException {
            Path other = modelDir(tmp.resolve("other"), 2);
            Result r = run("tocom", "eval", "--model", other.toString(), "--plugin", plugin.toString(), "--generator");
            assertThat(r.status()).isEqualTo(Cli.FAILED);
            assertThat(r.err())
                    .startsWith("tocom: error: cannot load --plugin " + plugin + ": " + plugin
                            + " was trained for base model tocom_cli with weights sha256 "
                            + TokenCompensator.weightsSha256(model)
                            + ", but " + other + " has weights sha256 " + TokenCompensator.weightsSha256(other));
        }
    }

    /** A model directory with the generator's labels, random weights of unit-scale activations. */
    static Path modelDir(Path dir, long seed) throws IOException {
        List<String> labels = SceneGenerator.of(SceneConfig.defaults(), 3).labels();
        ModelSpec spec = ModelSpec.of(TINY, labels)
                .withPreprocessing(new ModelSpec.PreprocessConfig(
                        16, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, "bicubic", 1.0))
                .withTrainedCompression(CompressionLevel.tome(1));
        spec.write(dir);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, HostTensor> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : TimmKeys.expectedShapes(TINY).entrySet()) {
            long[] shape = e.getValue();
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] data = new float[n];
            boolean norm = e.getKey().contains("norm");
            double std = shape.length >= 2 ? 1 / Math.sqrt((double) n / shape[0]) : 0.02;
            for (int i = 0; i < n; i++) {
                data[i] = norm && e.getKey().endsWith("weight") ? 1f : (float) (std * gaussian(rnd));
            }
            w.put(e.getKey(), new HostTensor(shape, data));
        }
        Safetensors.write(spec.weightsPath(dir), w, Map.of());
        return dir;
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
