package org.tocomstream.job.tocom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.model.ModelSpec;

/**
 * {@code tocom train --levels/--ladder} (a plugin over rungs of several families) and {@code tocom
 * eval} on rung plugins and on a fine-tuned model that carries a calibration for its base's plugin.
 */
class TocomRungCommandTest {

    /** The tiny model is trained at tome:1 (TocomCommandTest.modelDir), so that is a rung. */
    private static final String RUNGS = "none;tome:1;evit:0.7@1;idle:0.6@1,2";

    @TempDir
    static Path tmp;

    static Path model;
    static Path plugin;
    static Result trained;

    @BeforeAll
    static void trainARungPlugin() throws IOException {
        model = TocomCommandTest.modelDir(tmp.resolve("model"), 1);
        plugin = tmp.resolve("rungs/tocom.safetensors");
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
                "--scale",
                "0.5",
                "--levels",
                RUNGS,
                "--out",
                plugin.toString());
    }

    private static Result eval(Path modelDir, String... more) {
        List<String> argv = new java.util.ArrayList<>(List.of(
                "tocom",
                "eval",
                "--model",
                modelDir.toString(),
                "--plugin",
                plugin.toString(),
                "--generator",
                "--data-seed",
                "3",
                "--test-size",
                "16"));
        argv.addAll(List.of(more));
        return run(argv.toArray(String[]::new));
    }

    @Test
    void trainOverLevelsOfThreeFamiliesWritesARungPlugin() throws IOException {
        assertThat(trained.status()).as(trained.err()).isZero();
        assertThat(trained.err()).contains("rank 2 per step, rungs " + RUNGS + ", s = 0.5", "epoch 2/2 step 4/4 kl ");
        TokenCompensator p = TokenCompensator.loadFor(plugin, model);
        assertThat(p.config().axis()).isEqualTo(DegreeAxis.parseLevels(RUNGS));
        assertThat(Files.readString(tmp.resolve("rungs/tocom.json"))).contains("\"formatVersion\": 2");
    }

    @Test
    void evalNamesRungPairsByTheirLevelsAndLadderPicksRungs() throws IOException {
        Path json = tmp.resolve("eval-rungs.json");
        Result all = eval(model, "--json", json.toString());
        assertThat(all.status()).as(all.err()).isZero();
        assertThat(all.out()).contains("rungs: " + RUNGS, "\ntome:1->evit:0.7@1 ", "\nnone->idle:0.6@1,2 ");
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertThat(root.getAsJsonArray("cells")).hasSize(16);
        assertThat(root.getAsJsonArray("levels")).hasSize(4);
        assertThat(root.get("calibration").isJsonNull()).as("no calibration").isTrue();

        Path ladder = tmp.resolve("ladder.json");
        Files.writeString(
                ladder,
                "{\"rungs\": [{\"level\": \"none\", \"speedup\": 1.0}, {\"level\": \"evit:0.7@1\"}], \"machine\": {}}");
        Result picked = eval(model, "--ladder", ladder.toString());
        assertThat(picked.status()).as(picked.err()).isZero();
        assertThat(picked.out().lines().filter(l -> l.matches("(none|evit:0\\.7@1)->(none|evit:0\\.7@1) .*")))
                .hasSize(4);

        Result notARung = eval(model, "--levels", "none;tome:2");
        assertThat(notARung.status()).isEqualTo(Cli.FAILED);
        assertThat(notARung.err()).contains("rung tome:2 is not a degree of the plugin");
        Files.writeString(ladder, "{\"rungs\": [{\"speedup\": 1.0}]}");
        Result bad = eval(model, "--ladder", ladder.toString());
        assertThat(bad.status()).isEqualTo(Cli.FAILED);
        assertThat(bad.err()).contains("cannot read --ladder " + ladder + ": ", "rungs[0] has no \"level\" text");
    }

    @Test
    void evalOnAFineTunedModelWithACalibrationForItsBasesPluginListsTheCalibratedPairs() throws IOException {
        // Model B: other weights, trained at a rung of the plugin; calibrated for the base's plugin.
        Path b = TocomCommandTest.modelDir(tmp.resolve("fine-tuned"), 9);
        ModelSpec.read(b).withTrainedCompression(CompressionLevel.evit(0.7, 1)).write(b);
        Result refused = eval(b);
        assertThat(refused.status()).as("no calibration yet").isEqualTo(Cli.FAILED);
        assertThat(refused.err()).contains("calibrate it first: tocom calibrate --model " + b);
        Result cal = run(
                "tocom",
                "calibrate",
                "--model",
                b.toString(),
                "--plugin",
                plugin.toString(),
                "--scales",
                "0.25,0.5,1",
                "--generator",
                "--data-seed",
                "3",
                "--size",
                "16");
        assertThat(cal.status()).as(cal.err()).isZero();

        Path json = tmp.resolve("eval-calibrated.json");
        Result r = eval(b, "--json", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        Path file = b.resolve(CompensatorCalibration.FILE_NAME);
        assertThat(r.out())
                .contains("calibration " + file + " (kl-line-search, 16 images, reference scale 1.0): 3 pairs");
        assertThat(r.out().lines().filter(l -> l.matches("  evit:0\\.7@1->\\S+ (factor .*|off .*)")))
                .hasSize(3);
        assertThat(r.out().lines().filter(l -> l.startsWith("evit:0.7@1->")))
                .as("the stream's pairs")
                .hasSize(4);
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonObject calibration = root.getAsJsonObject("calibration");
        assertThat(calibration.get("rule").getAsString()).isEqualTo("kl-line-search");
        JsonArray pairs = calibration.getAsJsonArray("pairs");
        assertThat(pairs).hasSize(3);
        CompensatorCalibration loaded = CompensatorCalibration.load(file);
        for (var e : pairs) {
            JsonObject p = e.getAsJsonObject();
            double factor = loaded.factor(new org.tocomstream.compensate.CompensatorPair(
                    p.get("m").getAsInt(), p.get("n").getAsInt()));
            assertThat(p.get("factor").getAsDouble()).isEqualTo(factor);
            assertThat(p.get("off").getAsBoolean()).isEqualTo(factor == 0);
        }
        assertThat(root.get("scale").getAsDouble())
                .as("the calibration's reference scale")
                .isEqualTo(1.0);
    }

    @Test
    void rungsTheModelCannotUseAreRefusedNamingTheOption() throws IOException {
        String[] train = {
            "tocom",
            "train",
            "--model",
            model.toString(),
            "--generator",
            "--train-size",
            "8",
            "--held-out-size",
            "8",
            "--batch",
            "8",
            "--out",
            tmp.resolve("bad/p.safetensors").toString()
        };
        Result notTrained = run(concat(train, "--levels", "none;evit:0.7@1"));
        assertThat(notTrained.status()).as(notTrained.err()).isEqualTo(Cli.FAILED);
        assertThat(notTrained.err())
                .contains("--levels: the model was trained at tome:1, which is not one of the rungs");
        Path ladder = tmp.resolve("bad/ladder.json");
        Files.createDirectories(ladder.getParent());
        Files.writeString(ladder, "{\"rungs\": [{\"level\": \"tome:1\"}, {\"level\": \"diffrate:65,65/65,61\"}]}");
        Result misfit = run(concat(train, "--ladder", ladder.toString()));
        assertThat(misfit.status()).as(misfit.err()).isEqualTo(Cli.FAILED);
        assertThat(misfit.err()).contains("--ladder " + ladder + ": rung diffrate:65,65/65,61 needs");
    }

    @Test
    void rungOptionsAreCheckedAsUsage() {
        String[] train = {"tocom", "train", "--model", "m", "--generator", "--out", "p.safetensors"};
        assertUsageError(
                run(concat(train, "--levels", "none;tome:1", "--degrees", "decreasing")),
                "tocom train: --levels and --degrees cannot be used together");
        assertUsageError(
                run(concat(train, "--levels", "none;tome:1", "--ladder", "l.json")),
                "tocom train: --levels and --ladder cannot be used together");
        assertUsageError(
                run(concat(train, "--ladder", "l.json", "--max-degree", "3")),
                "tocom train: --ladder and --max-degree cannot be used together");
        assertUsageError(
                run(concat(train, "--levels", "none")),
                "tocom train: --levels: a level list needs at least two rungs but had [none]");
        assertUsageError(
                run(
                        "tocom",
                        "eval",
                        "--model",
                        "m",
                        "--plugin",
                        "p",
                        "--generator",
                        "--grid",
                        "0,1",
                        "--levels",
                        "none;tome:1"),
                "tocom eval: --grid and --levels cannot be used together");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
