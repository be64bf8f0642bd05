package org.tocomstream.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Images that are hostile to a decoder but cheap to make: 16-bit PNGs of millions of pixels that
 * are small on the wire, 4-component (CMYK/YCCK) JPEGs, and mutations of valid images (truncation,
 * bit flips, rewritten PNG IHDR or JPEG SOF fields, padding, a zTXt chunk that inflates to
 * megabytes). Used by the decoder's unit tests and by the job's hostile frames ({@code produce
 * --hostile} and its in-process run). Pure functions of their arguments; nothing here decodes.
 */
public final class HostileImages {

    private HostileImages() {}

    /**
     * A uniform 16-bit RGBA PNG of colour {@code rgba16} (four 16-bit samples), written chunk by
     * chunk and never holding the raster: the first row with filter None, every other with filter Up
     * (all zero bytes), so it deflates to almost nothing.
     */
    public static byte[] uniformRgba16Png(int width, int height, int[] rgba16) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream h = new DataOutputStream(ihdr);
            h.writeInt(width);
            h.writeInt(height);
            h.write(new byte[] {16, 6, 0, 0, 0});
            pngChunk(png, "IHDR", ihdr.toByteArray());
            ByteArrayOutputStream idat = new ByteArrayOutputStream();
            try (DeflaterOutputStream z =
                    new DeflaterOutputStream(idat, new Deflater(Deflater.DEFAULT_COMPRESSION), 1 << 16)) {
                byte[] row = new byte[1 + width * 8];
                for (int x = 0; x < width; x++) {
                    for (int c = 0; c < 4; c++) {
                        row[1 + 8 * x + 2 * c] = (byte) (rgba16[c] >> 8);
                        row[2 + 8 * x + 2 * c] = (byte) rgba16[c];
                    }
                }
                z.write(row);
                byte[] up = new byte[row.length];
                up[0] = 2;
                for (int y = 1; y < height; y++) {
                    z.write(up);
                }
            }
            pngChunk(png, "IDAT", idat.toByteArray());
            pngChunk(png, "IEND", new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png.toByteArray();
    }

    /** Appends one PNG chunk: length, type, data and the CRC over type and data. */
    public static void pngChunk(ByteArrayOutputStream png, String type, byte[] data) throws IOException {
        DataOutputStream out = new DataOutputStream(png);
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeInt(data.length);
        out.write(name);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }

    /** A 16 x 16 4-component JPEG as the JDK writes a 4-band raster (no Adobe marker). */
    public static byte[] fourComponentJpeg() {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                raster.setPixel(x, y, new int[] {x * 10, y * 10, 50, 20});
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(raster, null, null), writer.getDefaultWriteParam());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** The JPEG with an Adobe APP14 marker (transform 0: CMYK, 2: YCCK) after its SOI marker. */
    public static byte[] withAdobeMarker(byte[] jpeg, int transform) {
        byte[] app14 = {(byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
        byte[] out = new byte[jpeg.length + app14.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app14, 0, out, 2, app14.length);
        System.arraycopy(jpeg, 2, out, 2 + app14.length, jpeg.length - 2);
        return out;
    }

    /** The image as an 8-bit palette PNG (whose metadata chunks the PNG reader parses). */
    public static byte[] palettePng(BufferedImage rgb) {
        BufferedImage indexed = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_BYTE_INDEXED);
        indexed.getGraphics().drawImage(rgb, 0, 0, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(indexed, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code n} random bytes. */
    public static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** The first 1 to {@code length - 1} bytes of the image, at random. */
    public static byte[] truncate(byte[] image, Random r) {
        return Arrays.copyOf(image, 1 + r.nextInt(image.length - 1));
    }

    /** The image with 1 to 8 random bits flipped. */
    public static byte[] flip(byte[] image, Random r) {
        byte[] b = image.clone();
        for (int n = 1 + r.nextInt(8); n > 0; n--) {
            int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
    }

    /** The PNG with its IHDR fields replaced (negative: kept) and its CRC made right again. */
    public static byte[] ihdr(byte[] png, int width, int height, int depth, int colour) {
        byte[] b = png.clone();
        if (width >= 0) {
            putInt(b, 16, width);
        }
        if (height >= 0) {
            putInt(b, 20, height);
        }
        if (depth >= 0) {
            b[24] = (byte) depth;
        }
        if (colour >= 0) {
            b[25] = (byte) colour;
        }
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        putInt(b, 29, (int) crc.getValue());
        return b;
    }

    /** The JPEG with the dimensions of its first SOFn marker replaced. */
    public static byte[] sof(byte[] jpeg, int width, int height) {
        byte[] b = jpeg.clone();
        for (int at = 2; at + 9 < b.length; ) {
            int marker = b[at + 1] & 0xff;
            if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
                b[at + 5] = (byte) (height >> 8);
                b[at + 6] = (byte) height;
                b[at + 7] = (byte) (width >> 8);
                b[at + 8] = (byte) width;
                return b;
            }
            at += 2 + (((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff));
        }
        throw new IllegalArgumentException("no SOF marker in the JPEG");
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >> 24);
        b[at + 1] = (byte) (v >> 16);
        b[at + 2] = (byte) (v >> 8);
        b[at + 3] = (byte) v;
    }

    /** The PNG with a private ancillary chunk before IEND, {@code size} bytes in all. */
    public static byte[] padPng(byte[] png, int size) {
        int iend = png.length - 12;
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.write(png, 0, iend);
        try {
            pngChunk(out, "prVt", new byte[size - png.length - 12]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write(png, iend, 12);
        return out.toByteArray();
    }

    /** The PNG with a zTXt chunk after IHDR that inflates to {@code megabytes} MB of zeros. */
    public static byte[] withZtxt(byte[] png, int megabytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            text.write("Comment".getBytes(StandardCharsets.US_ASCII));
            text.write(new byte[] {0, 0});
            try (DeflaterOutputStream z = new DeflaterOutputStream(text, new Deflater(9))) {
                byte[] zeros = new byte[1 << 20];
                for (int n = 0; n < megabytes; n++) {
                    z.write(zeros);
                }
            }
            out.write(png, 0, 33);
            pngChunk(out, "zTXt", text.toByteArray());
            out.write(png, 33, png.length - 33);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
