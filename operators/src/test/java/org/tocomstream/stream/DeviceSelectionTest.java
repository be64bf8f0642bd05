package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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
}
