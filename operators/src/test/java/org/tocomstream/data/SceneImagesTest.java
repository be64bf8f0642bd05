package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.data.SceneTesting.pixels;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class SceneImagesTest {

    private static final Sample SAMPLE =
            SceneGenerator.of(SceneConfig.defaults().withSize(80, 48), 3).sample(11);

    @Test
    void pngRoundTripIsExact() {
        byte[] png = SAMPLE.png();

        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        BufferedImage decoded = SceneImages.decode(png);
        assertThat(decoded.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(pixels(decoded)).isEqualTo(pixels(SAMPLE.image()));
    }

    @Test
    void jpegRoundTripIsClose() {
        byte[] jpeg = SAMPLE.jpeg(0.95f);

        assertThat(jpeg).startsWith(0xff, 0xd8);
        int[] decoded = pixels(SceneImages.decode(jpeg));
        int[] original = pixels(SAMPLE.image());
        assertThat(decoded).hasSameSizeAs(original);
        double error = 0;
        for (int i = 0; i < decoded.length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                error += Math.abs(((decoded[i] >> shift) & 0xff) - ((original[i] >> shift) & 0xff));
            }
        }
        // Noisy textures at quality 0.95 with 4:2:0 chroma: a few levels on average.
        assertThat(error / (3.0 * decoded.length)).isLessThan(8);
        assertThat(SAMPLE.jpeg(0.3f).length).isLessThan(jpeg.length);
        assertThat(SceneImages.jpeg(SAMPLE.image())).isNotEmpty();
    }

    @Test
    void jpegQualityIsValidated() {
        assertThatThrownBy(() -> SAMPLE.jpeg(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("quality ");
        assertThatThrownBy(() -> SAMPLE.jpeg(1.5f)).hasMessageStartingWith("quality ");
    }

    @Test
    void bgrHasTheSamePixels() {
        BufferedImage bgr = SceneImages.toBgr(SAMPLE.image());

        assertThat(bgr.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
        assertThat(pixels(bgr)).isEqualTo(pixels(SAMPLE.image()));
        assertThat(SceneImages.toBgr(bgr)).isSameAs(bgr);
        assertThat(SceneImages.png(bgr)).isEqualTo(SAMPLE.png());
    }

    @Test
    void decodeRejectsNonImages() {
        assertThatThrownBy(() -> SceneImages.decode(new byte[] {1, 2, 3})).isInstanceOf(IllegalArgumentException.class);
    }
}
