package org.tocomstream.stream;

import java.io.Serializable;
import java.util.Objects;

/**
 * A frame that passed validation and preprocessing, ready for batching: what the inference
 * operator needs and nothing else (the encoded bytes are dropped here).
 *
 * <p>{@code pixels} is not copied, by the constructor or by the accessor: a frame is 150 000 to
 * 600 000 floats and is handed on once. Treat it as read-only. Records with an array compare by
 * identity on that field ({@code equals}), so do not use frames as map keys.
 *
 * @param stream the stream (camera) id, the Kafka record key
 * @param seq the frame's sequence number in its stream ({@code frame-seq} header)
 * @param captureTs capture time, epoch ms ({@code capture-ts} header, else the record timestamp),
 *     as the producer sent it
 * @param pixels the network input, row-major {@code (C, H, W)} float32 as {@link
 *     org.tocomstream.model.ImagePreprocessor} produces it
 * @param ageFromTs the time the frame's age (and shedding's deadline) is measured from, epoch ms:
 *     {@code captureTs} when it is trusted, else the time the job read the record ({@link
 *     FrameValidator#isTrustedCaptureTime})
 * @param sourceWidth the width the image was encoded at, 0 when unknown
 * @param sourceHeight the height the image was encoded at, 0 when unknown
 */
public record DecodedFrame(
        String stream, long seq, long captureTs, float[] pixels, long ageFromTs, int sourceWidth, int sourceHeight)
        implements Serializable {

    private static final long serialVersionUID = 3L;

    public DecodedFrame {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(pixels, "pixels");
    }

    /** A frame of unknown encoded size. */
    public DecodedFrame(String stream, long seq, long captureTs, float[] pixels, long ageFromTs) {
        this(stream, seq, captureTs, pixels, ageFromTs, 0, 0);
    }

    /** A frame whose capture time is trusted: its age is measured from it. */
    public DecodedFrame(String stream, long seq, long captureTs, float[] pixels) {
        this(stream, seq, captureTs, pixels, captureTs);
    }

    /** The encoded size as one number, {@code width << 32 | height}; 0 when unknown. */
    public long sourceSize() {
        return ((long) sourceWidth << 32) | sourceHeight;
    }

    /** Whether the age is measured from the capture time (else from the time the job read it). */
    public boolean captureTsTrusted() {
        return ageFromTs == captureTs;
    }

    @Override
    public String toString() {
        return "DecodedFrame[" + stream + "#" + seq + ", captureTs=" + captureTs
                + (captureTsTrusted() ? "" : " (untrusted, age from " + ageFromTs + ")") + ", " + pixels.length
                + " values]";
    }
}
