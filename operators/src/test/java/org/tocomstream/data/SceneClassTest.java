package org.tocomstream.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tocomstream.data.SceneClass.Colour;
import org.tocomstream.data.SceneClass.Shape;

class SceneClassTest {

    @Test
    void defaultSetGivesEveryClassItsOwnColour() {
        List<SceneClass> classes = SceneClass.defaults();

        assertThat(classes).hasSize(8).doesNotHaveDuplicates();
        assertThat(countBy(classes, SceneClass::colour)).hasSize(8);
        assertThat(countBy(classes, SceneClass::shape)).hasSizeGreaterThan(4);
    }

    @Test
    void ringNeedsBothShapeAndColour() {
        List<SceneClass> classes = SceneClass.ring();

        assertThat(classes).hasSize(8).doesNotHaveDuplicates();
        // Neither the hue alone nor the outline alone narrows a scene down to one class.
        assertThat(countBy(classes, SceneClass::shape))
                .hasSize(4)
                .allSatisfy((s, n) -> assertThat(n).isEqualTo(2));
        assertThat(countBy(classes, SceneClass::colour))
                .hasSize(4)
                .allSatisfy((c, n) -> assertThat(n).isEqualTo(2));
    }

    @Test
    void labelsAreColourUnderscoreShape() {
        assertThat(SceneClass.defaults())
                .extracting(SceneClass::name)
                .containsExactly(
                        "red_circle",
                        "orange_square",
                        "yellow_triangle",
                        "green_cross",
                        "cyan_star",
                        "blue_ring",
                        "purple_square",
                        "magenta_triangle");
        assertThat(SceneClass.ring())
                .extracting(SceneClass::name)
                .containsExactly(
                        "red_circle",
                        "green_circle",
                        "green_square",
                        "blue_square",
                        "blue_triangle",
                        "yellow_triangle",
                        "yellow_cross",
                        "red_cross");
    }

    @Test
    void parseRoundTripsEveryCombination() {
        for (SceneClass cls : SceneClass.grid(List.of(Shape.values()), List.of(Colour.values()))) {
            assertThat(SceneClass.parse(cls.name())).isEqualTo(cls);
        }
        assertThat(SceneClass.parse(" Blue_Star ")).isEqualTo(new SceneClass(Shape.STAR, Colour.BLUE));
    }

    @Test
    void parseNamesTheBadLabel() {
        for (String bad : new String[] {"circle", "red-circle", "pink_circle", "red_", ""}) {
            assertThatThrownBy(() -> SceneClass.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void gridIsShapeMajor() {
        assertThat(SceneClass.grid(List.of(Shape.RING, Shape.STAR), List.of(Colour.CYAN, Colour.RED)))
                .extracting(SceneClass::name)
                .containsExactly("cyan_ring", "red_ring", "cyan_star", "red_star");
    }

    private static <K> Map<K, Long> countBy(List<SceneClass> classes, Function<SceneClass, K> key) {
        return classes.stream().collect(Collectors.groupingBy(key, Collectors.counting()));
    }
}
