package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.data.HostileImages.fourComponentJpeg;
import static org.tocomstream.data.HostileImages.uniformRgba16Png;
import static org.tocomstream.data.HostileImages.withAdobeMarker;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.PilResample.RgbImage;

class BoundedDecoderTest {

    /** deit-style, input 32: resizes the shorter side to 36. */
    private static final PreprocessConfig DEIT32 = PreprocessConfig.deitEval(32);

    /** 16-bit RGBA sample values of the uniform test images; their high bytes are 0x12 0x80 0xff. */
    private static final int[] RGBA16 = {0x1234, 0x8000, 0xff00, 0xffff};

    /** 6000 x 6000 16-bit RGBA (288 MB as a raster), made once for the tests that need it. */
    private static final class Huge {
        static final byte[] PNG = uniformRgba16Png(6000, 6000, RGBA16);
    }

    private static ImagePreprocessor budget(long maxDecodedBytes) {
        return new ImagePreprocessor(DEIT32, ImagePreprocessor.DEFAULT_MAX_PIXELS, maxDecodedBytes);
    }

    @Nested
    class Subsampling {

        @Test
        void hugeSixteenBitPngIsDecodedAtTheResolutionTheModelNeeds() throws Exception {
            // 6000 x 6000 x 4 x 16 bits: 288 MB as a full raster, a few hundred KB on the wire.
            byte[] png = Huge.PNG;
            assertThat(png.length).isLessThan(1 << 20);

            RgbImage image = new ImagePreprocessor(DEIT32).decode(png);

            // floor(6000 / 36) = 166: every 166th pixel, ceil(6000 / 166) = 37 per side.
            assertThat(image.width()).isEqualTo(37);
            assertThat(image.height()).isEqualTo(37);
            for (int i = 0; i < image.rgb().length; i += 3) {
                assertThat(image.rgb()[i] & 0xff).isEqualTo(0x12);
                assertThat(image.rgb()[i + 1] & 0xff).isEqualTo(0x80);
                assertThat(image.rgb()[i + 2] & 0xff).isEqualTo(0xff);
            }
            assertThat(new ImagePreprocessor(DEIT32).preprocess(png))
                    .containsExactly(new ImagePreprocessor(DEIT32).preprocess(uniformRgb8Png(37, 37)));
        }

        @Test
        void aLargerModelGetsALargerButStillBoundedDecode() throws Exception {
            byte[] png = uniformRgba16Png(3000, 2000, RGBA16);
            PreprocessConfig deit224 = PreprocessConfig.deitEval(224);

            RgbImage image = new ImagePreprocessor(deit224).decode(png);

            // resize target 256: floor(2000 / 256) = 7, so 429 x 286 (shorter side >= 256).
            assertThat(image.width()).isEqualTo(429);
            assertThat(image.height()).isEqualTo(286);
            assertThat(new ImagePreprocessor(deit224).preprocess(png)).hasSize(3 * 224 * 224);
        }

        @Test
        void onlyImagesAtLeastTwiceTheResizeTargetAreSubsampled() {
            assertThat(BoundedDecoder.subsampling(640, 480, 256)).isEqualTo(1);
            assertThat(BoundedDecoder.subsampling(1000, 511, 256)).isEqualTo(1);
            assertThat(BoundedDecoder.subsampling(1000, 512, 256)).isEqualTo(2);
            assertThat(BoundedDecoder.subsampling(1920, 1080, 256)).isEqualTo(4);
            // The golden fixtures (20 to 80 pixels, resize target 36 or 26) decode in full.
            assertThat(BoundedDecoder.subsampling(37, 53, 26)).isEqualTo(1);
            assertThat(BoundedDecoder.subsampling(80, 60, 36)).isEqualTo(1);
        }

        @Test
        void anImageBelowTwiceTheTargetDecodesInFull() throws Exception {
            byte[] png = uniformRgb8Png(71, 140);

            RgbImage image = new ImagePreprocessor(DEIT32).decode(png);

            assertThat(image.width()).isEqualTo(71);
            assertThat(image.height()).isEqualTo(140);
        }
    }

