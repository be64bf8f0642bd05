package org.tocomstream.job.run;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.data.SceneImages;
import org.tocomstream.job.kafka.FramePublisher;

/**
 * The frames of a video file, decoded with FFmpeg ({@link FfmpegVideo}) and re-encoded as JPEG. Each
 * stream sends the same video; streams advance in lock step (the publisher asks for frame {@code n}
 * of every stream before frame {@code n + 1}), so each video frame is decoded once and only one is
 * held. At the end the video restarts when looping, else every stream ends.
 */
public final class VideoFrames implements FramePublisher.FrameSupplier, AutoCloseable {

    private final Path file;
    private final boolean loop;
    private final float jpegQuality;
    private FfmpegVideo video;
    private long skippedBefore;
    private long decodedSeq = -1;
    private boolean reopenedEmpty;
    private FramePublisher.Encoded current;

    private VideoFrames(Path file, boolean loop, float jpegQuality) {
        this.file = file;
        this.loop = loop;
        this.jpegQuality = jpegQuality;
    }

    /** @throws IOException naming the file (and the codec) when it cannot be read or its video not decoded */
    static VideoFrames open(Path file, boolean loop) throws IOException {
        VideoFrames v = new VideoFrames(file, loop, SceneImages.DEFAULT_JPEG_QUALITY);
        v.video = FfmpegVideo.open(file);
        return v;
    }

    /**
     * The video as {@code cameras} cameras of {@code perCamera} consecutive frames each, re-encoded
     * as JPEG: camera i starts at frame i·len/cameras (len the video's decodable frames) and goes
     * on from the start at the end, as a looping {@code produce --video} would. The file is decoded
     * twice (once to count its frames); only the chosen frames are kept.
     *
     * @return per camera its frames in order
     * @throws IOException naming the file (and the codec) when it cannot be read or decoded
     */
    public static List<List<byte[]>> cameras(Path file, int cameras, int perCamera) throws IOException {
        long length = 0;
        try (FfmpegVideo video = FfmpegVideo.open(file)) {
            while (video.next() != null) {
                length++;
            }
        }
        if (length == 0) {
            throw new IOException("no decodable video frame in " + file);
        }
        // frame -> the (camera, position) slots that show it
        Map<Long, List<int[]>> wanted = new HashMap<>();
        List<List<byte[]>> out = new ArrayList<>(cameras);
        for (int c = 0; c < cameras; c++) {
            List<byte[]> frames = new ArrayList<>(perCamera);
            for (int j = 0; j < perCamera; j++) {
                long frame = VideoCameras.index(c, j, cameras, Math.toIntExact(length));
                wanted.computeIfAbsent(frame, k -> new ArrayList<>()).add(new int[] {c, j});
                frames.add(null);
            }
            out.add(frames);
        }
        try (FfmpegVideo video = FfmpegVideo.open(file)) {
            for (long k = 0; k < length; k++) {
                BufferedImage image = video.next();
                List<int[]> slots = wanted.get(k);
                if (image != null && slots != null) {
                    byte[] jpeg = SceneImages.jpeg(image, SceneImages.DEFAULT_JPEG_QUALITY);
                    slots.forEach(s -> out.get(s[0]).set(s[1], jpeg));
                }
            }
        }
        for (List<byte[]> frames : out) {
            if (frames.contains(null)) {
                throw new IOException("the frames of " + file + " differ from one decoding to the next");
            }
        }
        return out;
    }

    /** The codec, as FFmpeg names it, with the container's tag. */
    String codec() {
        return video.codec();
    }

    /** The video's own frames per second; 0 when the file does not say. */
    double frameRate() {
        return video.frameRate();
    }

    /**
     * Packets the decoder rejected and that were skipped (a damaged stretch of the file), over every
     * pass through it when looping.
     */
    long skippedPackets() {
        return skippedBefore + video.skippedPackets();
    }

    @Override
    public FramePublisher.Encoded next(int stream, long seq) throws IOException {
        while (decodedSeq < seq) {
            BufferedImage image = video.next();
            if (image == null) {
                if (decodedSeq < 0 || reopenedEmpty) {
                    throw new IOException("no decodable video frame in " + file);
                }
                if (!loop) {
                    return null;
                }
                skippedBefore += video.skippedPackets();
                video.close();
                video = FfmpegVideo.open(file);
                reopenedEmpty = true;
                continue;
            }
            reopenedEmpty = false;
            current = new FramePublisher.Encoded(SceneImages.jpeg(image, jpegQuality), "image/jpeg");
            decodedSeq++;
        }
        return seq == decodedSeq ? current : null;
    }

    @Override
    public void close() {
        video.close();
    }
}
