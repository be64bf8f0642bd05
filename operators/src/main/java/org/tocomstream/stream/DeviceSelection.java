package org.tocomstream.stream;

import java.util.List;

/** Resolves {@link ModelConfig#device()} for one subtask; pure, so it is tested without a GPU. */
final class DeviceSelection {

    private DeviceSelection() {}

    /**
     * The device name for {@link org.tocomstream.model.Devices#parse}.
     *
     * @param configured a validated {@link ModelConfig#device()}
     * @param subtaskIndex this subtask's index, spreading subtasks over the listed GPUs
     * @param gpuIndices GPU indices Flink assigned to this TaskManager, in its order
     */
    static String resolve(String configured, int subtaskIndex, List<String> gpuIndices) {
        if (!ModelConfig.AUTO.equals(configured)) {
            return configured;
        }
        if (gpuIndices.isEmpty()) {
            return "cpu";
        }
        return "gpu" + gpuIndices.get(Math.floorMod(subtaskIndex, gpuIndices.size())).trim();
    }
}
