package org.tocomstream.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of float32 (or float64, narrowed) in C order: the exchange format for
 * pre-normalised input batches and for logits written by {@code predict --logits-out}.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {}

    /**
     * Reads a little-endian float32 or float64 array, or a uint8 array (pixels), as float32.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static HostTensor read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10) {
            throw new IOException(file + ": not a .npy file (only " + bytes.length + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new IOException(file + ": not a .npy file (bad magic)");
            }
        }
        int major = bytes[6];
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(buf.getShort(8));
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            headerLen = buf.getInt(8);
            headerStart = 12;
        } else {
            throw new IOException(file + ": unsupported .npy version " + major);
        }
        if (headerStart + (long) headerLen > bytes.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(bytes, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, "descr", file);
        if ("True".equals(find(FORTRAN, header, "fortran_order", file))) {
            throw new IOException(file + ": Fortran-order arrays are not supported; save in C order");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : find(SHAPE, header, "shape", file).split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.trim()));
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        int width;
        if (descr.equals("<f4")) {
            width = 4;
        } else if (descr.equals("<f8")) {
            width = 8;
        } else if (descr.equals("|u1")) {
            width = 1;
        } else {
            throw new IOException(file + ": dtype '" + descr + "' is not supported; expected '<f4', '<f8' or '|u1'");
        }
        int dataStart = headerStart + headerLen;
        if (dataStart + count * width != bytes.length) {
            throw new IOException(String.format(
                    "%s: shape %s needs %d data bytes but the file has %d",
                    file, dims, count * width, bytes.length - dataStart));
        }
        float[] data = new float[Math.toIntExact(count)];
        buf.position(dataStart);
        for (int i = 0; i < data.length; i++) {
            data[i] =
                    width == 4 ? buf.getFloat() : width == 8 ? (float) buf.getDouble() : Byte.toUnsignedInt(buf.get());
        }
        return new HostTensor(shape, data);
    }

    /** Writes a little-endian float32 array in C order (format version 1.0). */
    public static void write(Path file, HostTensor tensor) throws IOException {
        StringBuilder shape = new StringBuilder();
        for (long d : tensor.shape()) {
            shape.append(d).append(", ");
        }
        String dims = tensor.shape().length == 1
                ? shape.toString().trim()
                : shape.toString().replaceAll(", $", "");
        StringBuilder header = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }");
        // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer buf = ByteBuffer.allocate(10 + h.length + 4 * tensor.size()).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
        for (float v : tensor.data()) {
            buf.putFloat(v);
        }
        Files.write(file, buf.array());
    }

    private static String find(Pattern p, String header, String field, Path file) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": .npy header has no '" + field + "': " + header.trim());
        }
        return m.group(1);
    }
}
