package org.tocomstream.job.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.job.testutils.CommandLines;
import org.tocomstream.job.testutils.CommandLines.Result;

/**
 * {@code bench --video} on the committed clips (4 frames each) with vit_test_tiny: the JSON fields,
 * what reuse must give whatever the timing (agreement, full first batch), and the usage errors. No
 * speed is asserted: the machine is shared.
 */
class BenchVideoCommandTest {

    @TempDir
    Path tmp;

    static String clip(String name) {
        try {
            return Path.of(BenchVideoCommandTest.class
                            .getResource("/video/" + name)
                            .toURI())
                    .toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonObject read(Path json) throws IOException {
        return JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    }

    private static List<JsonObject> rows(JsonObject root) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray("rows")) {
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    @Test
    void reuseLevelsOnTwoCamerasReportSpeedAgreementAndReuse() throws IOException {
        Path json = tmp.resolve("video.json");
        Result r = CommandLines.run(
                "bench",
                "--video",
                clip("h264-high.mp4"),
                "--preset",
                "vit_test_tiny",
                "--levels",
                "reuse:0.25,reuse:1.0,tome:2",
                "--streams",
                "2",
                "--warmup",
                "1",
                "--json",
                json.toString());

        assertThat(r.status()).as(r.err()).isEqualTo(Cli.OK);
        assertThat(r.out())
                .contains("h264-high.mp4", "2 streams x 2 batches", "agreement", "reuse:0.25", "reference: ");
        JsonObject root = read(json);
        assertThat(root.get("mode").getAsString()).isEqualTo("video");
        assertThat(root.getAsJsonObject("machine").keySet()).contains("cpuModel", "cores", "libtorchThreads");
        JsonObject video = root.getAsJsonObject("video");
        assertThat(video.get("name").getAsString()).isEqualTo("h264-high.mp4");
        assertThat(video.get("codec").getAsString()).startsWith("h264");
        assertThat(video.get("width").getAsInt()).isEqualTo(640);
        assertThat(video.get("height").getAsInt()).isEqualTo(480);
        assertThat(video.get("framesUsed").getAsInt()).isEqualTo(4);
        assertThat(video.getAsJsonArray("streamOffsets").toString()).isEqualTo("[0,2]");
        JsonObject model = root.getAsJsonObject("model");
        assertThat(model.get("randomWeights").getAsBoolean()).isTrue();
        assertThat(model.get("patchTokens").getAsInt()).isEqualTo(64);
        JsonObject reference = root.getAsJsonObject("reference");
        assertThat(reference.get("distinctTop1").getAsInt()).isBetween(1, 4);
        assertThat(reference.get("mostCommonTop1").getAsString()).startsWith("class_");
        assertThat(reference.get("mostCommonShare").getAsDouble()).isBetween(0.25, 1.0);
        JsonObject params = root.getAsJsonObject("parameters");
        assertThat(params.getAsJsonArray("levels").toString())
                .isEqualTo("[\"none\",\"reuse:0.25\",\"reuse:1.0\",\"tome:2\"]");
        assertThat(params.get("streams").getAsInt()).isEqualTo(2);
        assertThat(params.get("batches").getAsInt()).isEqualTo(2);
        assertThat(params.get("sceneCut").getAsDouble()).isEqualTo(0.5);
        assertThat(root.get("timedBatches").getAsString()).contains("batches 1..1");

        List<JsonObject> rows = rows(root);
        assertThat(rows)
                .extracting(o -> o.get("level").getAsString())
                .containsExactly("none", "reuse:0.25", "reuse:1.0", "tome:2");
        for (JsonObject o : rows) {
            assertThat(o.get("imagesPerSecond").getAsDouble()).isPositive();
            assertThat(o.get("imagesPerSecondAllBatches").getAsDouble()).isPositive();
            assertThat(o.get("speedup").getAsDouble()).isPositive();
            assertThat(o.get("agreement").getAsDouble()).isBetween(0.0, 1.0);
            assertThat(o.get("logitRelativeError").getAsDouble()).isNotNegative();
            assertThat(o.getAsJsonArray("samplesMs")).hasSize(2);
            // Batch 0 of every level: the first frame of each camera, computed in full.
            assertThat(o.get("firstBatchFull").getAsBoolean()).isTrue();
            assertThat(o.get("framesFull").getAsInt()).isGreaterThanOrEqualTo(2);
        }
        JsonObject none = rows.get(0);
        assertThat(none.get("speedup").getAsDouble()).isEqualTo(1.0);
        assertThat(none.get("agreement").getAsDouble()).isEqualTo(1.0);
        assertThat(none.get("meanRecomputedPatchTokens").getAsDouble()).isEqualTo(64.0);
        assertThat(none.get("framesReused").getAsInt()).isZero();
        assertThat(none.get("agreementReused").isJsonNull()).isTrue();
        assertThat(none.get("logitRelativeError").getAsDouble()).isZero();

        JsonObject quarter = rows.get(1);
        // 2 full frames (64 tokens) and, unless a scene cut, 2 reused ones (16 tokens).
        assertThat(quarter.get("meanRecomputedPatchTokens").getAsDouble()).isBetween(40.0, 64.0);
        assertThat(quarter.get("framesReused").getAsInt()
                        + quarter.get("framesFull").getAsInt())
                .isEqualTo(4);

        // k = all recomputes every token of every block, the plain forward up to the order of float
        // sums (~1e-6 relative): the top-1 changes only where two logits are that close, which
        // random logits on 4 frames are not (and a fixed clip and seed make the run deterministic).
        JsonObject all = rows.get(2);
        assertThat(all.get("agreement").getAsDouble()).isEqualTo(1.0);
        assertThat(all.get("meanRecomputedPatchTokens").getAsDouble()).isEqualTo(64.0);
        assertThat(all.get("framesReused").getAsInt()).isEqualTo(2);
        assertThat(all.get("agreementReused").getAsDouble()).isEqualTo(1.0);
        // Float rounding only (sums in another order): far below any real drift.
        assertThat(all.get("logitRelativeError").getAsDouble()).isLessThan(1e-4);

        JsonObject tome = rows.get(3);
        assertThat(tome.get("meanRecomputedPatchTokens").isJsonNull()).isTrue();
        assertThat(tome.get("framesReused").getAsInt()).isZero();

        Path plot = tmp.resolve("video-reuse.png");
        assertThat(root.get("plot").getAsString()).isEqualTo(plot.toString());
        assertThat(ImageIO.read(plot.toFile()).getWidth()).isPositive();
    }

    @Test
    void sweepReuseOnAModelDirectoryWithOneCamera() throws IOException {
        Path dir = DemoModel.writeRandom(tmp.resolve("model"), "vit_test_tiny", 7);
        Path json = tmp.resolve("sweep.json");
        Result r = CommandLines.run(
                "bench",
                "--video",
                clip("mjpeg.avi"),
                "--model",
                dir.toString(),
                "--sweep-reuse",
                "--batch",
                "1",
                "--start",
                "1",
                "--frames",
                "2",
                "--warmup",
                "0",
                "--scene-cut",
                "1",
                "--json",
                json.toString());

        assertThat(r.status()).as(r.err()).isEqualTo(Cli.OK);
        JsonObject root = read(json);
        assertThat(root.getAsJsonObject("model").get("randomWeights").getAsBoolean())
                .isFalse();
        assertThat(root.getAsJsonObject("video").get("start").getAsInt()).isEqualTo(1);
        assertThat(root.getAsJsonObject("video").get("framesUsed").getAsInt()).isEqualTo(2);
        assertThat(root.getAsJsonObject("parameters").get("sweepReuse").getAsBoolean())
                .isTrue();
        List<JsonObject> rows = rows(root);
        assertThat(rows).hasSize(11);
        assertThat(rows.get(1).get("level").getAsString()).isEqualTo("reuse:0.05");
        assertThat(rows.get(10).get("level").getAsString()).isEqualTo("reuse:1.0");
        for (JsonObject o : rows.subList(1, rows.size())) {
            // One camera, scene cuts off: its first frame full, the second reused.
            assertThat(o.get("framesFull").getAsInt()).as(o.toString()).isEqualTo(1);
            assertThat(o.get("reusedFraction").getAsDouble()).isEqualTo(0.5);
        }
        assertThat(rows.get(10).get("agreement").getAsDouble()).isEqualTo(1.0);
        assertThat(tmp.resolve("sweep-reuse.png")).isRegularFile();
    }

    @Test
    void badLevelsVideoAndStreamsAreUsageErrorsNamingTheFlag() {
        String video = clip("mjpeg.avi");
        Result level = CommandLines.run("bench", "--video", video, "--preset", "vit_test_tiny", "--levels", "reuse:0");
        assertThat(level.status()).isEqualTo(Cli.USAGE);
        assertThat(level.err())
                .startsWith("bench: --levels: invalid compression level 'reuse:0' (the patch tokens recomputed must"
                        + " be >= 1 but were 0)");
        Result bad =
                CommandLines.run("bench", "--video", tmp.resolve("none.mp4").toString());
        assertUsageError(bad, "bench: --video: no such file '" + tmp.resolve("none.mp4") + "'");
        assertUsageError(
                CommandLines.run("bench", "--video", video, "--preset", "vit_test_tiny", "--streams", "3"),
                "bench: --streams: 4 frames of mjpeg.avi from frame 0 are too few for 3 streams: each stream"
                        + " needs at least 2 frames (the first is computed in full)");
        assertUsageError(
                CommandLines.run("bench", "--video", video, "--streams", "2", "--batch", "4"),
                "bench: --streams: 2 differs from --batch 4 (a batch holds one frame of each stream)");
        assertUsageError(CommandLines.run("bench", "--streams", "2"), "bench: --streams: requires --video");
        assertUsageError(
                CommandLines.run("bench", "--video", video, "--onnx", "x.onnx"),
                "bench: --onnx: is not used with --video");
    }

    @Test
    void anUndecodableVideoFailsNamingTheFlagAndTheCodec() {
        Result r = CommandLines.run(
                "bench", "--video", clip("unknown-codec.avi"), "--preset", "vit_test_tiny", "--streams", "1");
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err()).contains("bench: error: --video: cannot decode video", "unknown-codec.avi", "codec '");
    }
}
