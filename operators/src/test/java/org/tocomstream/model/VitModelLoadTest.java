package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

class VitModelLoadTest {

    private static final VitConfig CFG = VitConfig.preset("vit_test_tiny");

    @Test
    void modelDirectoryRoundTripGivesTheSameLogits(@TempDir Path dir) throws IOException {
        Map<String, HostTensor> weights = RandomWeights.of(CFG, 5);
        List<String> labels = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        ModelSpec spec = ModelSpec.of(CFG, labels).withTrainedCompression(CompressionLevel.tome(2));
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), weights, Map.of());
        float[] px = RandomWeights.gaussian(9, 2 * 3 * 32 * 32);
        long[] shape = {2, 3, 32, 32};

        try (VitModel loaded = VitModel.load(dir, Device.cpu());
                VitModel direct = VitModel.fromWeights(spec, weights, Device.cpu())) {
            assertThat(loaded.spec()).isEqualTo(spec);
            assertThat(loaded.logits(px, shape, CompressionLevel.tome(4)))
                    .isDeepEqualTo(direct.logits(px, shape, CompressionLevel.tome(4)));
        }
    }

    @Test
    void truncatedWeightsAreAClearErrorNotACrash(@TempDir Path dir) throws IOException {
        ModelSpec spec = ModelSpec.of(CFG, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        spec.write(dir);
        Path file = spec.weightsPath(dir);
        Safetensors.write(file, RandomWeights.of(CFG, 5), Map.of());
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        java.nio.file.Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> VitModel.load(dir, Device.cpu()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.getFileName().toString());
    }

    @Test
    void devicesParseCpuAndRejectWhatIsNotThere() {
        assertThat(Devices.parse("cpu")).isEqualTo(Device.cpu());
        assertThat(Devices.parse(" CPU ")).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> Devices.parse("tpu0")).hasMessageContaining("unknown device 'tpu0'");
        // This build ships CPU natives only, so no GPU is ever visible to it.
        assertThatThrownBy(() -> Devices.parse("gpu0")).hasMessageContaining("sees 0 GPU(s)");
    }
}
