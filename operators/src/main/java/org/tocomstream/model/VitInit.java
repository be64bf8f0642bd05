package org.tocomstream.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fresh weights for an architecture, deterministic for a seed, following the usual ViT recipe:
 * truncated normal (std 0.02, cut at ±2 std) for linear, patch-embedding, position and prefix
 * tokens; zero biases; LayerNorm weight 1, bias 0. Used to train from scratch and by benchmarks
 * that need the right shapes, not trained values.
 */
public final class VitInit {

    private static final double STD = 0.02;

    private VitInit() {}

    /** timm-named weights for {@code cfg}. */
    public static Map<String, HostTensor> truncatedNormal(VitConfig cfg, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : TimmKeys.expectedShapes(cfg).entrySet()) {
            String key = e.getKey();
            long[] shape = e.getValue();
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            float[] data = new float[Math.toIntExact(count)];
            boolean isNorm = key.equals(TimmKeys.NORM_WEIGHT) || key.endsWith("norm1.weight")
                    || key.endsWith("norm2.weight");
            if (isNorm) {
                java.util.Arrays.fill(data, 1f);
            } else if (!key.endsWith("bias")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (STD * truncatedGaussian(rnd));
                }
            }
            out.put(key, new HostTensor(shape, data));
        }
        return out;
    }

    /** A standard normal sample redrawn until it falls within ±2. */
    private static double truncatedGaussian(SplittableRandom rnd) {
        while (true) {
            double u = 1.0 - rnd.nextDouble();
            double v = rnd.nextDouble();
            double g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
            if (Math.abs(g) <= 2) {
                return g;
            }
        }
    }
}
