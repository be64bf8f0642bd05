package org.tocomstream.job.run;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
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
