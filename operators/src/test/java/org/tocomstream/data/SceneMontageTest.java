package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** Keeps the montage writer that draws {@code src/docs/images/synthetic-scenes.png} working. */
class SceneMontageTest {

    @Test
    void rendersTwoClassesPerRowAndACameraRow() {
        SceneGenerator gen = SceneGenerator.of(SceneConfig.defaults(), 1);

        BufferedImage montage = SceneMontage.render(gen);

        int cell = 64 * SceneMontage.ZOOM + SceneMontage.GAP;
        assertThat(montage.getHeight()).isEqualTo((8 / 2 + 1) * cell);
        assertThat(montage.getWidth()).isEqualTo(2 * (SceneMontage.LABEL_WIDTH + SceneMontage.PER_CLASS * cell));
    }
}
