package org.tocomstream.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the <a href="https://huggingface.co/docs/safetensors">safetensors</a> format
 * on the Java heap, without DJL: DJL's own decoder aborts the JVM on BF16 tensors ({@code
 * ecosystem.md} §6), so every dtype is widened to float32 here and the engine only ever sees F32.
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

    /** Same bound as the reference implementation: larger headers are taken as corruption. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private static final int CHUNK_BYTES = 1 << 20;

    /** Every dtype the format defines, so that an unsupported one is named rather than "unknown". */
    private static final List<String> KNOWN_DTYPES =
            List.of(
                    "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32",
                    "U32", "F32", "F64", "I64", "U64");

    private Safetensors() {}

    /** The tensor dtypes this reader widens to float32. */
    enum Dtype {
        F32(4),
        F16(2),
        BF16(2);

        final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }
    }

    private record Entry(String key, Dtype dtype, long[] shape, long numel, long begin, long end) {}

    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    /**
     * Reads every tensor of a safetensors file, widened to float32.
     *
     * @return tensors by name, in the order of the file's header
     * @throws CheckpointException if the file is malformed, naming the file and tensor
     * @throws IOException if the file cannot be read
     */
    public static Map<String, HostTensor> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(channel, file);
            Map<String, HostTensor> out = new LinkedHashMap<>();
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : header.entries()) {
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
            return readHeader(channel, file).metadata();
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
        tensors.forEach(
                (name, tensor) -> {
                    if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                        throw new IllegalArgumentException(
                                "invalid tensor name '" + name + "' for " + file);
                    }
                    if (tensor == null) {
                        throw new IllegalArgumentException(
                                "tensor '" + name + "' is null, writing " + file);
                    }
                    sorted.put(name, tensor);
                });
        Map<String, String> meta = new TreeMap<>();
        if (metadata != null) {
            metadata.forEach(
                    (k, v) -> {
                        if (k == null || v == null) {
                            throw new IllegalArgumentException(
                                    "metadata key and value must be non-null, writing " + file
                                            + " (key " + k + ")");
                        }
                        meta.put(k, v);
                    });
        }
        byte[] header = headerBytes(sorted, meta);

        Path absolute = file.toAbsolutePath();
        Path tmp =
                Files.createTempFile(
                        absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
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
                Files.move(
                        tmp, absolute, StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
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

    private static Header readHeader(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(
                    String.format(
                            "%s: file is %d bytes, too short for a safetensors header length",
                            file, size));
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, file, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength < 0 || headerLength > size - 8) {
            throw new CheckpointException(
                    String.format(
                            "%s: header length %s lies beyond the end of the %d-byte file"
                                    + " (truncated, or not a safetensors file)",
                            file, Long.toUnsignedString(headerLength), size));
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(
                    String.format(
                            "%s: header length %d exceeds the limit of %d bytes",
                            file, headerLength, MAX_HEADER_BYTES));
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, file, headerBytes, 8);
        String text;
        try {
            CharBuffer chars =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(headerBytes.flip());
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file + ": header is not valid UTF-8", e);
        }
        JsonElement root;
        try {
            root = StrictJson.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(
                    file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new CheckpointException(file + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        return parseHeader(root.getAsJsonObject(), file, size - dataStart, dataStart);
    }

    private static Header parseHeader(JsonObject root, Path file, long dataLength, long dataStart)
            throws CheckpointException {
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> member : root.entrySet()) {
            String key = member.getKey();
            JsonElement value = member.getValue();
            if (key.equals(METADATA_KEY)) {
                if (!value.isJsonObject()) {
                    throw new CheckpointException(
                            file + ": " + METADATA_KEY + " must be an object of strings");
                }
                for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
                    if (!isString(m.getValue())) {
                        throw new CheckpointException(
                                String.format(
                                        "%s: %s entry '%s' must be a string",
                                        file, METADATA_KEY, m.getKey()));
                    }
                    metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            entries.add(parseEntry(key, value, file, dataLength));
        }
        checkNoOverlap(entries, file);
        return new Header(entries, metadata, dataStart);
    }

    private static Entry parseEntry(String key, JsonElement value, Path file, long dataLength)
            throws CheckpointException {
        String where = String.format("%s: tensor '%s'", file, key);
        if (!value.isJsonObject()) {
            throw new CheckpointException(where + ": entry must be a JSON object");
        }
        JsonObject obj = value.getAsJsonObject();
        JsonElement dtypeJson = obj.get("dtype");
        if (!isString(dtypeJson)) {
            throw new CheckpointException(where + ": missing or non-string 'dtype'");
        }
        String dtypeName = dtypeJson.getAsString();
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(
                    String.format(
                            "%s: unsupported dtype %s%s; supported: F32, F16, BF16",
                            where,
                            dtypeName,
                            KNOWN_DTYPES.contains(dtypeName) ? "" : " (not a safetensors dtype)"));
        }
        long[] shape = longs(obj.get("shape"), where, "shape", -1);
        long[] offsets = longs(obj.get("data_offsets"), where, "data_offsets", 2);
        long numel = 1;
        try {
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " overflows");
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(
                    String.format(
                            "%s: shape %s has %d values, more than a Java array holds",
                            where, Arrays.toString(shape), numel));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new CheckpointException(
                    String.format("%s: data_offsets [%d, %d] are reversed", where, begin, end));
        }
        long expectedBytes = numel * dtype.bytes;
        if (end - begin != expectedBytes) {
            throw new CheckpointException(
                    String.format(
                            "%s: data_offsets [%d, %d] span %d bytes but shape %s of %s needs %d",
                            where, begin, end, end - begin, Arrays.toString(shape), dtype,
                            expectedBytes));
        }
        if (end > dataLength) {
            throw new CheckpointException(
                    String.format(
                            "%s: data_offsets [%d, %d] lie beyond the end of the data section"
                                    + " (%d bytes); the file is truncated",
                            where, begin, end, dataLength));
        }
        return new Entry(key, dtype, shape, numel, begin, end);
    }

    private static void checkNoOverlap(List<Entry> entries, Path file) throws CheckpointException {
        List<Entry> byOffset = new ArrayList<>();
        for (Entry e : entries) {
            if (e.end() > e.begin()) {
                byOffset.add(e);
            }
        }
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1);
            Entry next = byOffset.get(i);
            if (next.begin() < prev.end()) {
                throw new CheckpointException(
                        String.format(
                                "%s: tensors '%s' [%d, %d] and '%s' [%d, %d] overlap",
                                file, prev.key(), prev.begin(), prev.end(), next.key(),
                                next.begin(), next.end()));
            }
        }
    }

    private static long[] longs(JsonElement json, String where, String field, int requiredLength)
            throws CheckpointException {
        if (json == null || !json.isJsonArray()) {
            throw new CheckpointException(where + ": missing or non-array '" + field + "'");
        }
        JsonArray array = json.getAsJsonArray();
        if (requiredLength >= 0 && array.size() != requiredLength) {
            throw new CheckpointException(
                    String.format(
                            "%s: '%s' must have %d entries but has %d",
                            where, field, requiredLength, array.size()));
        }
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = array.get(i);
            try {
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                    throw new ArithmeticException();
                }
                out[i] = new BigDecimal(v.getAsString()).longValueExact();
                if (out[i] < 0) {
                    throw new ArithmeticException();
                }
            } catch (ArithmeticException | NumberFormatException e) {
                throw new CheckpointException(
                        String.format(
                                "%s: '%s' must hold non-negative integers but has %s",
                                where, field, array));
            }
        }
        return out;
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    private static void readData(
            FileChannel channel, Path file, long position, Entry e, float[] out, ByteBuffer buffer)
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

    private static void readFully(FileChannel channel, Path file, ByteBuffer buffer, long position)
            throws IOException {
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
