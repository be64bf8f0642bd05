package org.tocomstream.model.train;

import java.awt.image.BufferedImage;

/**
 * One labelled picture before preprocessing, as a {@link LabelledImageSource} hands it out.
 *
 * <p>The image belongs to the caller (augmentation may draw on it).
 */
public interface LabelledImage {

    /** The picture, any size: preprocessing resizes and crops it as the model expects. */
    BufferedImage image();

    /** Class index into the source's {@link LabelledImageSource#labels()}. */
    int label();
}
