package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.junit.jupiter.api.Test;
import org.tocomstream.stream.DeviceSelection.GpuLoads;

class DeviceSelectionTest {

    @Test
    void autoUsesTheCpuWithoutAssignedGpus() {
        assertThat(DeviceSelection.resolve("auto", 3, List.of(), new GpuLoads()).device())
                .isEqualTo("cpu");
    }

    @Test
    void autoSpreadsSubtasksOverTheAssignedGpus() {
        List<String> gpus = List.of("1", "3");
        GpuLoads loads = new GpuLoads();
        assertThat(DeviceSelection.resolve("auto", 0, gpus, loads).device()).isEqualTo("gpu1");
        assertThat(DeviceSelection.resolve("auto", 1, gpus, loads).device()).isEqualTo("gpu3");
        assertThat(DeviceSelection.resolve("auto", 2, gpus, loads).device()).isEqualTo("gpu1");
    }

    @Test
    void twoSubtasksOfOneTaskManagerGetTwoGpusWhateverTheirGlobalIndices() {
        // Subtasks 0 and 2 of a job run on this TaskManager (1 and 3 on another one).
        List<String> gpus = List.of("0", "1");
        GpuLoads loads = new GpuLoads();
        DeviceSelection.Choice first = DeviceSelection.resolve("auto", 0, gpus, loads);
        DeviceSelection.Choice second = DeviceSelection.resolve("auto", 2, gpus, loads);

        assertThat(List.of(first.device(), second.device())).containsExactlyInAnyOrder("gpu0", "gpu1");
        assertThat(loads.load("0")).isEqualTo(1);
        assertThat(loads.load("1")).isEqualTo(1);
    }

    @Test
    void aClosedChoiceGivesItsGpuBackOnce() {
        List<String> gpus = List.of("0", "1");
        GpuLoads loads = new GpuLoads();
        DeviceSelection.Choice first = DeviceSelection.resolve("auto", 0, gpus, loads);
        DeviceSelection.resolve("auto", 1, gpus, loads);

        first.close();
        first.close();

        assertThat(loads.load("0")).isZero();
        assertThat(loads.load("1")).isEqualTo(1);
        assertThat(DeviceSelection.resolve("auto", 3, gpus, loads).device())
                .as("gpu0 is the least used, though 3 modulo 2 points at gpu1")
                .isEqualTo("gpu0");
    }

    @Test
    void aConfiguredDeviceWinsOverAssignedGpus() {
        GpuLoads loads = new GpuLoads();
        assertThat(DeviceSelection.resolve("cpu", 0, List.of("0"), loads).device())
                .isEqualTo("cpu");
        assertThat(DeviceSelection.resolve("gpu(2)", 0, List.of("0"), loads).device())
                .isEqualTo("gpu(2)");
        assertThat(loads.load("0")).isZero();
    }

    /** A GPU resource with the given properties. */
    private record Gpu(Map<String, String> properties) implements ExternalResourceInfo {
        @Override
        public Optional<String> getProperty(String key) {
            return Optional.ofNullable(properties.get(key));
        }

        @Override
        public Collection<String> getKeys() {
            return properties.keySet();
        }
    }

    @Test
    void gpuIndicesAreInNumericOrderWithOddOnesLast() {
        List<ExternalResourceInfo> infos = List.of(
                new Gpu(Map.of("index", "10")),
                new Gpu(Map.of("index", "x")),
                new Gpu(Map.of()),
                new Gpu(Map.of("index", " 2")),
                new Gpu(Map.of("index", "9")));
        assertThat(DeviceSelection.gpuIndices(infos)).containsExactly(" 2", "9", "10", "x");
        assertThat(DeviceSelection.gpuIndices(List.of())).isEmpty();
    }
}
