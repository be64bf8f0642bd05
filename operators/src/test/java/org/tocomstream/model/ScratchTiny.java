package org.tocomstream.model;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

class ScratchTiny {
    @Test
    void time() {
        VitConfig cfg = VitConfig.preset("vit_test_tiny");
        try (VitModel model = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 3), Device.cpu())) {
            float[] px = new float[2 * 3 * 32 * 32];
            for (int i = 0; i < px.length; i++) px[i] = (float) Math.sin(i);
            long[] shape = {2, 3, 32, 32};
            ReuseState[] st = {model.newReuseState(), model.newReuseState()};
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                for (int t = 0; t < 20; t++) model.logits(px, shape, CompressionLevel.none());
                long t1 = System.nanoTime();
                for (int t = 0; t < 20; t++) model.logitsReusing(px, shape, CompressionLevel.reuse(0.25), st, 2.0);
                long t2 = System.nanoTime();
                for (int t = 0; t < 20; t++) {
                    st[0].reset();
                    st[1].reset();
                    model.logitsReusing(px, shape, CompressionLevel.reuse(0.25), st, 2.0);
                }
                long t3 = System.nanoTime();
                System.out.printf(
                        "none %.2f ms  reuse %.2f ms  full-record %.2f ms%n",
                        (t1 - t0) / 20e6, (t2 - t1) / 20e6, (t3 - t2) / 20e6);
            }
        }
    }
}
