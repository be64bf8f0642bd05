package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @Test
    void writeThenReadRoundTrips(@TempDir Path dir) throws IOException {
        HostTensor t = new HostTensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-7f, 6});
        Path file = dir.resolve("a.npy");
        Npy.write(file, t);
        assertThat(Npy.read(file)).isEqualTo(t);
        // numpy's header rule: magic + version + length + header is a multiple of 64 bytes.
        assertThat((Files.size(file) - 6 * 4) % 64).isZero();
    }

    @Test
    void oneDimensionalShapesUseATrailingComma(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("v.npy");
        Npy.write(file, new HostTensor(new long[] {3}, new float[] {1, 2, 3}));
        assertThat(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains("'shape': (3,)");
        assertThat(Npy.read(file).shape()).containsExactly(3);
    }

    @Test
    void badFilesAreClearErrors(@TempDir Path dir) throws IOException {
        Path notNpy = Files.write(dir.resolve("x.npy"), "hello world!".getBytes());
        assertThatThrownBy(() -> Npy.read(notNpy)).hasMessageContaining("bad magic");

        Path file = dir.resolve("t.npy");
        Npy.write(file, new HostTensor(new long[] {4}, new float[] {1, 2, 3, 4}));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertThatThrownBy(() -> Npy.read(file)).hasMessageContaining("needs 16 data bytes but the file has 13");
    }
}
