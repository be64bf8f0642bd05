package org.tocomstream.model;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.tocomstream.model.PilResample.RgbImage;
import org.w3c.dom.Node;

/**
 * Decodes one encoded PNG or JPEG in bounded memory, for {@link ImagePreprocessor}. Everything
 * that decides the memory a decode takes is read from the header before any pixel is decoded:
 *
 * <ol>
 *   <li>the size, against the pixel cap;
 *   <li>the colour model: CMYK and YCCK JPEGs are refused (see {@link #refuseCmyk});
 *   <li>a source subsampling factor {@code s = floor(shorterSide / resizeSize)}, applied only when
 *       {@code s >= 2}: the decoder then keeps every s-th pixel of every s-th row, so its raster is
 *       {@code ceil(w / s) x ceil(h / s)} and its shorter side is still at least the resize target
 *       (the resize never enlarges what the full decode would not have enlarged);
 *   <li>the bytes the decode holds at once, the decoder's raster at the destination type it will
 *       produce (16-bit samples take 2 bytes each) plus the 8-bit RGB copy, against the byte
 *       budget.
 * </ol>
 *
 * <p>Subsampling keeps one pixel in s instead of averaging them, so a subsampled image does not
 * give the same network input as a full decode followed by the antialiased resize (it can alias
 * fine detail). It is applied only to images at least twice the resize target on their shorter
 * side; smaller frames decode exactly as a full decode, bit for bit, as PIL does.
 */
final class BoundedDecoder {

    /** Formats decoded; others are refused even when an ImageIO plugin could read them. */
    private static final Set<String> FORMATS = Set.of("png", "jpeg");

    /** Bytes per pixel of the RGB copy {@link ImagePreprocessor#toRgb} makes. */
    private static final int RGB_BYTES = 3;

    private BoundedDecoder() {}

