package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SceneConfigTest {

    private static final SceneConfig D = SceneConfig.defaults();

    @Test
    void defaultsAreTheDocumentedOnes() {
        assertThat(D.width()).isEqualTo(64);
        assertThat(D.height()).isEqualTo(64);
        assertThat(D.classes()).isEqualTo(SceneClass.defaults());
        assertThat(D.numClasses()).isEqualTo(8);
        assertThat(D.minScale()).isEqualTo(0.25);
        assertThat(D.maxScale()).isEqualTo(0.6);
        assertThat(D.rotation()).isTrue();
        assertThat(D.backgrounds()).containsExactly(Background.values());
        assertThat(D.noiseStd()).isEqualTo(10.0);
        assertThat(D.maxDistractors()).isEqualTo(3);
        assertThat(D.segmentFrames()).isEqualTo(32);
    }

    @Test
    void withersChangeOneField() {
        SceneConfig c = D.withSize(640, 480).withNoiseStd(0).withMaxDistractors(0);

        assertThat(c.width()).isEqualTo(640);
        assertThat(c.height()).isEqualTo(480);
        assertThat(c.noiseStd()).isZero();
        assertThat(c.maxDistractors()).isZero();
        assertThat(c.withSize(64, 64).withNoiseStd(10).withMaxDistractors(3)).isEqualTo(D);
    }

    @Test
    void backgroundsIterateInDeclarationOrderAndAreImmutable() {
        SceneConfig c = D.withBackgrounds(Set.of(Background.GRADIENT, Background.STRIPES, Background.CHECKER));

        assertThat(c.backgrounds()).containsExactly(Background.STRIPES, Background.CHECKER, Background.GRADIENT);
        assertThatThrownBy(() -> c.backgrounds().add(Background.VALUE_NOISE))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    // ---- validation ----

    @Test
    void rejectsBadFrameSize() {
        assertRejected(() -> D.withSize(15, 64), "width");
        assertRejected(() -> D.withSize(64, 4097), "height");
    }

    @Test
    void rejectsBadClasses() {
        assertRejected(() -> D.withClasses(List.of(SceneClass.parse("red_circle"))), "classes");
        assertRejected(
                () -> D.withClasses(List.of(SceneClass.parse("red_circle"), SceneClass.parse("RED_CIRCLE"))),
                "classes");
        assertRejected(() -> D.withClasses(Arrays.asList(SceneClass.parse("red_circle"), null)), "classes");
        assertRejected(() -> D.withClasses(null), "classes");
    }

    @Test
    void rejectsBadScale() {
        assertRejected(() -> D.withScale(0, 0.5), "minScale");
        assertRejected(() -> D.withScale(0.5, 0.4), "minScale");
        assertRejected(() -> D.withScale(Double.NaN, 0.4), "minScale");
        assertRejected(() -> D.withScale(0.3, 0.99), "maxScale");
        assertRejected(() -> D.withSize(16, 16).withScale(0.2, 0.5), "minScale");
    }

    @Test
    void rejectsBadBackgrounds() {
        assertRejected(() -> D.withBackgrounds(Set.of()), "backgrounds");
        assertRejected(() -> D.withBackgrounds(null), "backgrounds");
        assertThat(D.withBackgrounds(EnumSet.of(Background.CHECKER)).backgrounds())
                .containsExactly(Background.CHECKER);
    }

    @Test
    void rejectsBadNoiseClutterAndSegments() {
        assertRejected(() -> D.withNoiseStd(-1), "noiseStd");
        assertRejected(() -> D.withNoiseStd(Double.NaN), "noiseStd");
        assertRejected(() -> D.withNoiseStd(65), "noiseStd");
        assertRejected(() -> D.withMaxDistractors(-1), "maxDistractors");
        assertRejected(() -> D.withMaxDistractors(33), "maxDistractors");
        assertRejected(() -> D.withSegmentFrames(1), "segmentFrames");
    }

    private void assertRejected(Supplier<SceneConfig> build, String field) {
        assertThatThrownBy(build::get)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(field + " ")
                .hasMessageContaining("but was");
    }
}
