package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tocomstream.testutils.RandomWeights;

/** What the IdleViT forward and training tests share: the tiny model's weights and a norm. */
final class IdleTesting {

    static final VitConfig CFG = VitConfig.preset("vit_test_tiny");

    private IdleTesting() {}

    /** {@link #CFG}'s random weights (seed 3) as arrays of {@code m}, requiring gradients or not. */
    static Map<String, NDArray> arrays(NDManager m, boolean trainable) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        RandomWeights.of(CFG, 3).forEach((key, t) -> {
            NDArray a = m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
            a.setRequiresGradient(trainable);
            w.put(key, a);
        });
        return w;
    }

    static float maxAbs(float[] v) {
        float max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        return max;
    }
}
