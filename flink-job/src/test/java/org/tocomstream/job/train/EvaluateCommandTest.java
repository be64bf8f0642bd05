package org.tocomstream.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.MacsMatch;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.SceneFolders;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;

/**
 * {@code evaluate} on a model trained by {@code train} in a few steps (the accuracy itself is not
 * asserted: a 4-step model is near chance), its table, JSON and default levels.
 */
class EvaluateCommandTest {

    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void trainATinyModel() {
        model = tmp.resolve("tiny");
        Result r = run(TrainCommandTest.tinyRun(model));
        assertThat(r.status()).as(r.err()).isZero();
    }

    @Test
    void defaultLevelsGiveOneRowEachAndTheDocumentedJson() throws IOException {
        Path json = tmp.resolve("eval/accuracy.json");
        Result r = run(
                "evaluate",
                "--model",
                model.toString(),
                "--generator",
                "--data-seed",
                "3",
                "--test-size",
                "24",
                "--batch",
                "10",
                "--json",
                json.toString());

        assertThat(r.status()).as(r.err()).isZero();
        List<CompressionLevel> levels = EvaluateCommand.defaultLevels(VitConfig.preset("vit_test_tiny"));
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2 + levels.size());
        assertThat(lines.get(0))
                .isEqualTo(model + " (vit_test_tiny, trained at tome:2): top-1 on 24 images"
                        + " of the generator (seed 3, TEST split, 64 px frames)");
        assertThat(lines.get(1)).matches("level +accuracy +GMACs/img +rel\\. MACs");
        assertThat(lines.get(2)).matches("none +\\d+\\.\\d\\d % +0\\.\\d{4} +1\\.000");
        assertThat(lines.get(3)).startsWith("tome:1 ");
        assertThat(lines.get(lines.size() - 1)).startsWith("evit:0.7 ");
        assertThat(r.err()).contains("evaluate: 24/24 images at " + levels.size() + " levels");

        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertThat(root.keySet())
                .containsExactly(
                        "schemaVersion",
                        "model",
                        "architecture",
                        "trainedCompression",
                        "labels",
                        "data",
                        "maxMergingR",
                        "rows",
                        "matched");
        assertThat(root.get("matched").isJsonNull()).isTrue();
        assertThat(root.get("schemaVersion").getAsInt()).isEqualTo(EvaluateReport.SCHEMA_VERSION);
        assertThat(root.get("trainedCompression").getAsString()).isEqualTo("tome:2");
        assertThat(root.getAsJsonArray("labels")).hasSize(8);
        assertThat(root.get("maxMergingR").getAsInt()).isEqualTo(6);
        JsonObject data = root.getAsJsonObject("data");
        assertThat(data.toString())
                .isEqualTo(
                        "{\"source\":\"generator\",\"path\":null,\"seed\":3,\"split\":\"TEST\",\"frameSize\":64,\"images\":24}");
        JsonArray rows = root.getAsJsonArray("rows");
        assertThat(rows).hasSize(levels.size());
        CostModel cost =
                CostModel.of(VitConfig.preset("vit_test_tiny").withNumClasses(8).geometry());
        for (int i = 0; i < rows.size(); i++) {
            JsonObject row = rows.get(i).getAsJsonObject();
            assertThat(row.keySet())
                    .containsExactly("level", "tomeR", "accuracy", "correct", "gmacsPerImage", "relativeMacs");
            assertThat(row.get("level").getAsString()).isEqualTo(levels.get(i).toString());
            assertThat(row.get("accuracy").getAsDouble())
                    .isEqualTo(row.get("correct").getAsLong() / 24.0)
                    .isBetween(0.0, 1.0);
            assertThat(row.get("gmacsPerImage").getAsDouble()).isEqualTo(cost.gmacs(levels.get(i)));
        }
        JsonObject tome5 = rows.get(5).getAsJsonObject();
        assertThat(tome5.get("tomeR").getAsInt()).isEqualTo(5);
        assertThat(tome5.get("relativeMacs").getAsDouble()).isBetween(0.1, 0.9);
        assertThat(rows.get(0).getAsJsonObject().get("relativeMacs").getAsDouble())
                .isEqualTo(1.0);
        assertThat(rows.get(rows.size() - 1).getAsJsonObject().get("tomeR").isJsonNull())
                .isTrue();
    }

    @Test
    void explicitLevelsOnAnImageFolder() throws IOException {
        Path folder = SceneFolders.write(tmp.resolve("folder"), 2, 3);
        Path json = tmp.resolve("folder.json");
        Result r = run(
                "evaluate",
                "--model",
                model.toString(),
                "--data",
                folder.toString(),
                "--levels",
                "0,tome:4,evit:0.5@2",
                "--json",
                json.toString());

        assertThat(r.status()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).endsWith("top-1 on 6 images of " + folder);
        assertThat(lines.subList(2, 5))
                .extracting(l -> l.split(" +")[0])
                .containsExactly("none", "tome:4", "evit:0.5@2");
        JsonObject data =
                JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonObject("data");
        assertThat(data.get("source").getAsString()).isEqualTo("folder");
        assertThat(data.get("seed").isJsonNull()).isTrue();
        assertThat(data.get("images").getAsInt()).isEqualTo(6);
    }

    @Test
    void matchedMacsAddEachFamilysClosestLevelAndASecondTable() throws IOException {
        Path json = tmp.resolve("matched.json");
        Result r = run(
                "evaluate",
                "--model",
                model.toString(),
                "--generator",
                "--test-size",
                "8",
                "--match-macs",
                "0.6,0.3",
                "--families",
                "tome,evit,idle",
                "--json",
                json.toString());

        assertThat(r.status()).as(r.err()).isZero();
        VitConfig cfg = VitConfig.preset("vit_test_tiny").withNumClasses(8);
        List<String> expected = new ArrayList<>(List.of("none"));
        for (double target : new double[] {0.6, 0.3}) {
            for (MacsMatch.Family f : List.of(MacsMatch.Family.TOME, MacsMatch.Family.EVIT, MacsMatch.Family.IDLE)) {
                String level =
                        MacsMatch.closest(f, cfg.geometry(), target).level().toString();
                if (!expected.contains(level)) {
                    expected.add(level);
                }
            }
        }
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonArray rows = root.getAsJsonArray("rows");
        List<String> evaluated = new ArrayList<>();
        rows.forEach(row -> evaluated.add(row.getAsJsonObject().get("level").getAsString()));
        assertThat(evaluated).isEqualTo(expected);
        JsonArray matched = root.getAsJsonArray("matched");
        assertThat(matched).hasSize(6);
        JsonObject first = matched.get(0).getAsJsonObject();
        assertThat(first.keySet()).containsExactly("target", "family", "level", "relativeMacs", "accuracy");
        assertThat(first.get("target").getAsDouble()).isEqualTo(0.6);
        assertThat(first.get("family").getAsString()).isEqualTo("tome");
        JsonObject row =
                rows.get(evaluated.indexOf(first.get("level").getAsString())).getAsJsonObject();
        assertThat(first.get("relativeMacs").getAsDouble())
                .isEqualTo(row.get("relativeMacs").getAsDouble());
        assertThat(first.get("accuracy").getAsDouble())
                .isEqualTo(row.get("accuracy").getAsDouble());
        assertThat(matched.get(5).getAsJsonObject().get("family").getAsString()).isEqualTo("idle");
        List<String> lines = r.out().lines().toList();
        assertThat(lines).contains("at matched MACs (each family's level closest to the target):");
        assertThat(lines.get(lines.size() - 1)).matches("0\\.30 +idle +idle:0\\.\\d+ +0\\.\\d{3} +\\d+\\.\\d\\d %");
    }

    @Test
    void generatorWithOtherLabelsFails() throws IOException {
        // A model whose labels are not the generator's cannot be scored on generated scenes.
        Path other = tmp.resolve("relabelled");
        Files.createDirectories(other);
        Files.copy(model.resolve("model.safetensors"), other.resolve("model.safetensors"));
        ModelSpec spec = ModelSpec.read(model);
        List<String> labels = new ArrayList<>(spec.labels());
        labels.set(0, "zebra");
        new ModelSpec(
                        spec.formatVersion(),
                        spec.architecture(),
                        labels,
                        spec.preprocessing(),
                        spec.trainedCompression(),
                        spec.weightsFile(),
                        spec.source())
                .write(other);
        Result r = run("evaluate", "--model", other.toString(), "--generator", "--test-size", "8");
        assertThat(r.status()).as(r.err()).isEqualTo(Cli.FAILED);
        assertThat(r.err())
                .startsWith("evaluate: error: the labels of --model " + other)
                .hasLineCount(1);
    }

    @Test
    void maxMergingRFollowsTheArchitecture() {
        assertThat(EvaluateCommand.maxMergingR(VitConfig.preset("vit_test_tiny")))
                .isEqualTo(6);
        assertThat(EvaluateCommand.maxMergingR(VitConfig.preset("deit_small_patch16_224")))
                .isEqualTo(27);
        VitConfig twoBlocks = new VitConfig("two", 16, 4, 3, 8, 32, 2, 2, 2.0, true, false, 1e-6);
        // 17 tokens: r = 8 halves the 16 patches in block 1, leaving 4 to merge in block 2.
        assertThat(EvaluateCommand.maxMergingR(twoBlocks)).isEqualTo(8);
        assertThat(EvaluateCommand.defaultLevels(twoBlocks))
                .extracting(CompressionLevel::toString)
                .containsExactly(
                        "none", "tome:1", "tome:2", "tome:3", "tome:4", "tome:5", "tome:6", "tome:7", "tome:8");
    }

    @Nested
    class Usage {
        @Test
        void missingModel() {
            assertUsageError(run("evaluate", "--generator"), "evaluate: missing required option --model DIR");
        }

        @Test
        void dataSource() {
            assertUsageError(run("evaluate", "--model", "m"), "evaluate: give --data DIR or --generator");
            assertUsageError(
                    run("evaluate", "--model", "m", "--data", "d", "--generator"),
                    "evaluate: --data and --generator cannot be used together");
            assertUsageError(
                    run("evaluate", "--model", "m", "--data", "d", "--test-size", "10"),
                    "evaluate: --test-size: requires --generator");
        }

        @Test
        void badLevels() {
            assertUsageError(
                    run("evaluate", "--model", "m", "--generator", "--levels", "0,4,tome:4"),
                    "evaluate: --levels: level tome:4 is listed twice");
            Result r = run("evaluate", "--model", "m", "--generator", "--levels", "0,merge:2");
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err())
                    .startsWith("evaluate: --levels: invalid compression level 'merge:2'")
                    .hasLineCount(1);
        }

        @Test
        void badMatching() {
            assertUsageError(
                    run("evaluate", "--model", "m", "--generator", "--families", "tome"),
                    "evaluate: --families: requires --match-macs");
            assertUsageError(
                    run("evaluate", "--model", "m", "--generator", "--match-macs", "0.5,1.5"),
                    "evaluate: --match-macs: expected distinct fractions in (0, 1] but got '1.5'");
            Result r = run(
                    "evaluate", "--model", "m", "--generator", "--match-macs", "0.5", "--families", "tome,diffrate");
            assertThat(r.status()).isEqualTo(Cli.USAGE);
            assertThat(r.err()).contains("--families").contains("unknown family 'diffrate'");
        }

        @Test
        void unknownOption() {
            assertUsageError(
                    run("evaluate", "--model", "m", "--generator", "--level", "0"),
                    "evaluate: unknown option '--level' (did you mean --levels?)");
        }
    }
}
