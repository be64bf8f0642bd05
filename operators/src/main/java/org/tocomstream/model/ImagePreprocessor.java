package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.Serializable;
import java.util.List;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.PilResample.Filter;
import org.tocomstream.model.PilResample.RgbImage;

/**
 * Turns an encoded JPEG or PNG frame into the network input: a CHW float32 array of {@code 3 ×
 * inputSize × inputSize}, normalised, reproducing timm's evaluation transform on a PIL image.
 *
 * <ol>
 *   <li>Decode with {@code javax.imageio} and convert to 8-bit RGB as PIL's {@code convert("RGB")}
 *       does: grey is replicated, alpha is dropped (not composited), palettes are looked up, no
 *       ICC or gamma conversion is applied, and 16-bit samples keep their high byte.
 *   <li>Resize so the shorter side is {@link PreprocessConfig#resizeSize()} and the longer side is
 *       {@code (int) (resizeSize * long / short)} (torchvision's {@code Resize(int)}), with
 *       Pillow's antialiased bicubic or bilinear filter, bit for bit.
 *   <li>Centre-crop {@code inputSize} square; the offset is {@code round((size - inputSize) / 2)}
 *       with Python's round-half-to-even (torchvision's {@code CenterCrop}).
 *   <li>{@code x / 255}, then {@code (x - mean[c]) / std[c]}, in float32.
 * </ol>
 *
 * <p>Decoding reads the image header first and refuses images above {@link #maxPixels()}, CMYK
 * and YCCK JPEGs, and images whose decode would hold more than {@link #maxDecodedBytes()} (a
 * {@link DecodeBudgetException}), before any pixel memory is allocated. An image at least twice
 * the resize target on its shorter side is decoded subsampled (every s-th pixel, s = shorter side
 * / resize target), so memory follows what the model needs, not what the producer sent; such an
 * image's input differs slightly from a full decode's. Every bad input is an {@link
 * ImageDecodeException}. Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
 * float[] chw = pre.preprocess(jpegBytes);                                  // (C, H, W)
 * NDArray batch = ImagePreprocessor.stack(List.of(chw), 3, 224, 224, mgr);  // (B, C, H, W)
 * }</pre>
 */
