package org.tocomstream.testutils;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitConfig;

/**
 * Random timm-named weights for any architecture, deterministic for a seed. Scales keep the
 * network non-degenerate (logits of order 1, non-uniform attention): this is test data, not an
 * initialisation for training.
 */
public final class RandomWeights {

    private RandomWeights() {}

    public static Map<String, HostTensor> of(VitConfig cfg, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : TimmKeys.expectedShapes(cfg).entrySet()) {
            String key = e.getKey();
            long[] shape = e.getValue();
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] data = new float[n];
            boolean isNormWeight =
                    key.endsWith("norm1.weight") || key.endsWith("norm2.weight") || key.equals(TimmKeys.NORM_WEIGHT);
            double fanIn = shape.length >= 2 ? (double) n / shape[0] : 1;
            for (int i = 0; i < n; i++) {
                double g = gaussian(rnd);
                if (isNormWeight) {
                    data[i] = (float) (1 + 0.1 * g);
                } else if (key.endsWith("bias")) {
                    data[i] = (float) (0.02 * g);
                } else if (shape.length >= 2
                        && !key.equals(TimmKeys.POS_EMBED)
                        && !key.equals(TimmKeys.CLS_TOKEN)
                        && !key.equals(TimmKeys.DIST_TOKEN)) {
                    data[i] = (float) (g / Math.sqrt(fanIn));
                } else {
                    data[i] = (float) (0.5 * g);
                }
            }
            out.put(key, new HostTensor(shape, data));
        }
        return out;
    }

    /** Standard-normal floats, deterministic for a seed. */
    public static float[] gaussian(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) gaussian(rnd);
        }
        return out;
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
