package org.tocomstream.data;

/**
 * SplitMix64: a tiny, fully specified random generator, so a scene is the same bits on every JVM
 * and every JDK version ({@link java.util.Random} and {@link java.util.SplittableRandom} are
 * specified too, but their derived methods such as {@code nextGaussian} have changed between
 * releases). Not thread-safe; one instance per rendered image.
 */
final class Rng {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    /** Standard-normal quantiles at (i + 0.5) / 4096: a table-driven N(0, 1) for pixel noise. */
    private static final float[] NORMAL = normalTable(12);

    private long state;

    private Rng(long state) {
        this.state = state;
    }

    /** A generator for one purpose ({@code salt}) of one item ({@code a}, {@code b}) of a seed. */
    static Rng of(long seed, long salt, long a, long b) {
        return new Rng(key(seed, salt, a, b));
    }

    /** A well-mixed 64-bit key of the arguments; changing any of them changes every bit. */
    static long key(long seed, long salt, long a, long b) {
        long h = mix(seed + GOLDEN_GAMMA * (salt + 1));
        h = mix(h ^ mix(a + GOLDEN_GAMMA));
        return mix(h ^ mix(b - GOLDEN_GAMMA));
    }

    /** The SplitMix64 finaliser (Stafford variant 13). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [lo, hi). */
    double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Uniform in [0, bound); {@code bound} must be positive. Lemire's nearly-divisionless form. */
    int nextInt(int bound) {
        return (int) (((nextLong() >>> 33) * bound) >>> 31);
    }

    boolean nextBoolean() {
        return nextLong() < 0;
    }

    /** Fills {@code out} with N(0, 1) samples taken from a 4096-entry quantile table. */
    void fillNormal(float[] out) {
        int i = 0;
        while (i < out.length) {
            long bits = nextLong();
            for (int k = 0; k < 5 && i < out.length; k++, i++) {
                out[i] = NORMAL[(int) (bits & 0xfff)];
                bits >>>= 12;
            }
        }
    }

    private static float[] normalTable(int log2Size) {
        int n = 1 << log2Size;
        float[] table = new float[n];
        for (int i = 0; i < n; i++) {
            table[i] = (float) inverseNormal((i + 0.5) / n);
        }
        return table;
    }

    /** Acklam's rational approximation of the standard-normal quantile (|error| < 1.2e-9). */
    static double inverseNormal(double p) {
        final double[] a = {
            -3.969683028665376e+01,
            2.209460984245205e+02,
            -2.759285104469687e+02,
            1.383577518672690e+02,
            -3.066479806614716e+01,
            2.506628277459239e+00
        };
        final double[] b = {
            -5.447609879822406e+01,
            1.615858368580409e+02,
            -1.556989798598866e+02,
            6.680131188771972e+01,
            -1.328068155288572e+01
        };
        final double[] c = {
            -7.784894002430293e-03,
            -3.223964580411365e-01,
            -2.400758277161838e+00,
            -2.549732539343734e+00,
            4.374664141464968e+00,
            2.938163982698783e+00
        };
        final double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double low = 0.02425;
        if (p < low) {
            double q = StrictMath.sqrt(-2 * StrictMath.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            double q = StrictMath.sqrt(-2 * StrictMath.log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
                * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
