package org.tocomstream.stream;

import java.util.List;

/**
 * What a {@link PredictorFactory} learns about the subtask it opens a predictor for.
 *
 * @param subtaskIndex the inference subtask's index
 * @param gpuIndices GPU indices Flink's external-resource framework assigned to this TaskManager
 *     under {@link ModelConfig#gpuResourceName()} (empty without GPUs)
 */
public record PredictorContext(int subtaskIndex, List<String> gpuIndices) {

    public PredictorContext {
        gpuIndices = List.copyOf(gpuIndices);
    }
}
