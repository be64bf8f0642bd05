package org.tocomstream.model.train;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;

/**
 * The first {@code size} pictures of a {@link LabelledImageSource} (for instance one split of the
 * synthetic scenes), produced on demand, augmented when asked and preprocessed exactly as the
 * model will see camera frames. With the synthetic scenes, classes are balanced whenever {@code
 * size} is a multiple of the class count.
 */
public final class GeneratedData implements TrainingData {

    private final LabelledImageSource source;
    private final int size;
    private final ImagePreprocessor preprocessor;

    public GeneratedData(LabelledImageSource source, int size, ImagePreprocessor preprocessor) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be > 0 but was " + size);
        }
        this.source = source;
        this.size = size;
        this.preprocessor = preprocessor;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public List<String> labels() {
        return source.labels();
    }

    @Override
    public Example get(int index, SplittableRandom augment) {
        LabelledImage sample = source.sample(index);
        BufferedImage image = sample.image();
        if (augment != null) {
            image = Augment.apply(image, augment);
        }
        try {
            return new Example(preprocessor.preprocess(image), sample.label());
        } catch (ImageDecodeException e) {
            // A rendered image is always decodable; reaching here is a bug, not bad input.
            throw new IllegalStateException("cannot preprocess generated image " + index, e);
        }
    }
}
