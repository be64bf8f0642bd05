package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.data.SceneTesting.hsv;
import static org.tocomstream.data.SceneTesting.hueDistance;
import static org.tocomstream.data.SceneTesting.pixels;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tocomstream.data.SceneGenerator.Split;

class SceneGeneratorTest {

    private static final SceneConfig CONFIG = SceneConfig.defaults();
    private static final SceneGenerator GEN = SceneGenerator.of(CONFIG, 42);

    // ---- determinism ----

    @Test
    void sameSeedGivesTheSameBytes() {
        SceneGenerator again = SceneGenerator.of(CONFIG, 42);
        // Out of order on purpose: a sample depends on its index only.
        for (long i : new long[] {7, 0, 123_456_789_012L, 3}) {
            assertThat(again.sample(i).png()).isEqualTo(GEN.sample(i).png());
        }
    }

    @Test
    void differentSeedsDiffer() {
        SceneGenerator other = SceneGenerator.of(CONFIG, 43);
        for (long i = 0; i < 8; i++) {
            assertThat(pixels(other.sample(i).image()))
                    .isNotEqualTo(pixels(GEN.sample(i).image()));
        }
    }

    @Test
    void differentIndicesDiffer() {
        Set<Integer> hashes = new HashSet<>();
        for (long i = 0; i < 200; i++) {
            hashes.add(Arrays.hashCode(pixels(GEN.sample(i).image())));
        }
        assertThat(hashes).hasSize(200);
    }

    // ---- classes ----

    @Test
    void everyRunOfKTimesNIndicesIsBalanced() {
        int k = GEN.numClasses();
        for (long start : new long[] {0, 1, 5, 1_000_003}) {
            int[] counts = new int[k];
            for (long i = start; i < start + 12L * k; i++) {
                counts[GEN.classOf(i)]++;
            }
            assertThat(counts).as("from %d", start).containsOnly(12);
        }
    }

    @Test
    void samplesCarryValidLabels() {
        List<String> labels = GEN.labels();
        assertThat(labels)
                .hasSize(8)
                .containsExactlyElementsOf(
                        SceneClass.defaults().stream().map(SceneClass::name).toList());
        for (long i = 0; i < 40; i++) {
            Sample s = GEN.sample(i);
            assertThat(s.index()).isEqualTo(i);
            assertThat(s.label()).isEqualTo(GEN.classOf(i)).isBetween(0, 7);
            assertThat(s.labelName()).isEqualTo(labels.get(s.label()));
            assertThat(s.image().getWidth()).isEqualTo(64);
            assertThat(s.image().getHeight()).isEqualTo(64);
        }
    }

    @Test
    void classOrderDependsOnTheSeed() {
        Set<List<Integer>> orders = new HashSet<>();
        for (long seed = 0; seed < 10; seed++) {
            SceneGenerator g = SceneGenerator.of(CONFIG, seed);
            orders.add(List.of(g.classOf(0), g.classOf(1), g.classOf(2), g.classOf(3)));
        }
        assertThat(orders).hasSizeGreaterThan(1);
    }

    @Test
    void theObjectIsDrawnWhereThePlacementSaysInItsClassColour() {
        SceneGenerator clean = SceneGenerator.of(CONFIG.withNoiseStd(0), 5);
        for (long i = 0; i < 64; i++) {
            Sample s = clean.sample(i);
            SceneClass cls = CONFIG.classes().get(s.label());
            // A ring's centre is its hole: read its body halfway between the hole and the rim.
            double dx =
                    cls.shape() == SceneClass.Shape.RING ? 0.375 * s.object().size() : 0;
            int centre = s.image()
                    .getRGB((int) (s.object().centerX() + dx), (int) s.object().centerY());
            double[] hsv = hsv(centre);
            assertThat(hueDistance(hsv[0], cls.colour().hueDegrees()))
                    .as("hue of %s at its centre", s.labelName())
                    .isLessThan(SceneSampler.HUE_JITTER + 6);
            assertThat(hsv[1]).as("saturation").isGreaterThan(0.6);
        }
    }

