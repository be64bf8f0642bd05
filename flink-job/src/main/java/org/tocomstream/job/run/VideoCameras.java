package org.tocomstream.job.run;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.data.SceneImages;
import org.tocomstream.job.kafka.FramePublisher;

/**
 * Cameras that show a video file: its frames decoded with FFmpeg ({@link FfmpegVideo}), scaled so
 * that the shorter side is the camera frame size (aspect kept) and encoded as JPEG once, before
 * the clock starts, so that during a run a camera costs only the Kafka send (as {@link
 * PipelineRuns#preEncoded} does for the synthetic cameras). At most {@value PipelineRuns#POOL}
 * frames of the video are pooled.
 *
 * <p>Camera {@code i} of {@code n} shows the video from frame {@code i * len / n} on, consecutive
 * frames, so each camera is a continuous camera; at the end of the pool it goes on at the pool's
 * first frame, which is a jump (a scene cut, as the job's token reuse sees it). Which label a
 * frame is scored against is left to the caller ({@link PipelineRuns.Cameras#withTruth}): a
 * video has no ground truth.
 *
 * @param cameras the cameras, scored against nothing yet (every reference label null)
 * @param pool the pooled frames in order, as {@link PipelineRuns.Cameras#index()} numbers them
 * @param description the file, its codec and how many frames were pooled
 */
public record VideoCameras(PipelineRuns.Cameras cameras, List<FramePublisher.Encoded> pool, String description) {

    /**
     * Decodes and encodes the pool of {@code file} for {@code streams} cameras of {@code px} a side.
     *
     * @throws IOException naming the file (and the codec) when it cannot be decoded
     */
    public static VideoCameras open(Path file, int px, int streams) throws IOException {
        List<FramePublisher.Encoded> pool = new ArrayList<>();
        String codec;
        try (FfmpegVideo video = FfmpegVideo.open(file)) {
            codec = video.codec();
            BufferedImage image;
            while (pool.size() < PipelineRuns.POOL && (image = video.next()) != null) {
                pool.add(new FramePublisher.Encoded(
                        SceneImages.jpeg(scaled(image, px), SceneImages.DEFAULT_JPEG_QUALITY), "image/jpeg"));
            }
        }
        if (pool.isEmpty()) {
            throw new IOException("no decodable video frame in " + file);
        }
        int len = pool.size();
        PipelineRuns.Cameras cameras = new PipelineRuns.Cameras(
                (stream, seq) -> pool.get(index(stream, seq, streams, len)),
                new String[len],
                streams,
                (stream, seq) -> index(stream, seq, streams, len),
                PipelineRuns.TRUTH_PLAIN_TOP1);
        return new VideoCameras(
                cameras, List.copyOf(pool), String.format("video %s (%s, %d frames pooled)", file, codec, len));
    }

    /** Pool frame of frame {@code seq} of camera {@code stream}: the video from {@code stream * len / streams} on. */
    static int index(int stream, long seq, int streams, int len) {
        long offset = (long) (stream % streams) * len / streams;
        return (int) ((offset + seq) % len);
    }

    /** {@code image} scaled (bilinear) so that its shorter side is {@code px}, aspect kept. */
    static BufferedImage scaled(BufferedImage image, int px) {
        int w = image.getWidth();
        int h = image.getHeight();
        int tw = w <= h ? px : (int) Math.round((double) px * w / h);
        int th = h <= w ? px : (int) Math.round((double) px * h / w);
        BufferedImage out = new BufferedImage(tw, th, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(image, 0, 0, tw, th, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
