package org.tocomstream.data;

import java.awt.image.BufferedImage;

/**
 * One frame of a {@link SyntheticCamera} stream.
 *
 * <p>The image is freshly rendered for each call and belongs to the caller; records compare images
 * by identity, so compare pixels or {@link #png()} bytes instead.
 *
 * @param streamId the camera's id (the Kafka key of its frames)
 * @param sequence the frame number, from 0
 * @param segment the object segment the frame belongs to: {@code sequence / segmentFrames}
 * @param label class index of the segment's object into {@link SceneGenerator#labels()}
 * @param labelName the class label, e.g. {@code red_circle}
 * @param image {@code TYPE_INT_RGB}, {@link SceneConfig#width()} × {@link SceneConfig#height()}
 * @param object where the object was drawn in this frame
 */
public record Frame(
        String streamId,
        long sequence,
        long segment,
        int label,
        String labelName,
        BufferedImage image,
        Placement object) {

    /** Lossless PNG bytes of the image. */
    public byte[] png() {
        return SceneImages.png(image);
    }

    /** JPEG bytes of the image at ImageIO quality {@code quality} in (0, 1]. */
    public byte[] jpeg(float quality) {
        return SceneImages.jpeg(image, quality);
    }
}
