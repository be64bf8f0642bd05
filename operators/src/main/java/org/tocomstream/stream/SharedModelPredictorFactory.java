package org.tocomstream.stream;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.Devices;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/** {@link PredictorFactory#sharedModel}: leases from {@link ModelRegistry#shared()}. */
final class SharedModelPredictorFactory implements PredictorFactory {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(SharedModelPredictorFactory.class);

    private final ModelConfig config;

    SharedModelPredictorFactory(ModelConfig config) {
        this.config = Objects.requireNonNull(config, "model config");
    }

    @Override
    public String gpuResourceName() {
        return config.gpuResourceName();
    }

    @Override
    public BatchPredictor open(PredictorContext context) throws Exception {
        String name =
                DeviceSelection.resolve(
                        config.device(), context.subtaskIndex(), context.gpuIndices());
        Device device = Devices.parse(name);
        LOG.info(
                "Subtask {} uses model {} on {} ({} = {}, GPUs assigned: {})",
                context.subtaskIndex(),
                config.modelDir(),
                device,
                ModelConfig.DEVICE,
                config.device(),
                context.gpuIndices());
        return new SharedModelPredictor(
                ModelRegistry.shared().acquire(Path.of(config.modelDir()), device));
    }

    @Override
    public String toString() {
        return "sharedModel(" + config + ")";
    }

    /** One subtask's predictor over a leased, shared model. */
    static final class SharedModelPredictor implements BatchPredictor {

        private final ModelRegistry.Lease lease;
        private final VitModel model;
        private final long[] frameShape;

        SharedModelPredictor(ModelRegistry.Lease lease) {
            this.lease = lease;
            this.model = lease.model();
            VitConfig cfg = model.config();
            this.frameShape = new long[] {cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
        }

        @Override
        public String modelId() {
            return lease.modelId();
        }

        @Override
        public List<String> labels() {
            return model.spec().labels();
        }

        @Override
        public float[][] logits(float[] pixels, int batchSize, CompressionLevel level) {
            long[] shape = {batchSize, frameShape[0], frameShape[1], frameShape[2]};
            return model.logits(pixels, shape, level);
        }

        @Override
        public void close() {
            lease.close();
        }
    }
}
