package org.tocomstream.compensate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.testutils.RandomWeights;

/** Tiny models and plugins for the compensator tests: every forward pass takes milliseconds. */
final class TocomTesting {

    /** 16 px input, 4 px patches: 17 tokens, 3 blocks of width 32, 2 heads, 5 classes. */
    static final VitConfig TINY = new VitConfig("tocom_test", 16, 4, 3, 5, 32, 3, 2, 2.0, true, false, 1e-6);

    /** Rank 2 per step, degrees 0..4 (R = 8), s = 0.5. */
    static final CompensatorConfig CONFIG = new CompensatorConfig(2, 4, 0.5);

    static final String BASE_SHA = "ab".repeat(32);

    private TocomTesting() {}

    static List<String> labels() {
        return List.of("a", "b", "c", "d", "e");
    }

    static ModelSpec spec() {
        return ModelSpec.of(TINY, labels()).withPreprocessing(ModelSpec.PreprocessConfig.deitEval(16));
    }

    /** A plugin whose up projections are non-zero too, so every delta is non-trivial. */
    static TokenCompensator randomPlugin(long seed) {
        return randomPlugin(seed, BASE_SHA);
    }

    /** As {@link #randomPlugin(long)}, trained for the base whose weights hash is {@code baseSha}. */
    static TokenCompensator randomPlugin(long seed, String baseSha) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        int r = CONFIG.rank();
        int d = TINY.embedDim();
        int k = 0;
        for (int i = 0; i < TINY.depth(); i++) {
            for (TokenCompensator.Projection p : TokenCompensator.Projection.values()) {
                t.put(
                        TokenCompensator.key(i, p, false),
                        new HostTensor(
                                new long[] {r, d},
                                scaled(RandomWeights.gaussian(seed + k++, r * d), 1 / Math.sqrt(d))));
                t.put(
                        TokenCompensator.key(i, p, true),
                        new HostTensor(
                                new long[] {d, r},
                                scaled(RandomWeights.gaussian(seed + k++, d * r), 1 / Math.sqrt(r))));
            }
        }
        try {
            return TokenCompensator.of(TINY, baseSha, CONFIG, t);
        } catch (CheckpointException e) {
            throw new AssertionError(e);
        }
    }

    /** A model directory of random weights. */
    static Path modelDir(Path dir, long seed) throws IOException {
        ModelSpec spec = spec();
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), RandomWeights.of(TINY, seed), Map.of());
        return dir;
    }

    /** {@code count} random 16 px images (seeds seed, seed + 1, ...), labelled i mod 5, or -1 unlabelled. */
    static TrainingData images(int count, long seed, boolean labelled) {
        return new TrainingData() {
            @Override
            public int size() {
                return count;
            }

            @Override
            public List<String> labels() {
                return labelled ? TocomTesting.labels() : List.of();
            }

            @Override
            public Example get(int index, SplittableRandom augment) {
                return new Example(RandomWeights.gaussian(seed + index, 3 * 16 * 16), labelled ? index % 5 : -1);
            }
        };
    }

    static float[] pixels(int batch, long seed) {
        return RandomWeights.gaussian(seed, batch * 3 * 16 * 16);
    }

    static long[] shape(int batch) {
        return new long[] {batch, 3, 16, 16};
    }

    static float maxAbsDiff(float[][] a, float[][] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    private static float[] scaled(float[] x, double s) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] * s);
        }
        return x;
    }
}
