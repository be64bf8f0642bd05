package org.tocomstream.data;

import java.awt.image.BufferedImage;
import org.tocomstream.model.train.LabelledImage;

/**
 * One labelled still scene from {@link SceneGenerator#sample(long)}.
 *
 * <p>The image is freshly rendered for each call and belongs to the caller. Like every record
 * holding a mutable image, two samples compare equal only when they share the image instance;
 * compare pixels or {@link #png()} bytes instead.
 *
 * @param index the sample's index in its split
 * @param label class index into {@link SceneGenerator#labels()}
 * @param labelName the class label, e.g. {@code red_circle}
 * @param image {@code TYPE_INT_RGB}, {@link SceneConfig#width()} × {@link SceneConfig#height()}
 * @param object where the class object was drawn
 */
public record Sample(long index, int label, String labelName, BufferedImage image, Placement object)
        implements LabelledImage {

    /** Lossless PNG bytes of the image. */
    public byte[] png() {
        return SceneImages.png(image);
    }

    /** JPEG bytes of the image at ImageIO quality {@code quality} in (0, 1]. */
    public byte[] jpeg(float quality) {
        return SceneImages.jpeg(image, quality);
    }
}