    /**
     * @param resizeSize the shorter side the preprocessing resizes to
     * @return the image as PIL's {@code convert("RGB")} gives it, subsampled when much larger than
     *     {@code resizeSize}
     */
    static RgbImage decode(byte[] encoded, long maxPixels, long maxDecodedBytes, int resizeSize)
            throws ImageDecodeException {
        if (encoded == null || encoded.length == 0) {
            throw new ImageDecodeException("image bytes are empty");
        }
        ImageReader reader = null;
        String format = "image";
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException(String.format(
                        "unrecognised image format (%d bytes starting %s); supported: png," + " jpeg",
                        encoded.length, hexPrefix(encoded)));
            }
            reader = readers.next();
            format = reader.getFormatName().toLowerCase(Locale.ROOT);
            if (!FORMATS.contains(format)) {
                throw new ImageDecodeException("unsupported image format '" + format + "'; supported: png, jpeg");
            }
            reader.setInput(in, true, true);
            // Header only: refuse bombs before the decoder allocates the pixels.
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            checkSize(width, height, format, maxPixels);
            ImageTypeSpecifier destination = destinationType(reader, format);
            refuseCmyk(reader, destination, format);
            int factor = subsampling(width, height, resizeSize);
            checkBudget(width, height, factor, destination, format, maxDecodedBytes);
            ImageReadParam param = reader.getDefaultReadParam();
            if (factor > 1) {
                param.setSourceSubsampling(factor, factor, 0, 0);
            }
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, message) -> warnings.add(message));
            BufferedImage image = reader.read(0, param);
            for (String warning : warnings) {
                // The JDK's JPEG decoder pads missing scan data with grey and only warns; PIL
                // refuses such files ("image file is truncated"), and so do we. Other warnings
                // (a missing EOI marker, extraneous bytes between markers) leave every pixel
                // decoded and are tolerated, as libjpeg tolerates them for PIL.
                if (warning.toLowerCase(Locale.ROOT).contains("premature end")) {
                    throw new ImageDecodeException(String.format("corrupt or truncated %s: %s", format, warning));
                }
            }
            return ImagePreprocessor.toRgb(image);
        } catch (IOException | RuntimeException e) {
            // ImageIO reports corrupt input through IIOException and, for some truncations,
            // unchecked exceptions (IndexOutOfBounds, IllegalArgument, NegativeArraySize).
            throw new ImageDecodeException(String.format("corrupt or truncated %s: %s", format, e), e);
        } finally {
            if (reader != null) {
                reader.dispose();
            }
        }
    }

    /**
     * The subsampling factor for an image of this size: {@code floor(shorter / resizeSize)} when
     * that is at least 2, else 1 (full decode).
     */
    static int subsampling(int width, int height, int resizeSize) {
        int factor = Math.min(width, height) / Math.max(1, resizeSize);
        return factor >= 2 ? factor : 1;
    }

    static void checkSize(int width, int height, String format, long maxPixels) throws ImageDecodeException {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(String.format("%s image has zero size (%d x %d)", format, width, height));
        }
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageDecodeException(String.format(
                    "%s image is %d x %d = %d pixels, above the cap of %d", format, width, height, pixels, maxPixels));
        }
    }

    /** The type {@code reader.read} produces without a destination in the parameters: the first. */
    private static ImageTypeSpecifier destinationType(ImageReader reader, String format)
            throws IOException, ImageDecodeException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (types == null || !types.hasNext()) {
            throw new ImageDecodeException(format + " image has a colour model the decoder cannot produce");
        }
        return types.next();
    }

    /**
     * Refuses 4-component (CMYK or YCCK) JPEGs. The JDK decodes them to CMYK samples as stored,
     * but an RGB image from those needs a colour conversion this project does not ship: PIL (whose
     * pixels the model was trained on) inverts the samples of Adobe files and converts CMYK
     * without a colour profile, the JDK's own CMYK colour space converts differently, and a
     * faithful conversion needs the file's ICC profile and a colour management engine. Refusing
     * is better than labels from wrong colours; such frames are rare from cameras.
     */
    private static void refuseCmyk(ImageReader reader, ImageTypeSpecifier destination, String format)
            throws IOException, ImageDecodeException {
        int csType = destination.getColorModel().getColorSpace().getType();
        if (csType != ColorSpace.TYPE_CMYK && csType != ColorSpace.TYPE_4CLR) {
            return;
        }
        String model = adobeTransform(reader) == 2 ? "YCCK" : "CMYK";
        throw new ImageDecodeException(String.format(
                "%s %s image: 4-component colour is not decoded (converting it to RGB as the model"
                        + " expects needs a CMYK colour conversion that is not shipped); send RGB or"
                        + " greyscale",
                model, format));
    }

    /** The Adobe APP14 marker's transform (0 CMYK, 2 YCCK), or -1 without one. */
    private static int adobeTransform(ImageReader reader) throws IOException {
        IIOMetadata metadata = reader.getImageMetadata(0);
        if (metadata == null || !"javax_imageio_jpeg_image_1.0".equals(metadata.getNativeMetadataFormatName())) {
            return -1;
        }
        return findTransform(metadata.getAsTree("javax_imageio_jpeg_image_1.0"));
    }

    private static int findTransform(Node node) {
        if ("app14Adobe".equals(node.getNodeName())) {
            Node transform = node.getAttributes().getNamedItem("transform");
            return transform == null ? -1 : Integer.parseInt(transform.getNodeValue());
        }
        for (Node child = node.getFirstChild(); child != null; child = child.getNextSibling()) {
            int found = findTransform(child);
            if (found >= 0) {
                return found;
            }
        }
        return -1;
    }

    /**
     * Refuses an image whose decode would hold more than {@code maxDecodedBytes}: the decoder's
     * raster of {@code ceil(w / s) x ceil(h / s)} pixels at the destination type's bits per pixel,
     * plus the 3-byte RGB copy.
     */
    private static void checkBudget(
            int width, int height, int factor, ImageTypeSpecifier destination, String format, long maxDecodedBytes)
            throws DecodeBudgetException {
        long w = (width + (long) factor - 1) / factor;
        long h = (height + (long) factor - 1) / factor;
        int bits = bitsPerPixel(destination.getSampleModel(1, 1));
        long raster = (w * bits + 7) / 8 * h;
        long bytes = raster + RGB_BYTES * w * h;
        if (bytes > maxDecodedBytes) {
            throw new DecodeBudgetException(String.format(
                    "%s image is %d x %d (%d bits per pixel decoded%s): decoding takes %d bytes, above the"
                            + " decode budget of %d bytes",
                    format,
                    width,
                    height,
                    bits,
                    factor > 1 ? String.format(", subsampled 1/%d to %d x %d", factor, w, h) : "",
                    bytes,
                    maxDecodedBytes));
        }
    }

    /** Bits one pixel takes in a raster of this sample model (16-bit samples: 16 per band). */
    static int bitsPerPixel(SampleModel model) {
        if (model instanceof MultiPixelPackedSampleModel packed) {
            return packed.getPixelBitStride();
        }
        return model.getNumDataElements() * DataBuffer.getDataTypeSize(model.getDataType());
    }

    private static String hexPrefix(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            sb.append(String.format("%02x", bytes[i]));
        }
        return sb.toString();
    }
}
