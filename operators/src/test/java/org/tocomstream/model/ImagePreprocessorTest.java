package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.PilResample.RgbImage;

class ImagePreprocessorTest {

    /**
     * PNG: Java must reproduce PIL's uint8 resize exactly, and normalisation is the same float32
     * arithmetic as torchvision's ToTensor + Normalize, so only float printing noise is allowed.
     */
    private static final float PNG_TOLERANCE = 1e-6f;

    /**
     * JPEG: the JDK decodes with its bundled IJG libjpeg 6b, PIL with whatever libjpeg it was built
     * against (libjpeg-turbo here, see the manifest). On the fixture machine the two agree bit for
     * bit (islow IDCT, same fancy chroma upsampling; measured max difference 0 for baseline 4:2:0,
     * progressive and greyscale files), but a fixture regenerated against another libjpeg (IJG 9
     * upsamples chroma differently, SIMD IDCTs round differently) may move pixels by a few levels.
     * Allow 3 uint8 levels after resizing, i.e. 3 / 255 / min(std) = 0.0525 normalised; an RGB/BGR
     * swap, an off-by-one crop or a wrong filter all exceed it by far.
     */
    private static final int JPEG_UINT8_LEVELS = 3;

    private static final float JPEG_TOLERANCE = JPEG_UINT8_LEVELS / 255f / 0.224f + 1e-6f;

    private static final Path GOLDEN = goldenDir();

    private static Path goldenDir() {
        try {
            return Paths.get(ImagePreprocessorTest.class
                    .getResource("/golden/preprocess")
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<JsonObject> cases() throws IOException {
        JsonObject manifest = JsonParser.parseString(Files.readString(GOLDEN.resolve("manifest.json")))
                .getAsJsonObject();
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement c : manifest.getAsJsonArray("cases")) {
            out.add(c.getAsJsonObject());
        }
        return out.stream();
    }

    private static PreprocessConfig configOf(JsonObject c) {
        return new PreprocessConfig(
                c.get("inputSize").getAsInt(),
                floats(c.getAsJsonArray("mean")),
                floats(c.getAsJsonArray("std")),
                c.get("interpolation").getAsString(),
                c.get("cropFraction").getAsDouble());
    }

    private static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(a.get(i).getAsString());
        }
        return out;
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static ImagePreprocessor deit32() {
        return new ImagePreprocessor(PreprocessConfig.deitEval(32));
    }

    @Nested
    class ParityWithPil {

        @ParameterizedTest(name = "{0}")
        @MethodSource("org.tocomstream.model.ImagePreprocessorTest#cases")
        void matchesTheGoldenFixture(JsonObject c) throws Exception {
            ImagePreprocessor pre = new ImagePreprocessor(configOf(c));
            byte[] encoded = Files.readAllBytes(GOLDEN.resolve(c.get("image").getAsString()));
            HostTensor expected = Npy.read(GOLDEN.resolve(c.get("expected").getAsString()));
            HostTensor expectedU8 =
                    Npy.read(GOLDEN.resolve(c.get("expectedUint8").getAsString()));
            boolean jpeg = c.get("format").getAsString().equals("jpeg");

            RgbImage crop = pre.resizeAndCrop(pre.decode(encoded));
            float[] actual = pre.preprocess(encoded);

            int size = c.get("inputSize").getAsInt();
            assertThat(expected.shape()).containsExactly(3, size, size);
            assertThat(actual).hasSize(expected.data().length);
            float[] actualU8 = new float[crop.rgb().length];
            for (int i = 0; i < actualU8.length; i++) {
                actualU8[i] = crop.rgb()[i] & 0xff;
            }
            if (jpeg) {
                assertThat(maxAbsDiff(actualU8, expectedU8.data())).isLessThanOrEqualTo(JPEG_UINT8_LEVELS);
                assertThat(maxAbsDiff(actual, expected.data())).isLessThanOrEqualTo(JPEG_TOLERANCE);
            } else {
                assertThat(actualU8).containsExactly(expectedU8.data());
                assertThat(maxAbsDiff(actual, expected.data())).isLessThanOrEqualTo(PNG_TOLERANCE);
            }
        }

        @Test
        void decodedBufferedImageGivesTheSameResultAsItsBytes() throws Exception {
            byte[] encoded = Files.readAllBytes(GOLDEN.resolve("grey_45x30.png"));
            BufferedImage image = ImageIO.read(GOLDEN.resolve("grey_45x30.png").toFile());

            assertThat(deit32().preprocess(image)).containsExactly(deit32().preprocess(encoded));
        }

        @Test
        void survivesJavaSerialization() throws Exception {
            // Flink ships function fields with Java serialization.
            ImagePreprocessor pre = new ImagePreprocessor(PreprocessConfig.deitEval(32), 12_345);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(pre);
            }
            ImagePreprocessor copy;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                copy = (ImagePreprocessor) in.readObject();
            }
            byte[] encoded = Files.readAllBytes(GOLDEN.resolve("rgb_37x53.png"));

            assertThat(copy.config()).isEqualTo(pre.config());
            assertThat(copy.maxPixels()).isEqualTo(12_345);
            assertThat(copy.preprocess(encoded)).containsExactly(pre.preprocess(encoded));
        }

