package org.tocomstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.data.SceneClass;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.DiffRateSoftForward;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.VitModel;

/** Training runs the channel-shuffle block with gradients, as it runs the plain one. */
class ShuffleTrainingTest {

    /** 16 px input, 4 px patches: 17 tokens, 2 blocks, 64 channels of which 32 attended. */
    private static final VitConfig TINY =
            new VitConfig("train_shuffle_test", 16, 4, 3, 8, 64, 2, 2, 2.0, true, false, 1e-6, 0.5);

    // The ring classes, as TrainerTest: shared colours keep the tiny model busy.
    private static final SceneGenerator SCENES =
            SceneGenerator.of(SceneConfig.defaults().withClasses(SceneClass.ring()), 7);

    private static ModelSpec spec() {
        return ModelSpec.of(TINY, SCENES.labels()).withPreprocessing(ModelSpec.PreprocessConfig.deitEval(16));
    }

    private static TrainingData data(SceneGenerator.Split split, int size) {
        return new GeneratedData(SCENES.split(split), size, new ImagePreprocessor(spec().preprocessing()));
    }

    @Test
    void aFewStepsLowerTheLossAndTheSavedModelIsTheShuffleModel(@TempDir Path out) throws IOException {
        List<TrainProgress> reports = new ArrayList<>();
        TrainConfig config = TrainConfig.defaults(15, 16)
                .withLearningRate(3e-3, 1e-4)
                .withWarmupEpochs(0.5)
                .withAugment(false)
                .withLogEverySteps(1);
        new Trainer(spec(), config, Device.cpu())
                .train(VitInit.sinCosPositions(TINY, 1), data(SceneGenerator.Split.TRAIN, 64), null, out, reports::add);

        assertThat(reports).hasSize(60); // 15 epochs x 4 steps
        double first = reports.get(0).loss();
        double last = reports.get(reports.size() - 1).loss();
        assertThat(first).isCloseTo(Math.log(8), within(0.3)); // untrained: near uniform over 8 classes
        assertThat(last).isLessThan(first * 0.8);
        try (VitModel model = VitModel.load(out, Device.cpu())) {
            assertThat(model.config()).isEqualTo(TINY);
            float[][] logits =
                    model.logits(new float[3 * 16 * 16], new long[] {1, 3, 16, 16}, CompressionLevel.tome(2));
            assertThat(logits[0]).hasSize(8);
        }
    }

    /** DiffRate's search simulates the shuffle model's inference exactly at one-hot rates. */
    @Test
    void oneHotDiffRateRatesSimulateTheShuffleModelsInference() {
        // 32 px, 4 px patches: 65 tokens, 4 blocks, 64 channels of which 32 attended.
        VitConfig cfg = new VitConfig("diffrate_shuffle", 32, 4, 3, 8, 64, 4, 2, 2.0, true, false, 1e-6, 0.5);
        int[] prune = {65, 50, 40, 60};
        int[] merge = {65, 45, 44, 20};
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            VitInit.truncatedNormal(cfg, 5)
                    .forEach((k, t) -> weights.put(k, m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
            DiffRateRates rates = new DiffRateRates(cfg.geometry(), m);
            for (int l = 1; l < cfg.depth(); l++) {
                hot(rates.logits().get(DiffRateRates.name("prune", l)), cfg.numTokens() - prune[l]);
                hot(rates.logits().get(DiffRateRates.name("merge", l)), cfg.numTokens() - merge[l]);
            }
            SplittableRandom rnd = new SplittableRandom(11);
            float[] px = new float[3 * 3 * 32 * 32];
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) rnd.nextGaussian();
            }
            NDArray images = m.create(px, new Shape(3, 3, 32, 32));
            DiffRateRates.Draw draw = rates.draw(m);
            NDArray soft =
                    new DiffRateSoftForward(cfg, weights).forward(images, draw.masks(0), draw.masks(1), draw.merge);
            DiffRateSchedule schedule = DiffRateSchedule.of(prune, merge);
            NDArray hard = new VitForward(cfg, weights).forward(images, CompressionLevel.diffRate(schedule));
            // As DiffRateSearchTest: only the order of float sums differs.
            assertThat(soft.sub(hard).abs().max().getFloat()).isLessThan(1e-4f);
            assertThat(hard.abs().max().getFloat()).isGreaterThan(1e-2f);
            // The search's differentiable cost counts the blocks at the attended width, as CostModel.
            double expected = CostModel.of(cfg.geometry()).gmacs(CompressionLevel.diffRate(schedule));
            assertThat((double) draw.gmacs().getFloat()).isCloseTo(expected, within(expected * 1e-6));
        }
    }

    private static void hot(NDArray logits, int index) {
        float[] v = new float[(int) logits.size()];
        v[index] = 1e4f;
        logits.set(FloatBuffer.wrap(v));
    }
}
