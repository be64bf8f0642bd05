package org.tocomstream.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Encodes rendered scenes as the bytes a camera would publish (PNG or baseline JPEG, through {@code
 * javax.imageio}, in memory, never through ImageIO's disk cache) and converts between the pixel
 * layouts callers meet.
 *
 * <pre>{@code
 * byte[] png = SceneImages.png(sample.image());          // lossless
 * byte[] jpg = SceneImages.jpeg(frame.image(), 0.85f);   // what the demo cameras send
 * BufferedImage bgr = SceneImages.toBgr(sample.image()); // TYPE_3BYTE_BGR, e.g. for OpenCV
 * }</pre>
 */
public final class SceneImages {

    /** JPEG quality of {@link #jpeg(BufferedImage)}, as camera encoders commonly use. */
    public static final float DEFAULT_JPEG_QUALITY = 0.9f;

    private SceneImages() {}

    /** Lossless PNG bytes of the image. */
    public static byte[] png(BufferedImage image) {
        return encode(toRgb(image), "png", null);
    }

    /** JPEG bytes at {@link #DEFAULT_JPEG_QUALITY}. */
    public static byte[] jpeg(BufferedImage image) {
        return jpeg(image, DEFAULT_JPEG_QUALITY);
    }

    /**
     * Baseline JPEG bytes (4:2:0, as ImageIO writes them).
     *
     * @param quality ImageIO quality in (0, 1]
     * @throws IllegalArgumentException naming {@code quality} when it is out of range
     */
    public static byte[] jpeg(BufferedImage image, float quality) {
        if (!(quality > 0 && quality <= 1)) {
            throw new IllegalArgumentException(String.format("quality must be in (0, 1] but was %s", quality));
        }
        return encode(toRgb(image), "jpeg", quality);
    }

    /** Decodes PNG or JPEG bytes into a {@code TYPE_INT_RGB} image. */
    public static BufferedImage decode(byte[] encoded) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
            if (image == null) {
                throw new IllegalArgumentException("bytes are not an image ImageIO can read");
            }
            return toRgb(image);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image itself when it is {@code TYPE_INT_RGB}, else a converted copy. */
    public static BufferedImage toRgb(BufferedImage image) {
        return convert(image, BufferedImage.TYPE_INT_RGB);
    }

    /** The image itself when it is {@code TYPE_3BYTE_BGR}, else a converted copy. */
    public static BufferedImage toBgr(BufferedImage image) {
        return convert(image, BufferedImage.TYPE_3BYTE_BGR);
    }

    private static BufferedImage convert(BufferedImage image, int type) {
        if (image.getType() == type) {
            return image;
        }
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), type);
        // Row by row through packed sRGB ints: exact for 8-bit RGB sources, no colour management.
        int[] row = new int[image.getWidth()];
        for (int y = 0; y < image.getHeight(); y++) {
            image.getRGB(0, y, row.length, 1, row, 0, row.length);
            out.setRGB(0, y, row.length, 1, row, 0, row.length);
        }
        return out;
    }

    private static byte[] encode(BufferedImage image, String format, Float quality) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        if (!writers.hasNext()) {
            throw new IllegalStateException("no ImageIO writer for " + format);
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.getWidth() * image.getHeight());
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (quality != null) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(quality);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
