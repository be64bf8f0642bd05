package org.tocomstream.job.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The dense-matrix-product reference of {@code bench}: the same engine (DJL on libtorch), the same
 * process and threads as the model, timing {@code [m, k] × [k, n]} with {@link NDArray#matMul}.
 * Its GFLOP/s say how fast this machine multiplies matrices through our stack, so "achieved
 * GFLOP/s of the model / best matmul GFLOP/s" is the model's efficiency.
 */
public final class MatmulReference {

    /** One timed shape. */
    record Result(long m, long k, long n, double medianMs, double gflops) {}

    private MatmulReference() {}

    /** Times {@code iterations} products after {@code warmup} untimed ones and takes the median. */
    static Result measure(Device device, long m, long k, long n, int warmup, int iterations) {
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            manager.setName("bench-matmul");
            NDArray a = manager.randomNormal(new Shape(m, k));
            NDArray b = manager.randomNormal(new Shape(k, n));
            for (int i = 0; i < warmup; i++) {
                a.matMul(b).close();
            }
            double[] ms = new double[Math.max(1, iterations)];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b);
                        NDArray first = c.get(0, 0)) {
                    // Reading one element makes sure the product has finished on any device.
                    first.toFloatArray();
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            double median = median(ms);
            return new Result(m, k, n, median, 2.0 * m * k * n / (median * 1e6));
        }
    }

    /**
     * A product of fixed operands that {@code bench} times once per round, interleaved with the
     * model's levels, so the reference and the model see the same machine state (on a shared
     * machine the same product measured minutes apart varied from 139 to 179 GFLOP/s).
     */
    static final class Sampler implements AutoCloseable {
        private final NDManager manager;
        private final NDArray a;
        private final NDArray b;
        final long m;
        final long k;
        final long n;

        Sampler(Device device, long m, long k, long n) {
            this.manager = NDManager.newBaseManager(device, "PyTorch");
            manager.setName("bench-matmul-sampler");
            this.a = manager.randomNormal(new Shape(m, k));
            this.b = manager.randomNormal(new Shape(k, n));
            this.m = m;
            this.k = k;
            this.n = n;
        }

        /** Milliseconds of one product. */
        double timeOnce() {
            long t0 = System.nanoTime();
            try (NDArray c = a.matMul(b);
                    NDArray first = c.get(0, 0)) {
                first.toFloatArray();
                return (System.nanoTime() - t0) / 1e6;
            }
        }

        double gflops(double ms) {
            return 2.0 * m * k * n / (ms * 1e6);
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
    }
}
