package org.tocomstream.job.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;

/**
 * {@code loadtest --video}: cameras showing a committed clip, scored by agreement with the plain
 * model's top-1, over an unnamed reuse ladder; kept short (the capacity given, one 2-s phase, one
 * policy) so that it takes seconds of job time, not minutes (about 30 s on a busy 2-core machine, most of
 * it the in-process Kafka and Flink starting).
 */
class LoadTestVideoITCase {

    private static final String CLIP = "src/test/resources/video/mpeg4-xvid.avi";

    @Test
    void videoCamerasAreScoredByAgreementAndReuseLabelsCarryTheirProvenance(@TempDir Path dir) throws Exception {
        Result r = run(
                "loadtest",
                "--video",
                CLIP,
                "--ladders",
                "none;reuse:0.25",
                "--policies",
                "fixed-top",
                "--capacity",
                "20",
                "--phases",
                "1.5",
                "--phase-seconds",
                "2",
                "--streams",
                "2",
                "--drain-idle",
                "10",
                "--out",
                dir.toString());
        String log = r.out() + r.err();
        assertThat(r.status()).as(log).isIn(Cli.OK, Cli.FAILED);
        assertThat(r.out())
                .as(log)
                .contains(
                        "reference labels: the plain model's top-1 on each pooled frame",
                        "2 cameras of video " + CLIP,
                        "reuse: ladder: none;reuse:0.25",
                        "agree: delivered labels equal to the plain model's top-1",
                        "fixed-top[reuse]");

        JsonObject json = JsonParser.parseString(
                        Files.readString(dir.resolve(LoadTestOutput.JSON_NAME), StandardCharsets.UTF_8))
                .getAsJsonObject();
        assertThat(json.get("truth").getAsString()).isEqualTo("plain-model top-1");
        assertThat(json.get("cameras").getAsString()).contains("mpeg4-xvid.avi", "4 frames pooled");
        assertThat(json.get("cameraScene").isJsonNull()).isTrue();
        JsonArray ladders = json.getAsJsonArray("ladders");
        assertThat(ladders).hasSize(1);
        assertThat(ladders.get(0).getAsJsonObject().get("name").getAsString()).isEqualTo("reuse");

        JsonObject policy = json.getAsJsonArray("policies").get(0).getAsJsonObject();
        assertThat(policy.get("policy").getAsString()).isEqualTo("fixed-top[reuse]");
        JsonObject phase = phase(policy, "1.5x");
        long labelled = phase.get("labelled").getAsLong();
        assertThat(labelled).isPositive();
        // Every frame ran at reuse:0.25 (fixed top rung), so every label carries reuse provenance.
        assertThat(phase.get("reuseLabelled").getAsLong()).isEqualTo(labelled);
        // Each camera's first frame is computed in full, later ones reuse its cache (4 frames a
        // camera at least in 2 s at 15 frames/s each; a wrap of the 4-frame clip may be a scene cut).
        assertThat(phase.get("reusedFraction").getAsDouble()).isGreaterThan(0).isLessThan(1);
        // Agreement with the plain model is known for every labelled frame.
        assertThat(phase.get("measuredTop1").getAsDouble()).isBetween(0.0, 1.0);
        assertThat(phase.get("correctPerProduced").isJsonNull()).isFalse();
        // No accuracy table for video frames unless --accuracy is given.
        assertThat(phase.get("expectedAccuracy").isJsonNull()).isTrue();
        assertThat(policy.getAsJsonObject("total").get("lost").getAsLong()).isZero();
    }

    private static JsonObject phase(JsonObject policy, String name) {
        for (JsonElement e : policy.getAsJsonArray("phases")) {
            if (e.getAsJsonObject().get("phase").getAsString().equals(name)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError("no phase " + name + " in " + policy);
    }
}
