package org.tocomstream.model;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

class ScratchProfileTest {
    @Test
    void profile() {
        VitConfig cfg = VitConfig.preset("deit_small_patch16_224");
        int b = 8;
        long[] shape = {b, 3, 224, 224};
        float[] px = RandomWeights.gaussian(1, b * 3 * 224 * 224);
        try (VitModel model = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 1), Device.cpu())) {
            System.out.println("threads=" + JniUtils.getNumThreads() + " interop=" + JniUtils.getNumInteropThreads() + " grad=" + JniUtils.isGradMode());
            for (String lv : new String[] {"none", "tome:16"}) {
                CompressionLevel level = CompressionLevel.parse(lv);
                for (int i = 0; i < 3; i++) model.logits(px, shape, level);
                JniUtils.startProfile(false, false, false);
                for (int i = 0; i < 3; i++) model.logits(px, shape, level);
                JniUtils.stopProfile("/tmp/prof-" + lv.replace(':', '_') + ".json");
            }
        }
    }
}
