package org.tocomstream.model;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

class ScratchFaultsTest {
    static long minflt() throws Exception {
        String s = Files.readString(Paths.get("/proc/self/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[7]);
    }
    @Test
    void faults() throws Exception {
        VitConfig cfg = VitConfig.preset("deit_small_patch16_224");
        int b = 8;
        long[] shape = {b, 3, 224, 224};
        float[] px = RandomWeights.gaussian(1, b * 3 * 224 * 224);
        try (VitModel model = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 1), Device.cpu())) {
            for (String lv : new String[] {"none", "tome:16", "none"}) {
                CompressionLevel level = CompressionLevel.parse(lv);
                for (int i = 0; i < 2; i++) model.logits(px, shape, level);
                for (int i = 0; i < 3; i++) {
                    long f0 = minflt(); long t0 = System.nanoTime();
                    model.logits(px, shape, level);
                    System.out.printf("%s: %d minor faults (%.0f MB), %.0f ms%n", lv, minflt() - f0, (minflt() - f0) * 4096 / 1e6, (System.nanoTime() - t0) / 1e6);
                }
            }
        }
    }
}
