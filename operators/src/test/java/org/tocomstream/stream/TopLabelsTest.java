package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.tocomstream.testutils.RandomWeights;

class TopLabelsTest {

    private static List<String> names(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("c" + i);
        }
        return out;
    }

    @Test
    void matchesAFullSortOfTheSoftmax() {
        for (long seed = 0; seed < 20; seed++) {
            float[] logits = RandomWeights.gaussian(seed, 1000);
            double max =
                    IntStream.range(0, 1000).mapToDouble(i -> logits[i]).max().orElseThrow();
            double sum = IntStream.range(0, 1000)
                    .mapToDouble(i -> Math.exp(logits[i] - max))
                    .sum();
            List<Integer> order = IntStream.range(0, 1000)
                    .boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -logits[i]))
                    .toList();

            List<LabelRecord.Label> top = TopLabels.of(logits, names(1000), 5);

            assertThat(top).hasSize(5);
            for (int k = 0; k < 5; k++) {
                int cls = order.get(k);
                assertThat(top.get(k).label()).isEqualTo("c" + cls);
                assertThat(top.get(k).score()).isCloseTo(Math.exp(logits[cls] - max) / sum, within(1e-12));
            }
        }
    }

    @Test
    void tiesGoToTheLowerClassAndKIsCappedByTheClasses() {
        List<LabelRecord.Label> top = TopLabels.of(new float[] {1, 3, 1, 3}, names(4), 9);
        assertThat(top).extracting(LabelRecord.Label::label).containsExactly("c1", "c3", "c0", "c2");
        assertThat(top.stream().mapToDouble(LabelRecord.Label::score).sum()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void aNonFiniteLogitIsAnError() {
        assertThatThrownBy(() -> TopLabels.of(new float[] {0, Float.NaN, 1}, names(3), 2))
                .hasMessage("model returned a non-finite logit NaN for class 1");
        assertThatThrownBy(() -> TopLabels.of(new float[] {Float.POSITIVE_INFINITY, 0, 1}, names(3), 2))
                .hasMessageContaining("non-finite logit Infinity for class 0");
    }

    @Test
    void aRowOfTheWrongLengthIsAnError() {
        assertThatThrownBy(() -> TopLabels.of(new float[3], names(4), 2))
                .hasMessage("model returned 3 logits per frame but has 4 labels");
    }
}
