package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.data.SceneTesting.pixels;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticCameraTest {

    private static final SceneConfig CONFIG = SceneConfig.defaults().withSegmentFrames(16);
    private static final SceneGenerator GEN = SceneGenerator.of(CONFIG, 11);

    @Test
    void framesAreRecomputableFromTheirSequenceNumber() {
        SyntheticCamera cam = GEN.camera("cam-1");
        SyntheticCamera again = SceneGenerator.of(CONFIG, 11).camera("cam-1");

        for (long n : new long[] {40, 3, 0, 1_000_000_007L}) {
            Frame f = cam.frame(n);
            assertThat(again.frame(n).png()).isEqualTo(f.png());
            assertThat(f.streamId()).isEqualTo("cam-1");
            assertThat(f.sequence()).isEqualTo(n);
        }
        assertThat(pixels(GEN.camera("cam-2").frame(3).image()))
                .isNotEqualTo(pixels(cam.frame(3).image()));
        assertThat(pixels(SceneGenerator.of(CONFIG, 12).camera("cam-1").frame(3).image()))
                .isNotEqualTo(pixels(cam.frame(3).image()));
    }

    @Test
    void labelIsFixedWithinASegmentAndChangesAtItsBoundary() {
        SyntheticCamera cam = GEN.camera("cam-1");
        for (long n = 0; n < 5 * 16; n++) {
            assertThat(cam.segmentOf(n)).isEqualTo(n / 16);
            assertThat(cam.labelAt(n)).isEqualTo(cam.labelAt(n / 16 * 16));
            if (n % 16 == 0 && n > 0) {
                assertThat(cam.labelAt(n)).isNotEqualTo(cam.labelAt(n - 1));
            }
        }
        Frame f = cam.frame(37);
        assertThat(f.segment()).isEqualTo(2);
        assertThat(f.label()).isEqualTo(cam.labelAt(37));
        assertThat(f.labelName()).isEqualTo(GEN.labels().get(f.label()));
    }

    @Test
    void eachCameraCyclesThroughAllClassesAndCamerasDifferInPhase() {
        Set<Integer> firstLabels = new HashSet<>();
        for (int c = 0; c < 16; c++) {
            SyntheticCamera cam = GEN.camera("cam-" + c);
            Set<Integer> seen = new HashSet<>();
            for (long s = 0; s < GEN.numClasses(); s++) {
                seen.add(cam.labelAt(s * 16 + 5));
            }
            assertThat(seen).hasSize(GEN.numClasses());
            firstLabels.add(cam.labelAt(0));
        }
        assertThat(firstLabels).hasSizeGreaterThan(1);
    }

    @Test
    void objectMovesSmoothlyWithinASegment() {
        double minDim = 64;
        for (String id : new String[] {"a", "b", "c", "d"}) {
            SyntheticCamera cam = GEN.camera(id);
            for (long segment = 0; segment < 3; segment++) {
                Placement first = cam.frame(segment * 16).object();
                Placement last = cam.frame(segment * 16 + 15).object();
                for (long n = segment * 16; n < segment * 16 + 15; n++) {
                    Placement p = cam.frame(n).object();
                    Placement q = cam.frame(n + 1).object();
                    double step = Math.hypot(q.centerX() - p.centerX(), q.centerY() - p.centerY());
                    assertThat(step)
                            .as("%s frame %d", id, n)
                            .isGreaterThan(0.05)
                            .isLessThan(0.1 * minDim);
                    assertThat(Math.abs(q.angle() - p.angle())).isLessThanOrEqualTo(Math.toRadians(3) + 1e-9);
                    assertThat(q.size() / p.size()).isBetween(0.97, 1.03);
                }
                double travel = Math.hypot(last.centerX() - first.centerX(), last.centerY() - first.centerY());
                assertThat(travel).as("%s segment %d travel", id, segment).isGreaterThan(0.05 * minDim);
            }
        }
    }

    @Test
    void onlyTheObjectChangesBetweenNoiselessFrames() {
        SyntheticCamera cam = SceneGenerator.of(CONFIG.withNoiseStd(0), 4).camera("cam-0");
        for (long n = 0; n < 15; n++) {
            Frame a = cam.frame(n);
            Frame b = cam.frame(n + 1);
            int[] pa = pixels(a.image());
            int[] pb = pixels(b.image());
            int changed = 0;
            for (int i = 0; i < pa.length; i++) {
                if (pa[i] != pb[i]) {
                    changed++;
                    double x = i % 64 + 0.5;
                    double y = i / 64 + 0.5;
                    assertThat(Math.min(distance(a.object(), x, y), distance(b.object(), x, y)))
                            .as("changed pixel (%s, %s) of frame %d", x, y, n)
                            .isLessThanOrEqualTo(2);
                }
            }
            assertThat(changed).as("pixels changed after frame %d", n).isPositive();
        }
    }

    @Test
    void largeFramesKeepTheObjectInTheCentredSquare() {
        SyntheticCamera cam =
                SceneGenerator.of(SceneConfig.defaults().withSize(320, 240), 2).camera("hd");
        for (long n = 0; n < 64; n += 7) {
            Frame f = cam.frame(n);
            Placement p = f.object();
            assertThat(f.image().getWidth()).isEqualTo(320);
            assertThat(f.image().getHeight()).isEqualTo(240);
            assertThat(p.centerX() - p.size() / 2).isGreaterThanOrEqualTo(40 - 1e-9);
            assertThat(p.centerX() + p.size() / 2).isLessThanOrEqualTo(280 + 1e-9);
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> GEN.camera("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GEN.camera("x").frame(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence");
    }

    /** Distance from (x, y) to the object's bounding circle; 0 inside. */
    private static double distance(Placement p, double x, double y) {
        return Math.max(0, Math.hypot(x - p.centerX(), y - p.centerY()) - p.size() / 2);
    }
}
