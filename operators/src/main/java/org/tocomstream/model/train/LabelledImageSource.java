package org.tocomstream.model.train;

import java.util.List;

/**
 * Labelled pictures by index, produced on demand: what {@link GeneratedData} turns into training
 * examples. The synthetic scenes ({@code org.tocomstream.data.SceneGenerator}) are one; the
 * trainer itself only ever sees {@link TrainingData}, so it depends on no particular source.
 *
 * <pre>{@code
 * LabelledImageSource scenes = SceneGenerator.of(SceneConfig.defaults(), 42);
 * TrainingData train = new GeneratedData(scenes, 4096, new ImagePreprocessor(spec.preprocessing()));
 * }</pre>
 *
 * <p>Implementations must be deterministic (the same index gives the same picture) and safe for
 * concurrent calls, so epochs, shuffling and resuming are reproducible.
 */
public interface LabelledImageSource {

    /** Class names in label order. */
    List<String> labels();

    /**
     * The picture at {@code index} with its label.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     */
    LabelledImage sample(long index);
}
