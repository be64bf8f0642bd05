package org.tocomstream.job.ladder;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.tocomstream.data.CameraScene;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.data.SceneImages;
import org.tocomstream.data.SyntheticCamera;

class LadderFramesTest {

    @Test
    void aLimitBelowTheFolderSizeTakesEveryClassInTurn() {
        // Sorted as Files.walk(...).sorted() gives them: all of class a, then b, then c.
        List<Path> files = List.of(
                Path.of("r/a/1.png"),
                Path.of("r/a/2.png"),
                Path.of("r/a/3.png"),
                Path.of("r/b/1.png"),
                Path.of("r/b/2.png"),
                Path.of("r/c/1.png"));
        assertThat(LadderFrames.roundRobinByDirectory(files, 4))
                .containsExactly(
                        Path.of("r/a/1.png"), Path.of("r/b/1.png"), Path.of("r/c/1.png"), Path.of("r/a/2.png"));
        assertThat(LadderFrames.roundRobinByDirectory(files, 100))
                .containsExactly(
                        Path.of("r/a/1.png"),
                        Path.of("r/b/1.png"),
                        Path.of("r/c/1.png"),
                        Path.of("r/a/2.png"),
                        Path.of("r/b/2.png"),
                        Path.of("r/a/3.png"));
    }

    @Test
    void cameraFramesTakeTheCamerasInTurnAcrossSegmentsWithTheirLabels() throws Exception {
        SceneGenerator generator = SceneGenerator.of(SceneConfig.defaults().withSize(48, 48), 4);
        LadderFrames frames = LadderFrames.cameras(generator, 3, 30, false, "cams");
        assertThat(frames.size()).isEqualTo(30);
        assertThat(frames.labelled()).isTrue();
        SceneGenerator test = generator.split(SceneGenerator.Split.TEST);
        int stride = test.config().segmentFrames() / 4;
        Set<Integer> classes = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            SyntheticCamera cam = test.camera("ladder-cam-" + (i % 3));
            long seq = (long) (i / 3) * stride;
            // The same frame, encoded as the cameras publish it, and the class it shows.
            assertThat(frames.encoded().get(i)).isEqualTo(cam.frame(seq).jpeg(SceneImages.DEFAULT_JPEG_QUALITY));
            assertThat(frames.labels()[i]).isEqualTo(cam.labelAt(seq));
            classes.add(frames.labels()[i]);
        }
        // Ten frames a camera, four a segment: three segments each, so several classes.
        assertThat(classes.size()).isGreaterThan(1);
        BufferedImage first =
                ImageIO.read(new ByteArrayInputStream(frames.encoded().get(0)));
        assertThat(first.getWidth()).isEqualTo(48);
    }

    @Test
    void aStaticSceneGeneratorGivesFixedCameraFramesWithTheSameLabels() {
        SceneConfig config = SceneConfig.defaults().withSize(48, 48);
        LadderFrames moving = LadderFrames.cameras(SceneGenerator.of(config, 4), 2, 8, false, "cams");
        LadderFrames fixed = LadderFrames.cameras(
                SceneGenerator.of(config.withCameraScene(CameraScene.STATIC), 4), 2, 8, false, "cams");
        SyntheticCamera cam = SceneGenerator.of(config.withCameraScene(CameraScene.STATIC), 4)
                .split(SceneGenerator.Split.TEST)
                .camera("ladder-cam-0");
        assertThat(fixed.labels()).containsExactly(moving.labels());
        assertThat(fixed.encoded().get(0)).isEqualTo(cam.frame(0).jpeg(SceneImages.DEFAULT_JPEG_QUALITY));
        assertThat(fixed.encoded().get(0)).isNotEqualTo(moving.encoded().get(0));
    }
}
