package org.tocomstream.job.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.run.FfmpegVideo;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;

/**
 * The frames of a video as B cameras: decoded with FFmpeg, preprocessed as the job does for the
 * model ({@link ImagePreprocessor} from its {@link ModelSpec}, straight from the decoded image, so
 * without the job's JPEG round trip), and cut into B consecutive stretches of T frames: camera
 * {@code i} sees frames {@code i·T .. i·T + T - 1}, a real continuous camera, and batch {@code t}
 * holds frame {@code t} of every camera. The frames after the last whole stretch are left out.
 */
final class VideoCameras {

    /** What the video file is. */
    record Info(String file, String name, String codec, int width, int height, double frameRate, int decodedFrames) {}

    private final Info info;
    private final List<float[]> frames;
    private final int streams;
    private final int batches;
    private final int frameFloats;

    private VideoCameras(Info info, List<float[]> frames, int streams) {
        this.info = info;
        this.frames = frames;
        this.streams = streams;
        this.batches = frames.size() / streams;
        this.frameFloats = frames.get(0).length;
    }

    /**
     * Decodes frames {@code start ..} (at most {@code maxFrames}, 0 for all) of {@code file} and
     * preprocesses them for {@code spec}.
     *
     * @throws UsageException naming {@code --start}, {@code --frames} or {@code --streams} when the
     *     frames do not make two batches of {@code streams} cameras, or would not fit in memory
     * @throws IOException when the video cannot be decoded (naming the file and codec)
     */
    static VideoCameras decode(Path file, int start, int maxFrames, int streams, ModelSpec spec)
            throws IOException, UsageException {
        ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
        int size = spec.preprocessing().inputSize();
        long frameBytes = 4L * spec.preprocessing().channels() * size * size;
        long budget = Runtime.getRuntime().maxMemory() / 2;
        List<float[]> frames = new ArrayList<>();
        int seen = 0;
        int width = 0;
        int height = 0;
        String codec;
        double rate;
        try (FfmpegVideo video = FfmpegVideo.open(file)) {
            codec = video.codec();
            rate = video.frameRate();
            for (BufferedImage image = video.next();
                    image != null && (maxFrames == 0 || frames.size() < maxFrames);
                    image = video.next()) {
                if (seen++ < start) {
                    continue;
                }
                if ((frames.size() + 1) * frameBytes > budget) {
                    throw UsageException.of(
                            "bench",
                            VideoBenchOptions.FRAMES,
                            String.format(
                                    "%d frames of %d x %d floats would not fit in half the heap (%d MiB): use fewer"
                                            + " frames or a larger -Xmx",
                                    frames.size() + 1, size, size, budget >> 20));
                }
                width = image.getWidth();
                height = image.getHeight();
                frames.add(pre.preprocess(image));
            }
        } catch (ImageDecodeException e) {
            throw new IOException("cannot preprocess a frame of " + file + ": " + e.getMessage(), e);
        }
        if (frames.size() < 2 * streams) {
            String why = String.format(
                    "%d frames of %s from frame %d are too few for %d streams: each stream needs at least 2"
                            + " frames (the first is computed in full)",
                    frames.size(), file.getFileName(), start, streams);
            throw UsageException.of(
                    "bench", frames.isEmpty() ? VideoBenchOptions.START : VideoBenchOptions.STREAMS, why);
        }
        Info info = new Info(file.toString(), file.getFileName().toString(), codec, width, height, rate, seen);
        return new VideoCameras(info, frames, streams);
    }

    Info info() {
        return info;
    }

    /** Cameras B, the batch size. */
    int streams() {
        return streams;
    }

    /** Batches T, frames per camera. */
    int batches() {
        return batches;
    }

    /** Frames used, B·T. */
    int frames() {
        return streams * batches;
    }

    /** The first frame of each camera (its offset in the frames used). */
    List<Integer> offsets() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            out.add(i * batches);
        }
        return out;
    }

    /** Batch {@code t}: frame {@code t} of every camera, row-major (B, C, H, W). */
    float[] batch(int t) {
        float[] out = new float[streams * frameFloats];
        for (int i = 0; i < streams; i++) {
            System.arraycopy(frames.get(i * batches + t), 0, out, i * frameFloats, frameFloats);
        }
        return out;
    }
}
