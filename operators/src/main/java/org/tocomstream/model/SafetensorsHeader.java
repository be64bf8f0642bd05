package org.tocomstream.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and checked header of a safetensors file: tensor entries in header order, metadata,
 * and where the data section starts. Every inconsistency is a {@link CheckpointException} naming
 * the file and the tensor.
 */
record SafetensorsHeader(List<SafetensorsHeader.Entry> entries, Map<String, String> metadata, long dataStart) {

    /** Same bound as the reference implementation: larger headers are taken as corruption. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** Every dtype the format defines, so that an unsupported one is named rather than "unknown". */
    private static final List<String> KNOWN_DTYPES = List.of(
            "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64",
            "U64");

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

    record Entry(String key, Dtype dtype, long[] shape, long numel, long begin, long end) {}

    static SafetensorsHeader read(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(
                    String.format("%s: file is %d bytes, too short for a safetensors header length", file, size));
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        Safetensors.readFully(channel, file, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength < 0 || headerLength > size - 8) {
            throw new CheckpointException(String.format(
                    "%s: header length %s lies beyond the end of the %d-byte file"
                            + " (truncated, or not a safetensors file)",
                    file, Long.toUnsignedString(headerLength), size));
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(String.format(
                    "%s: header length %d exceeds the limit of %d bytes", file, headerLength, MAX_HEADER_BYTES));
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        Safetensors.readFully(channel, file, headerBytes, 8);
        String text;
        try {
            CharBuffer chars = StandardCharsets.UTF_8
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
            throw new CheckpointException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new CheckpointException(file + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        return parseHeader(root.getAsJsonObject(), file, size - dataStart, dataStart);
    }

    private static SafetensorsHeader parseHeader(JsonObject root, Path file, long dataLength, long dataStart)
            throws CheckpointException {
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> member : root.entrySet()) {
            String key = member.getKey();
            JsonElement value = member.getValue();
            if (key.equals(Safetensors.METADATA_KEY)) {
                if (!value.isJsonObject()) {
                    throw new CheckpointException(
                            file + ": " + Safetensors.METADATA_KEY + " must be an object of strings");
                }
                for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
                    if (!isString(m.getValue())) {
                        throw new CheckpointException(String.format(
                                "%s: %s entry '%s' must be a string", file, Safetensors.METADATA_KEY, m.getKey()));
                    }
                    metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            entries.add(parseEntry(key, value, file, dataLength));
        }
        checkNoOverlap(entries, file);
        return new SafetensorsHeader(entries, metadata, dataStart);
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
            throw new CheckpointException(String.format(
                    "%s: unsupported dtype %s%s; supported: F32, F16, BF16",
                    where, dtypeName, KNOWN_DTYPES.contains(dtypeName) ? "" : " (not a safetensors dtype)"));
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
            throw new CheckpointException(String.format(
                    "%s: shape %s has %d values, more than a Java array holds", where, Arrays.toString(shape), numel));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new CheckpointException(String.format("%s: data_offsets [%d, %d] are reversed", where, begin, end));
        }
        long expectedBytes = numel * dtype.bytes;
        if (end - begin != expectedBytes) {
            throw new CheckpointException(String.format(
                    "%s: data_offsets [%d, %d] span %d bytes but shape %s of %s needs %d",
                    where, begin, end, end - begin, Arrays.toString(shape), dtype, expectedBytes));
        }
        if (end > dataLength) {
            throw new CheckpointException(String.format(
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
                throw new CheckpointException(String.format(
                        "%s: tensors '%s' [%d, %d] and '%s' [%d, %d] overlap",
                        file, prev.key(), prev.begin(), prev.end(), next.key(), next.begin(), next.end()));
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
            throw new CheckpointException(String.format(
                    "%s: '%s' must have %d entries but has %d", where, field, requiredLength, array.size()));
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
                        String.format("%s: '%s' must hold non-negative integers but has %s", where, field, array));
            }
        }
        return out;
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }
}
