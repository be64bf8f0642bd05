package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.stream.testutils.TinyModels;
import org.tocomstream.testutils.RandomWeights;

/**
 * The stream applies a plugin over ladder rungs: a batch at a rung runs with Δ(trained rung → batch
 * rung), and its label names the pair by the two levels; a level that is not a rung runs plain.
 */
class RungCompensatedPredictorTest {

    private static final DegreeAxis RUNGS = DegreeAxis.parseLevels("none;tome:4;evit:0.7;idle:0.6");

    @Test
    void aBatchAtARungRunsWithTheRungPairAndItsLabelNamesIt(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 21);
        Path plugin = dir.resolve(TokenCompensator.FILE_NAME);
        // The fresh plugin's up projections are zero; one distinct random tensor set makes the delta show.
        TokenCompensator fresh = TokenCompensator.initial(
                TinyModels.CONFIG, TokenCompensator.weightsSha256(dir), CompensatorConfig.overLevels(2, 0.5, RUNGS), 3);
        java.util.Map<String, org.tocomstream.model.HostTensor> t = new java.util.LinkedHashMap<>();
        long seed = 5;
        for (var e : fresh.tensors().entrySet()) {
            var v = e.getValue();
            float[] data = RandomWeights.gaussian(seed++, v.data().length);
            for (int i = 0; i < data.length; i++) {
                data[i] *= 0.2f;
            }
            t.put(e.getKey(), new org.tocomstream.model.HostTensor(v.shape(), data));
        }
        TokenCompensator.of(TinyModels.CONFIG, fresh.baseWeightsSha256(), fresh.config(), t)
                .save(plugin);
        float[] pixels = RandomWeights.gaussian(9, 2 * 3 * 32 * 32);
        long[] shape = {2, 3, 32, 32};

        try (BatchPredictor predictor = PredictorFactory.sharedModel(ModelConfig.of(dir.toString()))
                        .open(new PredictorContext(0, List.of()));
                ModelRegistry.Lease lease = ModelRegistry.shared().acquire(dir, Device.cpu(), plugin)) {
            for (String rung : List.of("tome:4", "evit:0.7", "idle:0.6")) {
                CompressionLevel level = CompressionLevel.parse(rung);
                float[][] logits = predictor.logits(pixels, 2, level);
                assertThat(predictor.compensator(level)).isEqualTo("none->" + rung);
                assertThat(logits)
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape,
                                        ForwardContext.at(level)
                                                .withAdapter(lease.compensator().adapter(level))));
                assertThat(logits).as(rung).isNotEqualTo(lease.model().logits(pixels, shape, level));
            }
            CompressionLevel notARung = CompressionLevel.tome(2);
            assertThat(predictor.compensator(notARung)).isNull();
            assertThat(predictor.logits(pixels, 2, notARung))
                    .isDeepEqualTo(lease.model().logits(pixels, shape, notARung));
            assertThat(predictor.compensator(CompressionLevel.none())).isNull();
        }
    }
}
