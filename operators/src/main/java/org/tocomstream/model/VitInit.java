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
            boolean isNorm =
                    key.equals(TimmKeys.NORM_WEIGHT) || key.endsWith("norm1.weight") || key.endsWith("norm2.weight");
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

    /**
     * {@link #truncatedNormal} with the position embedding set to fixed 2-D sine-cosine values
     * (MAE's recipe): half the channels encode the patch row, half the column, each as sin and cos
     * of the position at geometrically spaced frequencies (base 10,000); prefix tokens get zeros.
     * The embedding stays a trained parameter; starting it with spatial structure lets a small ViT
     * trained from scratch use patch layout early instead of first having to discover it.
     *
     * @throws IllegalArgumentException when the width is not a multiple of 4
     */
    public static Map<String, HostTensor> sinCosPositions(VitConfig cfg, long seed) {
        int d = cfg.embedDim();
        if (d % 4 != 0) {
            throw new IllegalArgumentException("sin-cos positions need a width divisible by 4 but was " + d);
        }
        Map<String, HostTensor> out = truncatedNormal(cfg, seed);
        int grid = cfg.imageSize() / cfg.patchSize();
        int prefix = cfg.numPrefixTokens();
        float[] pos = new float[(prefix + grid * grid) * d];
        int quarter = d / 4;
        for (int row = 0; row < grid; row++) {
            for (int col = 0; col < grid; col++) {
                int base = (prefix + row * grid + col) * d;
                for (int i = 0; i < quarter; i++) {
                    double omega = 1.0 / Math.pow(10_000, (double) i / quarter);
                    // First half: the column (x), second half: the row (y), as MAE's 2-D table.
                    pos[base + i] = (float) Math.sin(col * omega);
                    pos[base + quarter + i] = (float) Math.cos(col * omega);
                    pos[base + 2 * quarter + i] = (float) Math.sin(row * omega);
                    pos[base + 3 * quarter + i] = (float) Math.cos(row * omega);
                }
            }
        }
        out.put(TimmKeys.POS_EMBED, new HostTensor(out.get(TimmKeys.POS_EMBED).shape(), pos));
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
