package org.tocomstream.model;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the <a href="https://huggingface.co/docs/safetensors">safetensors</a> format
 * on the Java heap, without DJL: DJL's own decoder aborts the JVM on BF16 tensors (DJL
 * 0.35.1 and 0.36.0, measured), so every dtype is widened to float32 here and the engine only ever sees F32.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code n}, {@code n} bytes of UTF-8
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (byte
 * offsets relative to the end of the header) plus an optional {@code "__metadata__"} object of
 * strings, then the raw little-endian tensor data.
 *
 * <ul>
 *   <li>{@link #read} accepts F32, F16 and BF16 and returns float32 {@link HostTensor}s in the
 *       header's order. Data is streamed through a small buffer, so loading needs about one copy
 *       of the weights on the heap (a 350 MB DeiT-B needs ~350 MB, not twice that).
 *   <li>{@link #write} writes F32 only, names sorted, the header padded with spaces to a multiple
 *       of 8 bytes: the same tensors always give the same bytes. The file is written next to its
 *       destination and moved into place, so readers never see half a file.
 * </ul>
 *
 * <pre>{@code
 * Map<String, HostTensor> weights = Safetensors.read(Path.of("model.safetensors"));
 * Safetensors.write(Path.of("copy.safetensors"), weights, Map.of("format", "pt"));
 * }</pre>
 *
 * <p>Every inconsistency (truncated file, header that is not JSON, unsupported dtype, offsets that
 * do not match the shape, overlapping or duplicate tensors) raises a {@link CheckpointException}
 * naming the file and the tensor.
 */
public final class Safetensors {

    /** Key of the string-to-string metadata object in the header. */
    public static final String METADATA_KEY = "__metadata__";

    private static final int CHUNK_BYTES = 1 << 20;

    private Safetensors() {}

    /**
     * Reads every tensor of a safetensors file, widened to float32.
     *
     * @return tensors by name, in the order of the file's header
     * @throws CheckpointException if the file is malformed, naming the file and tensor
     * @throws IOException if the file cannot be read
     */
    public static Map<String, HostTensor> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = SafetensorsHeader.read(channel, file);
            Map<String, HostTensor> out = new LinkedHashMap<>();
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (SafetensorsHeader.Entry e : header.entries()) {
                float[] data = new float[(int) e.numel()];
                readData(channel, file, header.dataStart() + e.begin(), e, data, buffer);
                out.put(e.key(), new HostTensor(e.shape(), data));
            }
            return out;
        }
    }

    /**
     * Reads only the {@code __metadata__} object of a safetensors file (the header is still checked
     * in full).
     *
     * @return metadata in header order; empty when the file has none
     * @throws CheckpointException if the file is malformed
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return SafetensorsHeader.read(channel, file).metadata();
        }
    }

    /**
     * Writes tensors as F32 in name order with the given metadata (may be empty or {@code null}),
     * replacing {@code file} if it exists.
     *
     * @throws IllegalArgumentException if a name is empty or {@value #METADATA_KEY}, or a tensor
     *     or metadata value is {@code null}
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, HostTensor> sorted = new TreeMap<>();
        tensors.forEach((name, tensor) -> {
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "' for " + file);
            }
            if (tensor == null) {
                throw new IllegalArgumentException("tensor '" + name + "' is null, writing " + file);
            }
            sorted.put(name, tensor);
        });
        Map<String, String> meta = new TreeMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException(
                            "metadata key and value must be non-null, writing " + file + " (key " + k + ")");
                }
                meta.put(k, v);
            });
        }
        byte[] header = headerBytes(sorted, meta);

        Path absolute = file.toAbsolutePath();
        Path tmp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                buffer.putLong(header.length);
                writeFully(channel, buffer.flip());
                writeFully(channel, ByteBuffer.wrap(header));
                for (HostTensor t : sorted.values()) {
                    float[] data = t.data();
                    for (int pos = 0; pos < data.length; ) {
                        int n = Math.min(CHUNK_BYTES / 4, data.length - pos);
                        buffer.clear();
                        buffer.asFloatBuffer().put(data, pos, n);
                        buffer.limit(n * 4);
                        writeFully(channel, buffer);
                        pos += n;
                    }
                }
                channel.force(true);
            }
            try {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * IEEE 754 binary16 to float32, exact for every input: subnormals, signed zeros, infinities and
     * NaN (payload kept). {@code Float.float16ToFloat} would do, but only from Java 20.
     */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** bfloat16 to float32: bfloat16 is the upper half of a float32. */
    static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    // ---------------------------------------------------------------------------------------------

    private static void readData(
            FileChannel channel, Path file, long position, SafetensorsHeader.Entry e, float[] out, ByteBuffer buffer)
            throws IOException {
        int elementBytes = e.dtype().bytes;
        int perChunk = buffer.capacity() / elementBytes;
        int done = 0;
        while (done < out.length) {
            int n = Math.min(perChunk, out.length - done);
            buffer.clear().limit(n * elementBytes);
            readFully(channel, file, buffer, position + (long) done * elementBytes);
            buffer.flip();
            switch (e.dtype()) {
                case F32:
                    buffer.asFloatBuffer().get(out, done, n);
                    break;
                case F16:
                    for (int i = 0; i < n; i++) {
                        out[done + i] = halfToFloat(buffer.getShort());
                    }
                    break;
                case BF16:
                    for (int i = 0; i < n; i++) {
                        out[done + i] = bfloat16ToFloat(buffer.getShort());
                    }
                    break;
                default:
                    throw new AssertionError(e.dtype());
            }
            done += n;
        }
    }

    static void readFully(FileChannel channel, Path file, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                // The file shrank after its size was checked.
                throw new CheckpointException(file + ": unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static byte[] headerBytes(Map<String, HostTensor> sorted, Map<String, String> metadata) {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.beginObject();
            if (!metadata.isEmpty()) {
                json.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    json.name(m.getKey()).value(m.getValue());
                }
                json.endObject();
            }
            long offset = 0;
            for (Map.Entry<String, HostTensor> t : sorted.entrySet()) {
                long bytes = 4L * t.getValue().size();
                json.name(t.getKey()).beginObject();
                json.name("dtype").value("F32");
                json.name("shape").beginArray();
                for (long d : t.getValue().shape()) {
                    json.value(d);
                }
                json.endArray();
                json.name("data_offsets").beginArray().value(offset).value(offset + bytes);
                json.endArray();
                json.endObject();
                offset += bytes;
            }
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a StringWriter cannot fail", e);
        }
        byte[] raw = text.toString().getBytes(StandardCharsets.UTF_8);
        // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned.
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }
}
