package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.data.SceneTesting.pixels;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StaticCameraTest {

    private static final int SIDE = 224;
    private static final int PATCH = 16;
    private static final SceneConfig STATIC =
            SceneConfig.defaults().withSize(SIDE, SIDE).withCameraScene(CameraScene.STATIC);
    private static final SceneGenerator GEN = SceneGenerator.of(STATIC, 5).split(SceneGenerator.Split.TEST);

    /**
     * Three cameras, two segments each (63 frame pairs, segment boundaries included). Measured: 10.4
     * % of the 196 patches change per frame on average, at most 20.9 % in one frame, largest step
     * 4.84 px. Rendering is bit-identical on every JVM, so the bounds need no slack for chance:
     * the mean must stay under 20 %, which a background or noise that changed per frame (every
     * patch changes) would break at once; a frame inside a segment must stay within the patches
     * that the object's bounding box in either frame can touch.
     */
    @Test
    void consecutiveFramesDifferInFewPatches() {
        int grid = SIDE / PATCH;
        double maxSize = STATIC.maxScale() * SIDE;
        long changed = 0;
        long compared = 0;
        for (String id : new String[] {"cam-0", "cam-1", "cam-2"}) {
            SyntheticCamera cam = GEN.camera(id);
            Frame previous = cam.frame(0);
            for (long n = 1; n < 2 * STATIC.segmentFrames(); n++) {
                Frame f = cam.frame(n);
                int frameChanged = changedPatches(pixels(previous.image()), pixels(f.image()), grid);
                changed += frameChanged;
                compared += grid * grid;
                if (f.segment() == previous.segment()) {
                    Placement p = f.object();
                    Placement q = previous.object();
                    double step = Math.hypot(p.centerX() - q.centerX(), p.centerY() - q.centerY());
                    assertThat(step).as("%s step to frame %d", id, n).isLessThan(6);
                    // One antialiasing pixel either side; a box of side s spans at most s/16 + 1 patches.
                    int span = (int) Math.ceil((maxSize + step + 2) / PATCH) + 1;
                    assertThat(frameChanged).as("%s frame %d", id, n).isLessThanOrEqualTo(span * span);
                }
                previous = f;
            }
        }
        assertThat(changed / (double) compared).isLessThan(0.2);
    }

    @Test
    void onlyPixelsNearTheObjectChangeAndTheBackgroundStaysAcrossSegments() {
        SyntheticCamera cam = GEN.camera("cam-7");
        int segment = STATIC.segmentFrames();
        for (long[] pair : new long[][] {{3, 4}, {segment - 1, segment}, {5, 5 + 7L * segment}, {0, 1_000_003}}) {
            Frame a = cam.frame(pair[0]);
            Frame b = cam.frame(pair[1]);
            int[] pa = pixels(a.image());
            int[] pb = pixels(b.image());
            int changed = 0;
            for (int i = 0; i < pa.length; i++) {
                double x = i % SIDE + 0.5;
                double y = i / SIDE + 0.5;
                if (pa[i] != pb[i]) {
                    changed++;
                    assertThat(Math.min(distance(a.object(), x, y), distance(b.object(), x, y)))
                            .as("changed pixel (%s, %s) between frames %d and %d", x, y, pair[0], pair[1])
                            .isLessThanOrEqualTo(2);
                }
            }
            assertThat(changed).as("frames %d and %d", pair[0], pair[1]).isPositive();
        }
        assertThat(pixels(GEN.camera("cam-8").frame(5).image()))
                .as("another stream id, another background")
                .isNotEqualTo(pixels(cam.frame(5).image()));
    }

    @Test
    void sameObjectsPathsAndLabelsAsTheDefaultScene() {
        SyntheticCamera fixed = GEN.camera("cam-3");
        SyntheticCamera moving = SceneGenerator.of(STATIC.withCameraScene(CameraScene.SEGMENTS), 5)
                .split(SceneGenerator.Split.TEST)
                .camera("cam-3");
        assertThat(fixed.scene()).isEqualTo(CameraScene.STATIC);
        assertThat(moving.scene()).isEqualTo(CameraScene.SEGMENTS);
        for (long n : new long[] {0, 9, 31, 32, 77, 500}) {
            Frame f = fixed.frame(n);
            Frame m = moving.frame(n);
            assertThat(f.label()).isEqualTo(m.label()).isEqualTo(fixed.labelAt(n));
            assertThat(f.labelName()).isEqualTo(m.labelName());
            assertThat(f.object()).isEqualTo(m.object());
            assertThat(pixels(f.image())).isNotEqualTo(pixels(m.image()));
        }
    }

    /**
     * The default scene's pixels, pinned: the hashes were taken from the renderer before {@link
     * CameraScene} existed, so adding the static scene left every default frame bit-identical.
     */
    @Test
    void defaultSceneIsUnchanged() {
        SyntheticCamera cam = SceneGenerator.of(SceneConfig.defaults().withSegmentFrames(16), 11)
                .camera("cam-1");
        assertThat(cam.scene()).isEqualTo(CameraScene.SEGMENTS);
        long[] frames = {0, 17, 40, 1000};
        int[] expected = {1737976370, -164400911, 44299647, -904417617};
        for (int i = 0; i < frames.length; i++) {
            assertThat(Arrays.hashCode(pixels(cam.frame(frames[i]).image())))
                    .as("frame %d", frames[i])
                    .isEqualTo(expected[i]);
        }
        SyntheticCamera hd = SceneGenerator.of(SceneConfig.defaults().withSize(320, 240), 2)
                .split(SceneGenerator.Split.TEST)
                .camera("cam-0");
        assertThat(Arrays.hashCode(pixels(hd.frame(45).image()))).isEqualTo(1775596201);
    }

    @Test
    void sceneTextForms() {
        assertThat(CameraScene.parse("static")).isEqualTo(CameraScene.STATIC);
        assertThat(CameraScene.parse(" Segments ")).isEqualTo(CameraScene.SEGMENTS);
        assertThat(CameraScene.STATIC.text()).isEqualTo("static");
        assertThatThrownBy(() -> CameraScene.parse("still"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segments or static")
                .hasMessageContaining("'still'");
        assertThatThrownBy(() -> SceneConfig.defaults().withCameraScene(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cameraScene");
    }

    /** Distance from (x, y) to the object's bounding circle; 0 inside. */
    private static double distance(Placement p, double x, double y) {
        return Math.max(0, Math.hypot(x - p.centerX(), y - p.centerY()) - p.size() / 2);
    }

    /** The number of {@code PATCH × PATCH} patches with at least one pixel that differs. */
    private static int changedPatches(int[] a, int[] b, int grid) {
        int count = 0;
        for (int py = 0; py < grid; py++) {
            for (int px = 0; px < grid; px++) {
                if (patchDiffers(a, b, px, py)) {
                    count++;
                }
            }
        }
        return count;
    }

    private static boolean patchDiffers(int[] a, int[] b, int px, int py) {
        for (int y = py * PATCH; y < (py + 1) * PATCH; y++) {
            for (int x = px * PATCH; x < (px + 1) * PATCH; x++) {
                if (a[y * SIDE + x] != b[y * SIDE + x]) {
                    return true;
                }
            }
        }
        return false;
    }
}