        @Test
        void resizeOfTheSameSizeIsTheIdentity() throws Exception {
            // 36 x 36 is exactly the resize target of inputSize 32: only the crop applies.
            BufferedImage image = new BufferedImage(36, 36, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 36; y++) {
                for (int x = 0; x < 36; x++) {
                    image.setRGB(x, y, (x * 7) << 16 | (y * 7) << 8 | (x + y));
                }
            }
            ImagePreprocessor pre = deit32();

            RgbImage crop = pre.resizeAndCrop(ImagePreprocessor.toRgb(image));

            assertThat(crop.rgb()[0] & 0xff).isEqualTo(2 * 7);
            assertThat(crop.rgb()[1] & 0xff).isEqualTo(2 * 7);
            assertThat(crop.rgb()[2] & 0xff).isEqualTo(4);
        }
    }

    @Nested
    class RgbConversion {

        @Test
        void sixteenBitGreyKeepsTheHighByteWithoutColourManagement() {
            BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
            image.getRaster().setSample(0, 0, 0, 0x80ff);
            image.getRaster().setSample(1, 0, 0, 0x1000);

            RgbImage rgb = ImagePreprocessor.toRgb(image);

            assertThat(rgb.rgb()).containsExactly(0x80, 0x80, 0x80, 0x10, 0x10, 0x10);
        }

        @Test
        void eightBitGreyIsReplicatedNotGammaConverted() {
            // getRGB would map 100 to about 170: Java treats 8-bit grey as linear light.
            BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
            image.getRaster().setSample(0, 0, 0, 100);

            assertThat(ImagePreprocessor.toRgb(image).rgb()).containsExactly(100, 100, 100);
        }

        @Test
        void subImagesAndPackedPixelsAgreeWithInterleavedBytes() {
            BufferedImage bgr = new BufferedImage(5, 4, BufferedImage.TYPE_3BYTE_BGR);
            BufferedImage packed = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB);
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    bgr.setRGB(x, y, (x * 40) << 16 | (y * 50) << 8 | (x + y) * 9);
                }
            }
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 3; x++) {
                    packed.setRGB(x, y, 0x7f000000 | bgr.getRGB(x + 1, y + 2) & 0xffffff);
                }
            }

            RgbImage sub = ImagePreprocessor.toRgb(bgr.getSubimage(1, 2, 3, 2));

            assertThat(sub.rgb())
                    .containsExactly(ImagePreprocessor.toRgb(packed).rgb());
            assertThat(sub.rgb()[0] & 0xff).isEqualTo(40);
            assertThat(sub.rgb()[1] & 0xff).isEqualTo(100);
            assertThat(sub.rgb()[2] & 0xff).isEqualTo(27);
        }
    }

    @Nested
    class BadInput {

        @Test
        void emptyBytes() {
            assertThatThrownBy(() -> deit32().preprocess(new byte[0]))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessage("image bytes are empty");
        }

        @Test
        void garbageBytesAreAnUnrecognisedFormat() {
            byte[] garbage = "definitely not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8);

            assertThatThrownBy(() -> deit32().preprocess(garbage))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageContaining("unrecognised image format")
                    .hasMessageContaining("supported: png, jpeg");
        }

        @Test
        void otherFormatsAreRefused() throws IOException {
            ByteArrayOutputStream gif = new ByteArrayOutputStream();
            ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED), "gif", gif);

            assertThatThrownBy(() -> deit32().preprocess(gif.toByteArray()))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessage("unsupported image format 'gif'; supported: png, jpeg");
        }

        @Test
        void truncatedPng() throws IOException {
            byte[] full = Files.readAllBytes(GOLDEN.resolve("rgb_37x53.png"));
            byte[] cut = Arrays.copyOf(full, full.length / 2);

            assertThatThrownBy(() -> deit32().preprocess(cut))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageContaining("corrupt or truncated png");
        }

        @Test
        void corruptPngData() throws IOException {
            byte[] bytes = Files.readAllBytes(GOLDEN.resolve("rgb_37x53.png"));
            for (int i = 100; i < bytes.length - 20; i += 3) {
                bytes[i] = (byte) (bytes[i] ^ 0x5a);
            }

            assertThatThrownBy(() -> deit32().preprocess(bytes))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageContaining("corrupt or truncated png");
        }

        @Test
        void truncatedJpeg() throws IOException {
            byte[] full = Files.readAllBytes(GOLDEN.resolve("photo_80x60.jpg"));
            byte[] cut = Arrays.copyOf(full, full.length / 2);

            assertThatThrownBy(() -> deit32().preprocess(cut))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageContaining("corrupt or truncated jpeg")
                    .hasMessageContaining("premature end");
        }

        @Test
        void zeroSizeImage() {
            byte[] header = pngHeaderOnly(0, 10);

            assertThatThrownBy(() -> deit32().preprocess(header))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageContaining("png");
        }

        @Test
        void imageAboveThePixelCap() throws Exception {
            byte[] encoded = png(new BufferedImage(100, 80, BufferedImage.TYPE_INT_RGB));
            ImagePreprocessor capped = new ImagePreprocessor(PreprocessConfig.deitEval(32), 7_999);

            assertThatThrownBy(() -> capped.preprocess(encoded))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessage("png image is 100 x 80 = 8000 pixels, above the cap of 7999");
            assertThat(new ImagePreprocessor(PreprocessConfig.deitEval(32), 8_000).preprocess(encoded))
                    .hasSize(3 * 32 * 32);
        }

        @Test
        void pixelCapIsCheckedFromTheHeaderBeforeDecoding() {
            // Declares 60000 x 60000 (3.6 gigapixels, ~10 GB decoded) but carries no pixels: the cap
            // must fire from the header alone.
            byte[] bomb = pngHeaderOnly(60_000, 60_000);

            assertThatThrownBy(() -> deit32().preprocess(bomb))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessage("png image is 60000 x 60000 = 3600000000 pixels, above the cap of 40000000");
        }

        @Test
        void decodedImageAboveTheCapIsRefusedToo() {
            BufferedImage image = new BufferedImage(50, 50, BufferedImage.TYPE_INT_RGB);

            assertThatThrownBy(() -> new ImagePreprocessor(PreprocessConfig.deitEval(32), 100).preprocess(image))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageContaining("above the cap of 100");
        }

        @Test
        void nonRgbConfigIsRejected() {
            PreprocessConfig grey = new PreprocessConfig(32, new float[] {0.5f}, new float[] {0.5f}, "bicubic", 0.875);

            assertThatThrownBy(() -> new ImagePreprocessor(grey))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("preprocessing.mean has 1 values");
        }

        /** A PNG signature and IHDR chunk (8-bit RGB) with the given size, and nothing else. */
        private byte[] pngHeaderOnly(int width, int height) {
            ByteBuffer ihdr = ByteBuffer.allocate(17);
            ihdr.put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ihdr.putInt(width)
                    .putInt(height)
                    .put((byte) 8)
                    .put((byte) 2)
                    .put((byte) 0)
                    .put((byte) 0)
                    .put((byte) 0);
            CRC32 crc = new CRC32();
            crc.update(ihdr.array());
            ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
            png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            png.putInt(13).put(ihdr.array()).putInt((int) crc.getValue());
            return png.array();
        }
    }

    @Nested
    class Stacking {

        @Test
        void stacksIntoBatchChannelsHeightWidth() {
            float[] a = new float[3 * 2 * 2];
            float[] b = new float[3 * 2 * 2];
            Arrays.fill(a, 1f);
            Arrays.fill(b, 2f);
            b[11] = 7f;
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                NDArray batch = ImagePreprocessor.stack(List.of(a, b), 3, 2, 2, manager);

                assertThat(batch.getShape().getShape()).containsExactly(2, 3, 2, 2);
                assertThat(batch.get(1, 2, 1, 1).getFloat()).isEqualTo(7f);
                assertThat(batch.get(0).sum().getFloat()).isEqualTo(12f);
            }
        }

        @Test
        void rejectsWrongLengths() {
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                assertThatThrownBy(
                                () -> ImagePreprocessor.stack(List.of(new float[12], new float[11]), 3, 2, 2, manager))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("image 1 has 11 values but (3, 2, 2) needs 12");
                assertThatThrownBy(() -> ImagePreprocessor.stack(List.of(), 3, 2, 2, manager))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
