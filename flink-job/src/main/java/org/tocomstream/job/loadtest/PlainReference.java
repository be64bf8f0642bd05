package org.tocomstream.job.loadtest;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.DecodeConfig;

/**
 * The reference label of each pooled video frame when there is no ground truth: the plain model's
 * (level {@code none}) top-1 on exactly the bytes the job will decode, decoded and preprocessed as
 * the job's decode stage does (the model's {@link ImagePreprocessor}, the job's default decode
 * limits). Computed once, before the run; a delivered label that equals it agrees with full
 * computation.
 */
final class PlainReference {

    private static final int BATCH = 16;

    private PlainReference() {}

    /** The plain model's top-1 label of each frame of {@code pool}, in order. */
    static String[] top1(Path modelDir, List<FramePublisher.Encoded> pool) throws Exception {
        String[] out = new String[pool.size()];
        try (VitModel model = VitModel.load(modelDir, Device.cpu())) {
            DecodeConfig limits = DecodeConfig.defaults();
            ImagePreprocessor pre =
                    new ImagePreprocessor(model.spec().preprocessing(), limits.maxPixels(), limits.maxDecodedBytes());
            VitConfig cfg = model.config();
            int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
            List<String> labels = model.spec().labels();
            for (int first = 0; first < pool.size(); first += BATCH) {
                int count = Math.min(BATCH, pool.size() - first);
                float[] pixels = new float[count * perImage];
                for (int i = 0; i < count; i++) {
                    float[] one = pre.preprocess(pool.get(first + i).bytes());
                    System.arraycopy(one, 0, pixels, i * perImage, perImage);
                }
                long[] shape = {count, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
                float[][] logits = model.logits(pixels, shape, CompressionLevel.none());
                for (int i = 0; i < count; i++) {
                    out[first + i] = labels.get(argmax(logits[i]));
                }
            }
        }
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
