package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    /** Writes a safetensors file by hand: u64 header length, header text, raw data. */
    static Path writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        Files.write(file, buf.array());
        return file;
    }

    static byte[] shorts(int... values) {
        ByteBuffer buf = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            buf.putShort((short) v);
        }
        return buf.array();
    }

    static byte[] floats(float... values) {
        ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buf.putFloat(v);
        }
        return buf.array();
    }

    static HostTensor random(Random rng, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] data = new float[(int) n];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextGaussian();
        }
        return new HostTensor(shape, data);
    }

    @Nested
    class RoundTrip {

        @Test
        void writeThenReadGivesTheSameTensorsSortedByName() throws IOException {
            Random rng = new Random(1);
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            tensors.put("z.weight", random(rng, 3, 4));
            tensors.put("a.bias", random(rng, 5));
            tensors.put("m.scalar", new HostTensor(new long[0], new float[] {42f}));
            tensors.put("m.empty", new HostTensor(new long[] {0, 3}, new float[0]));
            Path file = dir.resolve("t.safetensors");

            Safetensors.write(file, tensors, Map.of("format", "pt", "note", "ünïcode"));
            Map<String, HostTensor> read = Safetensors.read(file);

            assertThat(read).isEqualTo(tensors);
            assertThat(read.keySet()).containsExactly("a.bias", "m.empty", "m.scalar", "z.weight");
            assertThat(Safetensors.readMetadata(file))
                    .containsExactly(Map.entry("format", "pt"), Map.entry("note", "ünïcode"));
        }

        @Test
        void bytesAreDeterministicAndDataIsEightByteAligned() throws IOException {
            Random rng = new Random(2);
            Map<String, HostTensor> a = new LinkedHashMap<>();
            a.put("b", random(rng, 7));
            a.put("a", random(rng, 2, 3));
            Map<String, HostTensor> b = new LinkedHashMap<>();
            b.put("a", a.get("a"));
            b.put("b", a.get("b"));
            Path f1 = dir.resolve("1.safetensors");
            Path f2 = dir.resolve("2.safetensors");

            Safetensors.write(f1, a, Map.of("k", "v", "a", "b"));
            Safetensors.write(f2, b, new LinkedHashMap<>(Map.of("a", "b", "k", "v")));

            byte[] bytes = Files.readAllBytes(f1);
            assertThat(bytes).isEqualTo(Files.readAllBytes(f2));
            long headerLength =
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(headerLength % 8).isZero();
            assertThat(bytes.length).isEqualTo(8 + headerLength + 4 * (7 + 6));
        }

        @Test
        void writeReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
            Path file = dir.resolve("t.safetensors");
            Files.writeString(file, "old");
            Map<String, HostTensor> tensors = Map.of("x", new HostTensor(new long[] {1}, new float[] {1}));

            Safetensors.write(file, tensors, null);

            assertThat(Safetensors.read(file)).isEqualTo(tensors);
            assertThat(Safetensors.readMetadata(file)).isEmpty();
            try (var files = Files.list(dir)) {
                assertThat(files).containsExactly(file);
            }
        }

        @Test
        void readKeepsTheHeaderOrderOfTheFile() throws IOException {
            Path file = writeRaw(
                    dir.resolve("order.safetensors"),
                    "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                    floats(2f, 1f));

            Map<String, HostTensor> read = Safetensors.read(file);

            assertThat(read.keySet()).containsExactly("b", "a");
            assertThat(read.get("a").data()).containsExactly(1f);
        }

        @Test
        void rejectsTheReservedMetadataName() {
            Map<String, HostTensor> tensors = Map.of("__metadata__", new HostTensor(new long[] {1}, new float[] {1}));

            assertThatThrownBy(() -> Safetensors.write(dir.resolve("x"), tensors, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("__metadata__");
        }
    }

    @Nested
    class Dtypes {

        @Test
        void readsF16IncludingSubnormalsInfinitiesAndNan() throws IOException {
            // 0, -0, 1, -2, 65504 (max), 2^-24 (min subnormal), max subnormal, min normal, +inf,
            // -inf, NaN, 1/3 rounded to half.
            int[] bits = {0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x3555
            };
            Path file = writeRaw(
                    dir.resolve("f16.safetensors"),
                    "{\"h\":{\"dtype\":\"F16\",\"shape\":[3,4],\"data_offsets\":[0,24]}}",
                    shorts(bits));

            HostTensor h = Safetensors.read(file).get("h");

            assertThat(h.shape()).containsExactly(3, 4);
            float[] v = h.data();
            assertThat(Float.floatToRawIntBits(v[0])).isZero();
            assertThat(Float.floatToRawIntBits(v[1])).isEqualTo(0x80000000);
            assertThat(v[2]).isEqualTo(1f);
            assertThat(v[3]).isEqualTo(-2f);
            assertThat(v[4]).isEqualTo(65504f);
            assertThat(v[5]).isEqualTo(0x1p-24f);
            assertThat(v[6]).isEqualTo(1023 * 0x1p-24f);
            assertThat(v[7]).isEqualTo(0x1p-14f);
            assertThat(v[8]).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(v[9]).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(v[10]).isNaN();
            assertThat(v[11]).isEqualTo(0.333251953125f);
        }

        @Test
        void halfToFloatMatchesTheDefinitionForAllBitPatterns() {
            for (int bits = 0; bits < 0x10000; bits++) {
                int sign = (bits & 0x8000) != 0 ? -1 : 1;
                int exponent = (bits >> 10) & 0x1f;
                int mantissa = bits & 0x3ff;
                double expected;
                if (exponent == 0x1f) {
                    expected = mantissa == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
                } else if (exponent == 0) {
                    expected = sign * mantissa * Math.pow(2, -24);
                } else {
                    expected = sign * (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
                }
                float actual = Safetensors.halfToFloat((short) bits);
                if (Double.isNaN(expected)) {
                    assertThat(actual).as("bits %04x", bits).isNaN();
                } else {
                    assertThat((double) actual).as("bits %04x", bits).isEqualTo(expected);
                    assertThat(Math.copySign(1f, actual))
                            .as("sign of %04x", bits)
                            .isEqualTo(sign);
                }
            }
        }

        @Test
        void readsBf16ByWideningInJava() throws IOException {
            // 1, -1.5, 3.140625, +inf, NaN, smallest subnormal 2^-133.
            Path file = writeRaw(
                    dir.resolve("bf16.safetensors"),
                    "{\"__metadata__\":{\"format\":\"pt\"},"
                            + "\"w\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[0,12]}}",
                    shorts(0x3f80, 0xbfc0, 0x4049, 0x7f80, 0x7fc0, 0x0001));

            float[] v = Safetensors.read(file).get("w").data();

            assertThat(v[0]).isEqualTo(1f);
            assertThat(v[1]).isEqualTo(-1.5f);
            assertThat(v[2]).isEqualTo(3.140625f);
            assertThat(v[3]).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(v[4]).isNaN();
            assertThat(v[5]).isEqualTo(0x1p-133f);
        }

        @Test
        void readsMixedDtypesInOneFile() throws IOException {
            ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            data.putFloat(0.5f).putShort((short) 0x3c00).putShort((short) 0x4000);
            Path file = writeRaw(
                    dir.resolve("mixed.safetensors"),
                    "{\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            + "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[6,8]}}",
                    data.array());

            Map<String, HostTensor> read = Safetensors.read(file);

            assertThat(read.get("f").data()).containsExactly(0.5f);
            assertThat(read.get("h").data()).containsExactly(1f);
            assertThat(read.get("b").data()).containsExactly(2f);
        }
    }

    @Nested
    class Errors {

        private static final String ONE = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

        @Test
        void fileTooShortForTheHeaderLength() throws IOException {
            Path file = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("too short");
        }

        @Test
        void headerLengthBeyondTheFile() throws IOException {
            byte[] bytes = Files.readAllBytes(writeRaw(dir.resolve("a"), ONE, floats(1, 2)));
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000);
            Path file = Files.write(dir.resolve("len.safetensors"), bytes);

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("header length 1000000 lies beyond the end");
        }

        @Test
        void dataOffsetsBeyondTheEndOfATruncatedFile() throws IOException {
            Path file = writeRaw(dir.resolve("trunc.safetensors"), ONE, floats(1));

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file + ": tensor 'w'")
                    .hasMessageContaining("beyond the end")
                    .hasMessageContaining("truncated");
        }

        @Test
        void headerThatIsNotJson() throws IOException {
            Path file = writeRaw(dir.resolve("garbage.safetensors"), "{\"w\": {dtype: F32", new byte[0]);

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("header is not valid JSON");
        }

        @Test
        void headerThatIsJsonButNotAnObject() throws IOException {
            Path file = writeRaw(dir.resolve("array.safetensors"), "[1, 2]  ", new byte[0]);

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("header is not a JSON object");
        }

        @Test
        void unsupportedDtypeIsNamed() throws IOException {
            Path file = writeRaw(
                    dir.resolve("i64.safetensors"),
                    "{\"steps\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                    new byte[8]);

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file + ": tensor 'steps'")
                    .hasMessageContaining("unsupported dtype I64")
                    .hasMessageContaining("supported: F32, F16, BF16");
        }

        @Test
        void offsetsThatDoNotMatchShapeTimesDtypeSize() throws IOException {
            Path file = writeRaw(
                    dir.resolve("size.safetensors"),
                    "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}",
                    new byte[8]);

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file + ": tensor 'w'")
                    .hasMessageContaining("span 8 bytes but shape [2, 3] of F16 needs 12");
        }

        @Test
        void overlappingTensorsAreBothNamed() throws IOException {
            Path file = writeRaw(
                    dir.resolve("overlap.safetensors"),
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                    floats(1, 2, 3));

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("'a' [0, 8] and 'b' [4, 12] overlap");
        }

        @Test
        void duplicateKeysAreNamed() throws IOException {
            Path file = writeRaw(
                    dir.resolve("dup.safetensors"),
                    "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                    floats(1, 2));

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("duplicate key 'w'");
        }

        @Test
        void negativeOrFractionalShapeIsRejected() throws IOException {
            Path file = writeRaw(
                    dir.resolve("shape.safetensors"),
                    "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                    floats(1));

            assertThatThrownBy(() -> Safetensors.read(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("tensor 'w': 'shape' must hold non-negative integers");
        }

        @Test
        void metadataValuesMustBeStrings() throws IOException {
            Path file = writeRaw(dir.resolve("meta.safetensors"), "{\"__metadata__\":{\"epoch\":3}}", new byte[0]);

            assertThatThrownBy(() -> Safetensors.readMetadata(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("__metadata__ entry 'epoch' must be a string");
        }
    }
}
