package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

/**
 * Resolves {@link ModelConfig#device()} for one subtask; pure but for the {@link GpuLoads} it is
 * given, so it is tested without a GPU.
 *
 * <pre>{@code
 * DeviceSelection.Choice choice = DeviceSelection.resolve("auto", subtask, gpus, GpuLoads.jvm());
 * Device device = Devices.parse(choice.device());
 * // ... when the subtask releases its model:
 * choice.close();
 * }</pre>
 */
final class DeviceSelection {

    private DeviceSelection() {}

    /**
     * The GPUs handed to the subtasks of one JVM (one TaskManager) and not yet given back: with
     * {@code auto}, a subtask takes the least used GPU of its TaskManager. The subtask's global
     * index says nothing about which subtasks share a TaskManager (subtasks 0 and 2 of one
     * TaskManager would both get GPU 0 of two by index modulo), so the count is per JVM.
     * Thread-safe.
     */
    static final class GpuLoads {

        private static final GpuLoads JVM = new GpuLoads();

        private final Map<String, Integer> inUse = new HashMap<>();

        /** The loads of this JVM's subtasks. */
        static GpuLoads jvm() {
            return JVM;
        }

        /**
         * Takes the least used of {@code gpuIndices}; among equally used ones, the first from the
         * subtask's index on (index modulo the count), as the choice was before any is in use.
         */
        synchronized String take(int subtaskIndex, List<String> gpuIndices) {
            int n = gpuIndices.size();
            String best = null;
            for (int k = 0; k < n; k++) {
                String gpu = gpuIndices.get(Math.floorMod(subtaskIndex + k, n)).trim();
                if (best == null || load(gpu) < load(best)) {
                    best = gpu;
                }
            }
            inUse.merge(best, 1, Integer::sum);
            return best;
        }

        /** Gives back one use of {@code gpu}. */
        synchronized void giveBack(String gpu) {
            inUse.computeIfPresent(gpu, (k, v) -> v > 1 ? v - 1 : null);
        }

        /** Subtasks using {@code gpu} now. */
        synchronized int load(String gpu) {
            return inUse.getOrDefault(gpu, 0);
        }
    }

    /**
     * The device chosen for one subtask; {@link #close()} gives its GPU back to the loads it came
     * from (at most once; nothing for a configured device or the CPU).
     */
    static final class Choice implements AutoCloseable {
        private final String device;
        private final GpuLoads loads;
        private final String gpu;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Choice(String device, GpuLoads loads, String gpu) {
            this.device = device;
            this.loads = loads;
            this.gpu = gpu;
        }

        /** The device name for {@link org.tocomstream.model.Devices#parse}. */
        String device() {
            return device;
        }

        @Override
        public void close() {
            if (gpu != null && closed.compareAndSet(false, true)) {
                loads.giveBack(gpu);
            }
        }
    }

    /**
     * The device of one subtask.
     *
     * @param configured a validated {@link ModelConfig#device()}
     * @param subtaskIndex this subtask's index, which breaks ties between equally used GPUs
     * @param gpuIndices GPU indices Flink assigned to this TaskManager, in its order
     * @param loads the GPUs in use by this TaskManager's subtasks, {@link GpuLoads#jvm()} in a job
     */
    static Choice resolve(String configured, int subtaskIndex, List<String> gpuIndices, GpuLoads loads) {
        if (!ModelConfig.AUTO.equals(configured)) {
            return new Choice(configured, loads, null);
        }
        if (gpuIndices.isEmpty()) {
            return new Choice("cpu", loads, null);
        }
        String gpu = loads.take(subtaskIndex, gpuIndices);
        return new Choice("gpu" + gpu, loads, gpu);
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
