package org.tocomstream.model.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;

/** Top-1 accuracy of a model on labelled data, as {@link Trainer} validates. */
final class TopOne {

    private TopOne() {}

    /**
     * Top-1 accuracy of timm-named weights on {@code data} at {@code level}, in batches of 64.
     */
    static double accuracy(
            VitConfig cfg, Map<String, HostTensor> weights, TrainingData data, CompressionLevel level, Device device) {
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            weights.forEach((k, t) -> arrays.put(k, root.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
            return accuracy(new VitForward(cfg, arrays), data, level, root);
        }
    }

    static double accuracy(VitForward forward, TrainingData data, CompressionLevel level, NDManager root) {
        VitConfig cfg = forward.config();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        int batchSize = 64;
        long correct = 0;
        for (int start = 0; start < data.size(); start += batchSize) {
            int n = Math.min(batchSize, data.size() - start);
            float[] pixels = new float[n * perImage];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                TrainingData.Example ex = data.get(start + i, null);
                System.arraycopy(ex.pixels(), 0, pixels, i * perImage, perImage);
                labels[i] = ex.label();
            }
            try (NDManager batch = root.newSubManager()) {
                NDArray x = batch.create(
                        FloatBuffer.wrap(pixels), new Shape(n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()));
                NDArray pred = forward.forward(x, level).argMax(1).toType(DataType.INT32, false);
                correct += pred.eq(batch.create(labels)).sum().getLong();
            }
        }
        return (double) correct / data.size();
    }
}