    @Test
    void objectsVaryInScaleAndStayInsideTheCentredSquare() {
        SceneGenerator wide = SceneGenerator.of(CONFIG.withSize(96, 64), 9);
        double smallest = Double.MAX_VALUE;
        double largest = 0;
        for (long i = 0; i < 200; i++) {
            Placement p = wide.sample(i).object();
            double r = p.size() / 2;
            assertThat(p.centerX() - r).isGreaterThanOrEqualTo(16 - 1e-9);
            assertThat(p.centerX() + r).isLessThanOrEqualTo(80 + 1e-9);
            assertThat(p.centerY() - r).isGreaterThanOrEqualTo(-1e-9);
            assertThat(p.centerY() + r).isLessThanOrEqualTo(64 + 1e-9);
            smallest = Math.min(smallest, p.size());
            largest = Math.max(largest, p.size());
        }
        assertThat(smallest).isBetween(0.25 * 64, 0.3 * 64);
        assertThat(largest).isBetween(0.55 * 64, 0.6 * 64);
    }

    @Test
    void anUprightBarIsThreeTimesAsLongAsItIsWide() {
        SceneGenerator bars = SceneGenerator.of(
                CONFIG.withClasses(List.of(SceneClass.parse("blue_bar"), SceneClass.parse("red_bar")))
                        .withRotation(false)
                        .withNoiseStd(0)
                        .withMaxDistractors(0),
                3);
        for (long i = 0; i < 16; i++) {
            Sample s = bars.sample(i);
            Placement p = s.object();
            double hue = SceneClass.parse(s.labelName()).colour().hueDegrees();
            // Half-length 0.95 of the radius, half-width a third of that (0.32): blue at 0.8 of
            // the radius along x, never at 0.5 of it along y.
            double r = p.size() / 2;
            int along = s.image().getRGB((int) (p.centerX() + 0.8 * r), (int) p.centerY());
            int across = s.image().getRGB((int) p.centerX(), (int) (p.centerY() + 0.5 * r));
            assertThat(hueDistance(hsv(along)[0], hue))
                    .as("scene %d along the bar", i)
                    .isLessThan(SceneSampler.HUE_JITTER + 6);
            assertThat(hsv(across)[1] > 0.6 && hueDistance(hsv(across)[0], hue) < 20)
                    .as("scene %d across the bar is background", i)
                    .isFalse();
        }
    }

    @Test
    void withoutRotationShapesAreUpright() {
        SceneGenerator upright = SceneGenerator.of(CONFIG.withRotation(false), 1);
        for (long i = 0; i < 16; i++) {
            assertThat(upright.sample(i).object().angle()).isZero();
        }
    }

    @Test
    void rejectsNegativeIndices() {
        assertThatThrownBy(() -> GEN.sample(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("index");
    }

    // ---- splits ----

    @Test
    void splitsShareSeedAndClassOrderButNoScene() {
        SceneGenerator val = GEN.split(Split.VALIDATION);
        SceneGenerator test = GEN.split(Split.TEST);
        assertThat(GEN.split()).isEqualTo(Split.TRAIN);
        assertThat(test.split()).isEqualTo(Split.TEST);
        assertThat(test.seed()).isEqualTo(GEN.seed());
        assertThat(test.split(Split.TRAIN).sample(3).png())
                .isEqualTo(GEN.sample(3).png());

        Set<Integer> seen = new HashSet<>();
        int rendered = 0;
        for (SceneGenerator g : List.of(GEN, val, test)) {
            for (long i = 0; i < 300; i++) {
                assertThat(g.classOf(i)).isEqualTo(GEN.classOf(i));
                seen.add(Arrays.hashCode(pixels(g.sample(i).image())));
                rendered++;
            }
        }
        assertThat(seen).hasSize(rendered);
    }
}
