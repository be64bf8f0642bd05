package org.tocomstream.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

import org.tocomstream.testutils.RandomWeights;

class ScratchBenchTest {
    @Test
    void bench() {
        VitConfig cfg = VitConfig.preset("deit_small_patch16_224");
        int b = 8;
        long[] shape = {b, 3, 224, 224};
        float[] px = RandomWeights.gaussian(1, b * 3 * 224 * 224);
        try (VitModel model = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 1), Device.cpu())) {
            for (String lv : new String[] {"none", "tome:8", "tome:16", "evit:0.7", "none", "tome:16"}) {
                CompressionLevel level = CompressionLevel.parse(lv);
                for (int i = 0; i < 2; i++) model.logits(px, shape, level);
                double[] t = new double[7];
                for (int i = 0; i < t.length; i++) {
                    long s = System.nanoTime();
                    model.logits(px, shape, level);
                    t[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(t);
                double gmacs = 4.6; // rough
                System.out.printf("%-10s median %.1f ms/batch  %.1f img/s%n", lv, t[3], b * 1000 / t[3]);
            }
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int[] mnk : new int[][] {{1576, 384, 1152}, {1576, 1536, 384}, {2048, 2048, 2048}}) {
                NDArray a = m.randomNormal(new Shape(mnk[0], mnk[1]));
                NDArray w = m.randomNormal(new Shape(mnk[1], mnk[2]));
                for (int i = 0; i < 3; i++) a.matMul(w).close();
                double[] t = new double[9];
                for (int i = 0; i < t.length; i++) {
                    long s = System.nanoTime();
                    a.matMul(w).close();
                    t[i] = (System.nanoTime() - s) / 1e9;
                }
                Arrays.sort(t);
                double flops = 2.0 * mnk[0] * mnk[1] * mnk[2];
                System.out.printf("matmul %s: %.1f GFLOP/s%n", Arrays.toString(mnk), flops / t[4] / 1e9);
            }
        }
    }
}
