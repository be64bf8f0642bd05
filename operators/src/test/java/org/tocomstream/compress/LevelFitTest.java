package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tocomstream.model.VitConfig;

/** {@link CompressionLevel#fits}: which families run on which models. */
class LevelFitTest {

    private static final TokenGeometry DEMO = VitConfig.preset("vit_demo").geometry();
    private static final TokenGeometry DEIT_S =
            VitConfig.preset("deit_small_patch16_224").geometry();
    private static final TokenGeometry DISTILLED =
            VitConfig.preset("deit_test_tiny_distilled").geometry();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "none",
                "tome:8",
                "tome:40",
                "tome-decreasing:8",
                "tome:8,8,4,4,4,4,4,4,4,4,4,4,4,4,4,4",
                "evit:0.7",
                "evit:0.5@2,5,20",
                "gtp:8",
                "gtp:60,theta=0.6",
                "idle:0.7",
                "idle:0.5@4,8,30",
                "idle:0.7,0.5@4,8"
            })
    void everyFamilyButDiffRateFitsEveryModel(String text) {
        CompressionLevel level = CompressionLevel.parse(text);
        for (TokenGeometry model : new TokenGeometry[] {DEMO, DEIT_S, DISTILLED}) {
            assertThat(level.fits(model)).as("%s on %s", text, model).isTrue();
            assertThat(level.misfit(model, "the model")).isEmpty();
            level.requireFits(model);
        }
    }

    @Test
    void aPublishedDiffRateScheduleFitsOnlyItsTokenCountAndDepth() {
        CompressionLevel level = CompressionLevel.parse("diffrate:deit-s@2.9");

        assertThat(level.fits(DEIT_S)).isTrue();
        assertThat(level.fits(DEMO)).isFalse();
        assertThat(level.misfit(DEMO, "the model vit_demo"))
                .hasValueSatisfying(why -> assertThat(why)
                        .startsWith("needs 197 tokens and 12 blocks; the model vit_demo has 65 tokens and 12 blocks"));
        assertThatThrownBy(() -> level.requireFits(DEMO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("compression level diffrate:deit-s@2.9 needs 197 tokens and 12 blocks;"
                        + " the model has 65 tokens and 12 blocks");
    }

    @Test
    void anInlineDiffRateScheduleFitsItsModel() {
        CompressionLevel level = CompressionLevel.parse(
                "diffrate:65,62,50,52,44,60,36,30,26,20,16,6/65,58,56,46,44,40,34,28,24,18,14,3");

        assertThat(level.fits(DEMO)).isTrue();
        assertThat(level.fits(DEIT_S)).isFalse();
        assertThat(level.misfit(DEIT_S, "the model"))
                .hasValueSatisfying(
                        why -> assertThat(why).startsWith("needs 65 tokens and 12 blocks; the model has 197"));
    }

    @Test
    void aDiffRateScheduleMustKeepMoreThanThePrefixTokens() {
        CompressionLevel level =
                CompressionLevel.parse("diffrate:66,60,50,40,30,20,10,8,6,4,3,3/66,60,50,40,30,20,10,8,6,4,3,2");

        assertThat(level.fits(DISTILLED)).isFalse();
        assertThat(level.misfit(DISTILLED, "the model"))
                .hasValue(
                        "keeps 2 tokens in some block; the model has 2 prefix tokens, and every count must exceed them");
    }
}
