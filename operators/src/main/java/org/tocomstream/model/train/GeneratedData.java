package org.tocomstream.model.train;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;

/**
 * {@code size} synthetic scenes from one split of a {@link SceneGenerator}, rendered on demand and
 * preprocessed exactly as the model will see camera frames. Classes are balanced whenever {@code
 * size} is a multiple of the class count.
 */
public final class GeneratedData implements TrainingData {

    private final SceneGenerator generator;
    private final int size;
    private final ImagePreprocessor preprocessor;

    public GeneratedData(SceneGenerator generator, int size, ImagePreprocessor preprocessor) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be > 0 but was " + size);
        }
        this.generator = generator;
        this.size = size;
        this.preprocessor = preprocessor;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public List<String> labels() {
        return generator.labels();
    }

    @Override
    public Example get(int index, SplittableRandom augment) {
        var sample = generator.sample(index);
        BufferedImage image = sample.image();
        if (augment != null) {
            image = Augment.apply(image, augment);
        }
        try {
            return new Example(preprocessor.preprocess(image), sample.label());
        } catch (ImageDecodeException e) {
            // A rendered image is always decodable; reaching here is a bug, not bad input.
            throw new IllegalStateException("cannot preprocess generated scene " + index, e);
        }
    }
}
