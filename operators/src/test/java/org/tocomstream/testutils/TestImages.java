package org.tocomstream.testutils;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Images that are hostile to a decoder but cheap to make: 16-bit PNGs of millions of pixels that
 * are small on the wire, and 4-component (CMYK/YCCK) JPEGs. Shared by the decoder's unit tests and
 * the job's hostile-input run (through the operators' test jar).
 */
public final class TestImages {

    private TestImages() {}

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
}
