package org.tocomstream.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the little-endian float32 and uint8 {@code .npy} files the Python fixtures write. */
final class NpyReader {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** An array with its shape; values widened to float. */
    record Array(long[] shape, float[] data) {}

    private NpyReader() {}

    static Array read(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        buf.get(magic);
        if (!new String(magic, StandardCharsets.ISO_8859_1).equals("\u0093NUMPY")) {
            throw new IOException(file + ": not an .npy file");
        }
        int major = buf.get();
        buf.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
        byte[] header = new byte[headerLength];
        buf.get(header);
        String text = new String(header, StandardCharsets.ISO_8859_1);
        if (text.contains("'fortran_order': True")) {
            throw new IOException(file + ": Fortran order is not supported");
        }
        Matcher d = DESCR.matcher(text);
        Matcher s = SHAPE.matcher(text);
        if (!d.find() || !s.find()) {
            throw new IOException(file + ": cannot parse header " + text);
        }
        String[] dims = s.group(1).split(",");
        long[] shape = new long[(int) java.util.Arrays.stream(dims).filter(x -> !x.isBlank()).count()];
        int n = 1;
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (!dims[i].isBlank()) {
                shape[j] = Long.parseLong(dims[i].trim());
                n *= (int) shape[j++];
            }
        }
        float[] data = new float[n];
        switch (d.group(1)) {
            case "<f4":
                buf.asFloatBuffer().get(data);
                break;
            case "|u1":
                for (int i = 0; i < n; i++) {
                    data[i] = buf.get() & 0xff;
                }
                break;
            default:
                throw new IOException(file + ": unsupported dtype " + d.group(1));
        }
        return new Array(shape, data);
    }
}
