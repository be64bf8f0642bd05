package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

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
        return "gpu"
                + gpuIndices.get(Math.floorMod(subtaskIndex, gpuIndices.size())).trim();
    }

    /**
     * The {@code index} properties of the GPU resources Flink assigned to this TaskManager, in
     * numeric order (indices that are not numbers last), as {@link #resolve} takes them.
     */
    static List<String> gpuIndices(Collection<ExternalResourceInfo> infos) {
        List<String> out = new ArrayList<>();
        for (ExternalResourceInfo info : infos) {
            info.getProperty("index").ifPresent(out::add);
        }
        out.sort(Comparator.comparingLong(DeviceSelection::indexOrder));
        return out;
    }

    private static long indexOrder(String index) {
        try {
            return Long.parseLong(index.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
