package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.testutils.RandomWeights;

/** CompensatorEvaluation's numbers against direct forward passes. */
class TocomEvaluationTest {

    /** Six random images, labelled 0..4 (or -1 for unlabelled). */
    private static TrainingData data(boolean labelled) {
        return TocomTesting.images(6, 100, labelled);
    }

    @Test
    void cellsMatchDirectForwardPassesAndAZeroScaleChangesNothing() {
        TokenCompensator plugin = TocomTesting.randomPlugin(3);
        List<CompensatorPair> grid =
                List.of(new CompensatorPair(0, 0), new CompensatorPair(0, 3), new CompensatorPair(3, 1));
        try (VitModel model = VitModel.fromWeights(
                        TocomTesting.spec(), RandomWeights.of(TocomTesting.TINY, 5), Device.cpu());
                BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH)) {
            List<String> progress = new ArrayList<>();
            List<CompensatorEvaluation.Cell> cells =
                    CompensatorEvaluation.run(model, tocom, data(true), grid, 0.5, 4, progress::add);

            assertThat(cells).hasSize(3);
            assertThat(cells.get(0).klPlain()).isZero();
            assertThat(cells.get(0).klCompensated()).isZero();
            // KL(0 -> 3) from the serving logits, in double on the host.
            float[] px = new float[6 * 768];
            for (int i = 0; i < 6; i++) {
                System.arraycopy(data(true).get(i, null).pixels(), 0, px, i * 768, 768);
            }
            float[][] at0 = model.logits(px, TocomTesting.shape(6), CompressionLevel.tome(0));
            float[][] at3 = model.logits(px, TocomTesting.shape(6), CompressionLevel.tome(3));
            float[][] at3c = model.logits(
                    px,
                    TocomTesting.shape(6),
                    ForwardContext.at(CompressionLevel.tome(3))
                            .withAdapter(tocom.adapter(new CompensatorPair(0, 3), CompensatorMode.SIDE_BRANCH, 0.5)));
            assertThat(cells.get(1).klPlain()).isCloseTo(meanKl(at0, at3), within(1e-9));
            assertThat(cells.get(1).klCompensated()).isCloseTo(meanKl(at0, at3c), within(1e-9));
            assertThat(cells.get(1).accuracyAtM()).isBetween(0.0, 1.0);
            assertThat(progress.get(progress.size() - 1)).startsWith("6/6 images at 3 pairs");

            List<CompensatorEvaluation.Cell> zero =
                    CompensatorEvaluation.run(model, tocom, data(false), grid, 0, 4, p -> {});
            for (CompensatorEvaluation.Cell c : zero) {
                assertThat(c.klCompensated()).isEqualTo(c.klPlain());
                assertThat(c.accuracyPlain()).isNaN();
            }
            assertThatThrownBy(() -> CompensatorEvaluation.run(
                            model, tocom, data(true), List.of(new CompensatorPair(0, 9)), 0.5, 4, p -> {}))
                    .hasMessage("compensator pair 0->9 is outside the degree range 0..4 of plugin tensors");
        }
    }

    @Test
    void allPairsCoversTheSquare() {
        assertThat(CompensatorEvaluation.allPairs(2))
                .hasSize(9)
                .startsWith(new CompensatorPair(0, 0))
                .endsWith(new CompensatorPair(2, 2));
    }

    private static double meanKl(float[][] p, float[][] q) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            sum += CompensatorEvaluation.kl(logSoftmax(p[i]), logSoftmax(q[i]));
        }
        return sum / p.length;
    }

    private static double[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double s = 0;
        for (float v : z) {
            s += Math.exp(v - max);
        }
        double[] out = new double[z.length];
        for (int c = 0; c < z.length; c++) {
            out[c] = z[c] - max - Math.log(s);
        }
        return out;
    }
}
