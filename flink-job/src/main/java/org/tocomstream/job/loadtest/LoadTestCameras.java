package org.tocomstream.job.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.job.run.VideoCameras;

/**
 * The cameras of {@code loadtest}: the synthetic scene generator's (scored against the scenes'
 * classes), or with {@code --video FILE} a video file's frames (scored against the plain model's
 * top-1 on each frame: agreement with full computation, as there is no ground truth).
 *
 * @param description what the cameras show, for the start line and the JSON header
 */
record LoadTestCameras(PipelineRuns.Cameras cameras, String description) {

    static final String VIDEO = "--video";

    /** Flags of the synthetic cameras, which a video has no use for. */
    private static final List<String> SCENE_FLAGS =
            List.of(DataOptions.SCENE, DataOptions.OBJECT_SCALE, DataOptions.NOISE);

    /** Refuses flags that do not go with {@code --video}, before anything starts. */
    static void checkFlags(ParsedArgs args) throws UsageException {
        if (!args.has(VIDEO)) {
            return;
        }
        for (String flag : SCENE_FLAGS) {
            if (args.has(flag)) {
                throw args.error(flag, "is for the synthetic cameras; --video cameras show the video");
            }
        }
    }

    /**
     * The cameras, their frames encoded now; for a video, the plain model's top-1 of every pooled
     * frame computed now too.
     */
    static LoadTestCameras open(
            ParsedArgs args, SceneConfig scenes, int streams, int px, Path modelDir, PrintStream out) throws Exception {
        if (!args.has(VIDEO)) {
            return new LoadTestCameras(
                    PipelineRuns.preEncoded(scenes, 1, streams),
                    String.format(
                            Locale.ROOT,
                            "%d streams of %d px JPEG (synthetic cameras, scene %s)",
                            streams,
                            px,
                            scenes.cameraScene().text()));
        }
        Path file = args.path(VIDEO).orElseThrow();
        VideoCameras video;
        try {
            video = VideoCameras.open(file, px, streams);
        } catch (IOException e) {
            throw args.error(VIDEO, Cli.describe(e));
        }
        long start = System.nanoTime();
        String[] reference = PlainReference.top1(modelDir, video.pool());
        String spread = spread(reference);
        out.printf(
                Locale.ROOT,
                "cameras: %s; reference labels: the plain model's top-1 on each pooled frame (%.1f s): %s%n",
                video.description(),
                (System.nanoTime() - start) / 1e9,
                spread);
        return new LoadTestCameras(
                video.cameras().withTruth(reference, PipelineRuns.TRUTH_PLAIN_TOP1),
                String.format(
                        Locale.ROOT,
                        "%d cameras of %s, %d px on the shorter side, JPEG; camera i from frame i x len / %d on;"
                                + " reference labels %s",
                        streams,
                        video.description(),
                        px,
                        streams,
                        spread));
    }

    /**
     * How the reference labels spread over the classes: when the plain model gives (nearly) every
     * frame one class, agreement says little, as any level that keeps that class agrees.
     */
    static String spread(String[] reference) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String r : reference) {
            counts.merge(r, 1, Integer::sum);
        }
        Map.Entry<String, Integer> top =
                counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        return String.format(
                Locale.ROOT,
                "%d distinct, the most common (%s) on %.1f %% of the frames",
                counts.size(),
                top.getKey(),
                100.0 * top.getValue() / reference.length);
    }
}