public final class ImagePreprocessor implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Default pixel cap: 40 megapixels, above any camera frame, below a decompression bomb. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    /**
     * Default decode budget: 64 MiB held by one decode (the decoder's raster plus the RGB copy),
     * about 5 megapixels at 16-bit RGBA or 10 at 8-bit RGB before subsampling.
     */
    public static final long DEFAULT_MAX_DECODED_BYTES = 64L << 20;

    private static final int CHANNELS = 3;

    private final PreprocessConfig config;
    private final long maxPixels;
    private final long maxDecodedBytes;

    /** A preprocessor with the {@link #DEFAULT_MAX_PIXELS} cap and decode budget. */
    public ImagePreprocessor(PreprocessConfig config) {
        this(config, DEFAULT_MAX_PIXELS);
    }

    /**
     * A preprocessor with the {@link #DEFAULT_MAX_DECODED_BYTES} decode budget.
     *
     * @param maxPixels largest accepted {@code width × height}
     * @throws IllegalArgumentException if the config is not 3-channel or the cap is not positive
     */
    public ImagePreprocessor(PreprocessConfig config, long maxPixels) {
        this(config, maxPixels, DEFAULT_MAX_DECODED_BYTES);
    }

    /**
     * @param maxPixels largest accepted {@code width × height}
     * @param maxDecodedBytes most bytes one decode may hold (the decoder's raster, after
     *     subsampling, plus the RGB copy)
     * @throws IllegalArgumentException if the config is not 3-channel or a cap is not positive
     */
    public ImagePreprocessor(PreprocessConfig config, long maxPixels, long maxDecodedBytes) {
        if (config.channels() != CHANNELS) {
            throw new IllegalArgumentException(String.format(
                    "ImagePreprocessor produces RGB (3 channels) but preprocessing.mean has" + " %d values",
                    config.channels()));
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be > 0 but was " + maxPixels);
        }
        if (maxDecodedBytes <= 0) {
            throw new IllegalArgumentException("maxDecodedBytes must be > 0 but was " + maxDecodedBytes);
        }
        this.config = config;
        this.maxPixels = maxPixels;
        this.maxDecodedBytes = maxDecodedBytes;
    }

    public PreprocessConfig config() {
        return config;
    }

    /** The largest accepted {@code width × height}. */
    public long maxPixels() {
        return maxPixels;
    }

    /** The most bytes one decode of encoded bytes may hold. */
    public long maxDecodedBytes() {
        return maxDecodedBytes;
    }

    /**
     * Decodes and preprocesses one encoded PNG or JPEG image.
     *
     * @return {@code (3, inputSize, inputSize)} values, row-major
     * @throws ImageDecodeException if the bytes are empty, undecodable, of another format, of zero
     *     size, above the pixel cap, a CMYK or YCCK JPEG, or above the decode budget (then a {@link
     *     DecodeBudgetException})
     */
    public float[] preprocess(byte[] encoded) throws ImageDecodeException {
        return normalise(resizeAndCrop(decode(encoded)));
    }

    /**
     * A preprocessed image and the size it was encoded at.
     *
     * @param pixels {@code (3, inputSize, inputSize)} values, row-major
     */
    public record Sized(float[] pixels, int sourceWidth, int sourceHeight) {}

    /** {@link #preprocess(byte[])}, also returning the encoded image's size. */
    public Sized preprocessSized(byte[] encoded) throws ImageDecodeException {
        RgbImage rgb = decode(encoded);
        return new Sized(normalise(resizeAndCrop(rgb)), rgb.width(), rgb.height());
    }

    /**
     * Preprocesses an already decoded image (converted to RGB as for encoded input).
     *
     * @throws ImageDecodeException if the image is above the pixel cap
     */
    public float[] preprocess(BufferedImage image) throws ImageDecodeException {
        BoundedDecoder.checkSize(image.getWidth(), image.getHeight(), "decoded", maxPixels);
        return normalise(resizeAndCrop(toRgb(image)));
    }

    /**
     * Stacks CHW images into one {@code (B, C, H, W)} float32 array owned by {@code manager}.
     *
     * @throws IllegalArgumentException if the list is empty or an image has the wrong length
     */
    public static NDArray stack(List<float[]> images, int channels, int height, int width, NDManager manager) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("cannot stack an empty list of images");
        }
        int per = channels * height * width;
        float[] batch = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            float[] chw = images.get(i);
            if (chw.length != per) {
                throw new IllegalArgumentException(String.format(
                        "image %d has %d values but (%d, %d, %d) needs %d",
                        i, chw.length, channels, height, width, per));
            }
            System.arraycopy(chw, 0, batch, i * per, per);
        }
        return manager.create(batch, new Shape(images.size(), channels, height, width));
    }

    // ---------------------------------------------------------------------------------------------

    /** Decoding only, for tests: the image as PIL's {@code convert("RGB")} would give it. */
    RgbImage decode(byte[] encoded) throws ImageDecodeException {
        return BoundedDecoder.decode(encoded, maxPixels, maxDecodedBytes, config.resizeSize());
    }

    /** Resize and crop only, for tests: the uint8 image before normalisation. */
    RgbImage resizeAndCrop(RgbImage image) {
        int target = config.resizeSize();
        int w = image.width();
        int h = image.height();
        int outW;
        int outH;
        // torchvision Resize(int): shorter side to target, longer side truncated.
        if (w <= h) {
            outW = target;
            outH = (int) ((double) target * h / w);
        } else {
            outH = target;
            outW = (int) ((double) target * w / h);
        }
        int size = config.inputSize();
        // Python's round() is half-to-even, as is Math.rint.
        int x0 = (int) Math.rint((outW - size) / 2.0);
        int y0 = (int) Math.rint((outH - size) / 2.0);
        return PilResample.resizeAndCrop(image, outW, outH, x0, y0, size, size, Filter.named(config.interpolation()));
    }

    private float[] normalise(RgbImage image) {
        int hw = image.width() * image.height();
        float[] mean = config.mean();
        float[] std = config.std();
        float[] out = new float[CHANNELS * hw];
        byte[] rgb = image.rgb();
        for (int c = 0; c < CHANNELS; c++) {
            for (int i = 0; i < hw; i++) {
                float x = (rgb[3 * i + c] & 0xff) / 255f;
                out[c * hw + i] = (x - mean[c]) / std[c];
            }
        }
        return out;
    }

    /**
     * 8-bit RGB as PIL's {@code convert("RGB")} gives it. Grey and RGB component images are read
     * from the raster, because {@code getRGB} would apply colour management (Java treats 8-bit
     * grey as linear and converts it to sRGB with a gamma curve); everything else (palettes,
     * packed RGB) goes through {@code getRGB}, which is exact for sRGB models.
     */
    static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[3 * w * h];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int csType = cm.getColorSpace().getType();
        int transfer = raster.getTransferType();
        if (cm instanceof ComponentColorModel
                && (csType == ColorSpace.TYPE_RGB || csType == ColorSpace.TYPE_GRAY)
                && (transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT)) {
            int bands = raster.getNumBands();
            boolean grey = cm.getNumColorComponents() == 1;
            if (raster.getDataBuffer() instanceof DataBufferByte bytes
                    && raster.getSampleModel() instanceof ComponentSampleModel sm
                    && bytes.getNumBanks() == 1
                    && raster.getSampleModelTranslateX() == 0
                    && raster.getSampleModelTranslateY() == 0) {
                // Fast path for what ImageIO returns (3BYTE_BGR, BYTE_GRAY, 4BYTE_ABGR, ...):
                // index the interleaved bytes directly.
                byte[] data = bytes.getData();
                int[] offsets = sm.getBandOffsets();
                int pixelStride = sm.getPixelStride();
                int base = bytes.getOffset();
                int o0 = offsets[0];
                int o1 = grey ? offsets[0] : offsets[1];
                int o2 = grey ? offsets[0] : offsets[2];
                for (int y = 0; y < h; y++) {
                    int p = base + y * sm.getScanlineStride();
                    int o = 3 * y * w;
                    for (int x = 0; x < w; x++, p += pixelStride, o += 3) {
                        out[o] = data[p + o0];
                        out[o + 1] = data[p + o1];
                        out[o + 2] = data[p + o2];
                    }
                }
                return new RgbImage(w, h, out);
            }
            int shift = transfer == DataBuffer.TYPE_USHORT ? 8 : 0;
            int[] row = new int[w * bands];
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int o = 3 * (y * w + x);
                    int p = x * bands;
                    for (int c = 0; c < 3; c++) {
                        out[o + c] = (byte) (row[grey ? p : p + c] >> shift);
                    }
                }
            }
        } else {
            int[] argb = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, argb, 0, w);
                for (int x = 0; x < w; x++) {
                    int o = 3 * (y * w + x);
                    out[o] = (byte) (argb[x] >> 16);
                    out[o + 1] = (byte) (argb[x] >> 8);
                    out[o + 2] = (byte) argb[x];
                }
            }
        }
        return new RgbImage(w, h, out);
    }
}
