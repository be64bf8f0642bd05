package org.tocomstream.job.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.TinyOnnx;

/**
 * {@code bench} smoke runs on the tiny preset: the command finishes and the JSON carries the
 * documented fields. No speed is asserted: timings belong to the lead's recorded runs.
 */
class BenchCommandTest {

    @TempDir
    Path tmp;

    @Test
    void smokeRunWritesTheDocumentedJson() throws IOException {
        Path json = tmp.resolve("bench/out.json");
        Result r = CommandLines.run(
                "bench",
                "--preset",
                "vit_test_tiny",
                "--levels",
                "0,4",
                "--batch",
                "2",
                "--iterations",
                "2",
                "--warmup",
                "1",
                "--json",
                json.toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("images/s", "speedup", "MACs ratio", "tome:4", "efficiency");
        assertThat(r.err()).contains("round 2/2", "ETA");

        JsonObject root = read(json);
        assertThat(root.get("schemaVersion").getAsInt()).isEqualTo(BenchReport.SCHEMA_VERSION);
        assertThat(root.getAsJsonObject("machine").keySet())
                .contains(
                        "cores", "cpuModel", "os", "javaVersion", "libtorchVersion", "libtorchThreads", "environment");
        JsonObject params = root.getAsJsonObject("parameters");
        assertThat(params.get("preset").getAsString()).isEqualTo("vit_test_tiny");
        assertThat(params.get("device").getAsString()).isEqualTo("cpu");
        assertThat(params.get("threads").isJsonNull()).isTrue();
        assertThat(params.getAsJsonArray("levels").toString()).isEqualTo("[\"none\",\"tome:4\"]");

        JsonArray rows = root.getAsJsonArray("rows");
        assertThat(rows).hasSize(2);
        for (JsonElement row : rows) {
            JsonObject o = row.getAsJsonObject();
            assertThat(o.keySet())
                    .containsExactlyInAnyOrder(
                            "batchSize",
                            "level",
                            "msPerBatch",
                            "msPerBatchMin",
                            "imagesPerSecond",
                            "gmacsPerImage",
                            "achievedGflops",
                            "speedup",
                            "macsRatio",
                            "minorFaultsPerBatch",
                            "samplesMs");
            assertThat(o.get("imagesPerSecond").getAsDouble()).isPositive();
            assertThat(o.getAsJsonArray("samplesMs")).hasSize(2);
        }
        assertThat(rows.get(0).getAsJsonObject().get("speedup").getAsDouble()).isEqualTo(1.0);
        assertThat(rows.get(1).getAsJsonObject().get("macsRatio").getAsDouble()).isGreaterThan(1.0);

        JsonArray matmul = root.getAsJsonArray("matmul");
        assertThat(matmul).hasSize(2);
        assertThat(matmul.get(0).getAsJsonObject().get("m").getAsLong()).isEqualTo(2 * 65);
        assertThat(matmul.get(1).getAsJsonObject().get("batchSize").isJsonNull())
                .isTrue();
        assertThat(matmul.get(1).getAsJsonObject().get("n").getAsLong()).isEqualTo(2048);
        JsonObject eff = root.getAsJsonArray("efficiency").get(0).getAsJsonObject();
        assertThat(eff.get("efficiency").getAsDouble()).isPositive();
        assertThat(root.get("ort").isJsonNull()).isTrue();
        assertThat(root.get("profile").isJsonNull()).isTrue();
        assertThat(root.get("rss").isJsonNull()).isTrue();
    }

    @Test
    void aCompensatorPairIsTimedPlainSideBranchAndMerged() throws IOException {
        Path json = tmp.resolve("bench/out.json");
        Result r = CommandLines.run(
                "bench",
                "--preset",
                "vit_test_tiny",
                "--levels",
                "0",
                "--batch",
                "2",
                "--iterations",
                "2",
                "--warmup",
                "1",
                "--json",
                json.toString(),
                "--tocom-pair",
                "3->0");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains(
                        "Token Compensator pair 3->0 at none (rank 6 active of 6)", "plain ms", "side ms", "merged ms");
        JsonObject tocom = read(tmp.resolve("bench/out-tocom.json"));
        assertThat(tocom.get("pair").getAsString()).isEqualTo("3->0");
        JsonObject row = tocom.getAsJsonArray("rows").get(0).getAsJsonObject();
        assertThat(row.get("batch").getAsInt()).isEqualTo(2);
        assertThat(row.get("plainMs").getAsDouble()).isPositive();
        assertThat(row.get("sideBranchMs").getAsDouble()).isPositive();
        assertThat(row.get("mergedMs").getAsDouble()).isPositive();

        Result bad = CommandLines.run("bench", "--preset", "vit_test_tiny", "--tocom-pair", "3-0");
        CommandLines.assertUsageError(bad, "bench: --tocom-pair: expected a pair like 16->0 but got '3-0'");
    }

    @Test
    void onnxAnchorProfileAndMemoryCheck() throws IOException {
        Engine.getEngine("PyTorch");
        int threadsBefore = JniUtils.getNumThreads();
        try {
            onnxAnchorProfileAndMemoryCheckWithOneThread();
        } finally {
            // --threads changes libtorch's process-wide pool; leave it as other tests found it.
            JniUtils.setNumThreads(threadsBefore);
        }
    }

    private void onnxAnchorProfileAndMemoryCheckWithOneThread() throws IOException {
        Path onnx = TinyOnnx.meanPoolLinear(tmp.resolve("tiny.onnx"), 3, 10);
        Path json = tmp.resolve("all.json");
        Result r = CommandLines.run(
                "bench",
                "--preset",
                "vit_test_tiny",
                "--levels",
                "0,evit:0.7",
                "--batch",
                "1,2",
                "--iterations",
                "2",
                "--warmup",
                "0",
                "--json",
                json.toString(),
                "--onnx",
                onnx.toString(),
                "--threads",
                "1",
                "--matmul-size",
                "64",
                "--profile",
                "--rss-batches",
                "4");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("ONNX Runtime", "ours/ORT", "profile evit:0.7", "aten::");
        JsonObject root = read(json);
        assertThat(root.getAsJsonObject("parameters").get("threads").getAsInt()).isEqualTo(1);

        JsonObject ort = root.getAsJsonObject("ort");
        assertThat(ort.get("inputName").getAsString()).isEqualTo("pixels");
        assertThat(ort.get("intraOpThreads").getAsInt()).isEqualTo(1);
        assertThat(ort.get("outputFinite").getAsBoolean()).isTrue();
        JsonArray ortRows = ort.getAsJsonArray("rows");
        assertThat(ortRows).hasSize(2);
        assertThat(ortRows.get(1).getAsJsonObject().keySet())
                .containsExactlyInAnyOrder(
                        "batchSize",
                        "msPerBatch",
                        "imagesPerSecond",
                        "oursImagesPerSecond",
                        "oursOverOrt",
                        "minorFaultsPerBatch",
                        "samplesMs");

        JsonArray profile = root.getAsJsonArray("profile");
        assertThat(profile).hasSize(2);
        JsonObject p = profile.get(0).getAsJsonObject();
        // Profiles default to the first batch size when 8 is not benchmarked.
        assertThat(p.get("batchSize").getAsInt()).isEqualTo(1);
        assertThat(p.get("opsMsPerBatch").getAsDouble()).isPositive();
        assertThat(Files.exists(Path.of(p.get("traceFile").getAsString()))).isTrue();
        JsonObject top = p.getAsJsonArray("topOps").get(0).getAsJsonObject();
        assertThat(top.get("name").getAsString()).startsWith("aten::");
        assertThat(top.get("selfMsPerBatch").getAsDouble()).isPositive();

        JsonObject rss = root.getAsJsonObject("rss");
        assertThat(rss.get("batches").getAsInt()).isEqualTo(4);
        assertThat(rss.getAsJsonArray("series")).hasSize(5);
        assertThat(rss.getAsJsonArray("series")
                        .get(4)
                        .getAsJsonObject()
                        .get("rssKiB")
                        .getAsLong())
                .isPositive();
    }

    @Test
    void onnxModelOfAnotherInputSizeIsRejected() throws IOException {
        Path onnx = TinyOnnx.meanPoolLinear(tmp.resolve("tiny.onnx"), 3, 10, 64);
        Result r = CommandLines.run(
                "bench",
                "--preset",
                "vit_test_tiny",
                "--levels",
                "0",
                "--batch",
                "1",
                "--iterations",
                "1",
                "--warmup",
                "0",
                "--json",
                tmp.resolve("x.json").toString(),
                "--onnx",
                onnx.toString());
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err()).contains("does not fit vit_test_tiny, which takes [B, 3, 32, 32]");
    }

    private static JsonObject read(Path json) throws IOException {
        return JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    }
}
