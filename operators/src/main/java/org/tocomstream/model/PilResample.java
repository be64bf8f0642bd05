package org.tocomstream.model;

import java.util.Arrays;

/**
 * Pillow-compatible antialiased resampling of 8-bit RGB images, so that Java preprocessing gives
 * the same bytes as timm's {@code Image.resize(size, BICUBIC)} (Pillow's {@code Resample.c}
 * behaviour, re-derived from its documented algorithm):
 *
 * <ul>
 *   <li>separable: a horizontal pass, then a vertical pass, each rounded and clamped to uint8;
 *   <li>when downscaling by a factor s, the filter support is widened by s (antialiasing);
 *   <li>sample centres at {@code (i + 0.5) * in / out}; weights normalised to sum 1, then turned
 *       into 22-bit fixed point and accumulated in 32-bit integers with a half-unit rounding bias.
 * </ul>
 *
 * Only the output window that is kept after the centre crop is computed.
 */
final class PilResample {

    /** Fixed-point fraction bits: 32 bits minus 8 for the pixel range minus 2 for overshoot. */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Rounding bias: half a unit of the fixed-point result. */
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PilResample() {}

    /** Interpolation kernels with their support radius at scale 1. */
    enum Filter {
        BILINEAR(1.0) {
            @Override
            double weight(double x) {
                double t = Math.abs(x);
                return t < 1.0 ? 1.0 - t : 0.0;
            }
        },
        /** Keys' cubic convolution with a = -0.5. */
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                final double a = -0.5;
                double t = Math.abs(x);
                if (t < 1.0) {
                    return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
                }
                if (t < 2.0) {
                    return (((t - 5) * t + 8) * t - 4) * a;
                }
                return 0.0;
            }
        };

        final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);

        static Filter named(String interpolation) {
            return switch (interpolation) {
                case ModelSpec.PreprocessConfig.BICUBIC -> BICUBIC;
                case ModelSpec.PreprocessConfig.BILINEAR -> BILINEAR;
                default -> throw new IllegalArgumentException("unsupported interpolation '" + interpolation + "'");
            };
        }
    }

    /** An interleaved 8-bit RGB image, row-major. */
    record RgbImage(int width, int height, byte[] rgb) {
        RgbImage {
            if (width <= 0 || height <= 0 || rgb.length != 3 * width * height) {
                throw new IllegalArgumentException(
                        String.format("bad RGB image %d x %d with %d bytes", width, height, rgb.length));
            }
        }
    }

    /**
     * For each output pixel of one axis: the first input pixel, the number of taps and the fixed
     * point weights (row {@code i} of {@code weights} starts at {@code i * stride}).
     */
    private record Taps(int[] first, int[] count, int[] weights, int stride) {}

    /**
     * Resizes {@code src} to {@code outWidth × outHeight} and returns the window {@code [x0, x0 +
     * cropWidth) × [y0, y0 + cropHeight)} of the result.
     */
    static RgbImage resizeAndCrop(
            RgbImage src, int outWidth, int outHeight, int x0, int y0, int cropWidth, int cropHeight, Filter filter) {
        if (x0 < 0 || y0 < 0 || x0 + cropWidth > outWidth || y0 + cropHeight > outHeight) {
            throw new IllegalArgumentException("crop window outside the resized image");
        }
        Taps horizontal = outWidth == src.width() ? null : taps(src.width(), outWidth, x0, cropWidth, filter);
        Taps vertical = outHeight == src.height() ? null : taps(src.height(), outHeight, y0, cropHeight, filter);

        // Input rows that the vertical pass reads.
        int rowFirst = vertical == null ? y0 : vertical.first()[0];
        int rowEnd = vertical == null
                ? y0 + cropHeight
                : vertical.first()[cropHeight - 1] + vertical.count()[cropHeight - 1];
        int rows = rowEnd - rowFirst;

        byte[] in = src.rgb();
        byte[] mid = new byte[3 * cropWidth * rows];
        for (int r = 0; r < rows; r++) {
            int inRow = (rowFirst + r) * src.width() * 3;
            int outRow = r * cropWidth * 3;
            if (horizontal == null) {
                System.arraycopy(in, inRow + 3 * x0, mid, outRow, 3 * cropWidth);
                continue;
            }
            int[] weights = horizontal.weights();
            for (int x = 0; x < cropWidth; x++) {
                int p = inRow + 3 * horizontal.first()[x];
                int n = horizontal.count()[x];
                int w0 = x * horizontal.stride();
                int r0 = HALF;
                int g0 = HALF;
                int b0 = HALF;
                for (int k = 0; k < n; k++, p += 3) {
                    int w = weights[w0 + k];
                    r0 += (in[p] & 0xff) * w;
                    g0 += (in[p + 1] & 0xff) * w;
                    b0 += (in[p + 2] & 0xff) * w;
                }
                mid[outRow + 3 * x] = clip8(r0);
                mid[outRow + 3 * x + 1] = clip8(g0);
                mid[outRow + 3 * x + 2] = clip8(b0);
            }
        }

        if (vertical == null) {
            return new RgbImage(cropWidth, cropHeight, mid);
        }
        int rowBytes = 3 * cropWidth;
        byte[] out = new byte[rowBytes * cropHeight];
        int[] acc = new int[rowBytes];
        int[] weights = vertical.weights();
        for (int y = 0; y < cropHeight; y++) {
            // Row by row, so the inner loop runs over contiguous bytes. Integer sums do not depend
            // on the order of the terms, so this equals Pillow's pixel-by-pixel loop.
            Arrays.fill(acc, HALF);
            int first = vertical.first()[y] - rowFirst;
            int n = vertical.count()[y];
            int w0 = y * vertical.stride();
            for (int k = 0; k < n; k++) {
                int w = weights[w0 + k];
                int base = (first + k) * rowBytes;
                for (int i = 0; i < rowBytes; i++) {
                    acc[i] += (mid[base + i] & 0xff) * w;
                }
            }
            int o = y * rowBytes;
            for (int i = 0; i < rowBytes; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return new RgbImage(cropWidth, cropHeight, out);
    }

    /** Taps for output pixels {@code [from, from + n)} of an {@code inSize → outSize} axis. */
    private static Taps taps(int inSize, int outSize, int from, int n, Filter filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        // Multiply by the reciprocal, as Pillow does: dividing can differ in the last bit, which
        // occasionally flips a fixed-point weight.
        double invScale = 1.0 / filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[n];
        int[] count = new int[n];
        int[] weights = new int[n * stride];
        double[] k = new double[stride];
        for (int i = 0; i < n; i++) {
            double center = (from + i + 0.5) * scale;
            // Casts truncate toward zero, as Pillow's C does; the max/min then clamp to the image.
            int lo = Math.max((int) (center - support + 0.5), 0);
            int taps = Math.min((int) (center + support + 0.5), inSize) - lo;
            double sum = 0;
            for (int t = 0; t < taps; t++) {
                k[t] = filter.weight((t + lo - center + 0.5) * invScale);
                sum += k[t];
            }
            for (int t = 0; t < taps; t++) {
                double w = sum != 0 ? k[t] / sum : k[t];
                // Round half away from zero into fixed point.
                weights[i * stride + t] =
                        (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            first[i] = lo;
            count[i] = taps;
        }
        return new Taps(first, count, weights, stride);
    }

    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }
}
