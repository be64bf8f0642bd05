package org.tocomstream.job.run;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import org.jcodec.api.FrameGrab;
import org.jcodec.api.JCodecException;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.Picture;
import org.jcodec.scale.AWTUtil;
import org.tocomstream.data.SceneImages;
import org.tocomstream.job.kafka.FramePublisher;

/**
 * The frames of a video file, decoded in pure Java with JCodec (H.264 in MP4/MOV, MJPEG, ...) and
 * re-encoded as JPEG. Each stream sends the same video; streams advance in lock step (the
 * publisher asks for frame {@code n} of every stream before frame {@code n + 1}), so each video
 * frame is decoded once. At the end the video restarts when looping, else every stream ends.
 */
public final class VideoFrames implements FramePublisher.FrameSupplier, AutoCloseable {

    private final Path file;
    private final boolean loop;
    private final float jpegQuality;
    private SeekableByteChannel channel;
    private FrameGrab grab;
    private long decodedSeq = -1;
    private boolean reopenedEmpty;
    private FramePublisher.Encoded current;

    private VideoFrames(Path file, boolean loop, float jpegQuality) {
        this.file = file;
        this.loop = loop;
        this.jpegQuality = jpegQuality;
    }

    /** @throws IOException when the file cannot be read or holds no video track JCodec decodes */
    static VideoFrames open(Path file, boolean loop) throws IOException {
        VideoFrames v = new VideoFrames(file, loop, SceneImages.DEFAULT_JPEG_QUALITY);
        v.reopen();
        return v;
    }

    private void reopen() throws IOException {
        closeChannel();
        channel = NIOUtils.readableChannel(file.toFile());
        try {
            grab = FrameGrab.createFrameGrab(channel);
        } catch (JCodecException | RuntimeException e) {
            closeChannel();
            throw new IOException("cannot decode video " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public FramePublisher.Encoded next(int stream, long seq) throws IOException {
        while (decodedSeq < seq) {
            Picture picture = grab.getNativeFrame();
            if (picture == null) {
                if (decodedSeq < 0 || reopenedEmpty) {
                    throw new IOException("no decodable video frame in " + file);
                }
                if (!loop) {
                    return null;
                }
                reopen();
                reopenedEmpty = true;
                continue;
            }
            reopenedEmpty = false;
            BufferedImage image = AWTUtil.toBufferedImage(picture);
            current = new FramePublisher.Encoded(SceneImages.jpeg(image, jpegQuality), "image/jpeg");
            decodedSeq++;
        }
        return seq == decodedSeq ? current : null;
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws IOException {
        closeChannel();
    }
}