    @Nested
    class Budget {

        @Test
        void countsTheDecodersSampleSizeAndTheRgbCopy() throws Exception {
            // 1000 x 36 is not subsampled (36 is the resize target): 36000 pixels.
            byte[] wide16 = uniformRgba16Png(1000, 36, RGBA16);
            byte[] wide8 = uniformRgb8Png(1000, 36);

            // 16-bit RGBA: 8 bytes per pixel decoded + 3 for the RGB copy.
            assertThat(budget(396_000).decode(wide16).width()).isEqualTo(1000);
            assertThatThrownBy(() -> budget(395_999).decode(wide16))
                    .isInstanceOf(DecodeBudgetException.class)
                    .hasMessage("png image is 1000 x 36 (64 bits per pixel decoded): decoding takes 396000 bytes,"
                            + " above the decode budget of 395999 bytes");
            // 8-bit RGB: 3 + 3.
            assertThat(budget(216_000).decode(wide8).width()).isEqualTo(1000);
            assertThatThrownBy(() -> budget(215_999).decode(wide8)).isInstanceOf(DecodeBudgetException.class);
        }

        @Test
        void refusesAnImageOverTheBudgetEvenSubsampled() throws Exception {
            byte[] png = Huge.PNG;

            assertThatThrownBy(() -> budget(10_000).preprocess(png))
                    .isInstanceOf(DecodeBudgetException.class)
                    .hasMessage("png image is 6000 x 6000 (64 bits per pixel decoded, subsampled 1/166 to 37 x 37):"
                            + " decoding takes 15059 bytes, above the decode budget of 10000 bytes");
        }

        @Test
        void anExtremeAspectRatioIsNotSubsampledAndHitsTheDefaultBudget() throws Exception {
            // 300000 x 40 (12 megapixels, under the pixel cap): the shorter side is close to the
            // target, so no subsampling; 12e6 x (8 + 3) bytes is above 64 MiB.
            byte[] png = uniformRgba16Png(300_000, 40, RGBA16);

            assertThatThrownBy(() -> new ImagePreprocessor(DEIT32).preprocess(png))
                    .isInstanceOf(DecodeBudgetException.class)
                    .hasMessageContaining("decoding takes 132000000 bytes, above the decode budget of 67108864");
        }

        @Test
        void theBudgetMustBePositive() {
            assertThatThrownBy(() -> budget(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxDecodedBytes must be > 0 but was 0");
            assertThat(new ImagePreprocessor(DEIT32).maxDecodedBytes()).isEqualTo(64L << 20);
        }
    }

    @Nested
    class ColourModels {

        @Test
        void cmykJpegIsRefusedNamingTheColourModel() throws Exception {
            byte[] cmyk = withAdobeMarker(fourComponentJpeg(), 0);

            assertThatThrownBy(() -> new ImagePreprocessor(DEIT32).preprocess(cmyk))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageStartingWith("CMYK jpeg image: 4-component colour is not decoded")
                    .hasMessageContaining("CMYK colour conversion that is not shipped");
        }

        @Test
        void ycckJpegIsRefusedNamingTheColourModel() throws Exception {
            byte[] ycck = withAdobeMarker(fourComponentJpeg(), 2);

            assertThatThrownBy(() -> new ImagePreprocessor(DEIT32).preprocess(ycck))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageStartingWith("YCCK jpeg image: 4-component colour is not decoded");
        }

        @Test
        void fourComponentJpegWithoutAnAdobeMarkerIsCmyk() throws Exception {
            assertThatThrownBy(() -> new ImagePreprocessor(DEIT32).preprocess(fourComponentJpeg()))
                    .isInstanceOf(ImageDecodeException.class)
                    .hasMessageStartingWith("CMYK jpeg image");
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static byte[] uniformRgb8Png(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, 0x1280ff);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
