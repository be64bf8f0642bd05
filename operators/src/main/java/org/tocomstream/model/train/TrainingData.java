package org.tocomstream.model.train;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Labelled examples for training or evaluation, already preprocessed for the model: a fixed-size
 * indexed collection so epochs, shuffling and resuming are deterministic.
 */
public interface TrainingData {

    /** Number of examples in one epoch. */
    int size();

    /** Class names in label order. */
    List<String> labels();

    /**
     * The example at {@code index}, normalised (C, H, W) floats.
     *
     * @param augment random source for augmentation, or null for the plain (evaluation) view
     */
    Example get(int index, SplittableRandom augment);

    /** One preprocessed example. */
    record Example(float[] pixels, int label) {}
}
