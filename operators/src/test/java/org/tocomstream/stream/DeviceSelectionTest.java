package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.junit.jupiter.api.Test;

class DeviceSelectionTest {

    @Test
    void autoUsesTheCpuWithoutAssignedGpus() {
        assertThat(DeviceSelection.resolve("auto", 3, List.of())).isEqualTo("cpu");
    }

    @Test
    void autoSpreadsSubtasksOverTheAssignedGpus() {
        List<String> gpus = List.of("1", "3");
        assertThat(DeviceSelection.resolve("auto", 0, gpus)).isEqualTo("gpu1");
        assertThat(DeviceSelection.resolve("auto", 1, gpus)).isEqualTo("gpu3");
        assertThat(DeviceSelection.resolve("auto", 2, gpus)).isEqualTo("gpu1");
    }

    @Test
    void aConfiguredDeviceWinsOverAssignedGpus() {
        assertThat(DeviceSelection.resolve("cpu", 0, List.of("0"))).isEqualTo("cpu");
        assertThat(DeviceSelection.resolve("gpu(2)", 0, List.of("0"))).isEqualTo("gpu(2)");
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
