package org.tocomstream.stream;

import java.io.Serializable;
import org.tocomstream.model.ReuseCacheConfig;

/**
 * Opens the {@link BatchPredictor} of one inference subtask. Serializable: it travels with the
 * job graph, and runs on the TaskManager in the operator's {@code open()}.
 *
 * <pre>{@code
 * PredictorFactory predictors = PredictorFactory.sharedModel(ModelConfig.of("/models/vit_demo"));
 * }</pre>
 */
@FunctionalInterface
public interface PredictorFactory extends Serializable {

    /** A predictor for one subtask; closed by the operator. */
    BatchPredictor open(PredictorContext context) throws Exception;

    /**
     * The resource name whose GPUs are passed in {@link PredictorContext#gpuIndices()}; {@link
     * ModelConfig#DEFAULT_GPU_RESOURCE} unless overridden.
     */
    default String gpuResourceName() {
        return ModelConfig.DEFAULT_GPU_RESOURCE;
    }

    /**
     * Predictors backed by {@link ModelRegistry#shared()}: the subtasks of one TaskManager JVM that
     * resolve to the same (model directory, device) share one loaded model, reference-counted and
     * closed when the last of them closes; each subtask has its own predictor.
     */
    static PredictorFactory sharedModel(ModelConfig config) {
        return new SharedModelPredictorFactory(config, ReuseCacheConfig.DEFAULTS);
    }

    /**
     * {@link #sharedModel(ModelConfig)} whose predictors keep a per-camera token-reuse cache with
     * the given settings ({@link BatchPredictor#reuseCache()}).
     */
    static PredictorFactory sharedModel(ModelConfig config, ReuseCacheConfig reuse) {
        return new SharedModelPredictorFactory(config, reuse);
    }
}
