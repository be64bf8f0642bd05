package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Cameras showing a video: each a continuous camera from its own offset, frames at the camera frame size. */
class VideoCamerasTest {

    @Test
    void cameraIShowsTheVideoFromFrameITimesLenOverNOnAndWrapsToItsStart() {
        // 10 frames, 4 cameras: offsets 0, 2, 5, 7.
        assertThat(VideoCameras.index(0, 0, 4, 10)).isZero();
        assertThat(VideoCameras.index(1, 0, 4, 10)).isEqualTo(2);
        assertThat(VideoCameras.index(2, 0, 4, 10)).isEqualTo(5);
        assertThat(VideoCameras.index(3, 0, 4, 10)).isEqualTo(7);
        assertThat(VideoCameras.index(3, 2, 4, 10)).isEqualTo(9);
        assertThat(VideoCameras.index(3, 3, 4, 10)).isZero(); // the wrap: a jump back to the pool's start
    }

    @Test
    void poolsTheClipsFramesScaledToTheShorterSideAsJpeg() throws Exception {
        VideoCameras v = VideoCameras.open(Path.of("src/test/resources/video/mpeg4-xvid.avi"), 32, 2);
        assertThat(v.pool()).hasSize(4);
        assertThat(v.description()).contains("mpeg4-xvid.avi", "4 frames pooled");
        assertThat(v.cameras().truthKind()).isEqualTo(PipelineRuns.TRUTH_PLAIN_TOP1);
        BufferedImage first =
                ImageIO.read(new ByteArrayInputStream(v.pool().get(0).bytes()));
        // 160 x 120: the shorter side becomes 32, the aspect kept.
        assertThat(first.getHeight()).isEqualTo(32);
        assertThat(first.getWidth()).isEqualTo(43);
        assertThat(v.pool().get(0).contentType()).isEqualTo("image/jpeg");
        // Camera 1 starts at frame 2; its frame 1 is pool frame 3.
        assertThat(v.cameras().frames().next(1, 1)).isSameAs(v.pool().get(3));
    }
}
