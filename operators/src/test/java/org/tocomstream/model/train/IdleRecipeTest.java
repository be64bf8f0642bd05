package org.tocomstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneClass;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;

/** IdleViT's fine-tuning recipe: its loss terms by hand, and a short run through the trainer. */
class IdleRecipeTest {

    /** Float rounding of a softmax, a log and a few sums on values of order 1. */
    private static final double TOL = 1e-6;

    /** Rows of W (each sums to 1) and two masks: sample 0 selects tokens 0 and 1, sample 1 tokens 0 and 2. */
    private static final float[] W = {0.5f, 0.3f, 0.2f, 0.1f, 0.6f, 0.3f, 0.2f, 0.2f, 0.6f};

    @Test
    void theTokenCutLossOfAHandMadeAttentionMatchesTheHandComputation() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // log W as the logits: the softmax gives W back.
            float[] logits = new float[18];
            for (int i = 0; i < 18; i++) {
                logits[i] = (float) Math.log(W[i % 9]);
            }
            NDArray meanLogits = m.create(logits, new Shape(2, 3, 3));
            NDArray mask = m.create(new float[] {1, 1, 0, 1, 0, 1}, new Shape(2, 3));
            // Sample 0, m = (1, 1, 0): inter (class column zeroed) = (0.2, 0.3, 0.2),
            //   intra = (0.8, 0.7, 0) against targets (1, 1, 0).
            // Sample 1, m = (1, 0, 1): inter = (0.3, 0.3, 0.2), intra = (0.7, 0, 0.8) against (1, 0, 1).
            double inter = (0.04 + 0.09 + 0.04 + 0.09 + 0.09 + 0.04) / 6;
            double intra = (0.04 + 0.09 + 0 + 0.09 + 0 + 0.04) / 6;
            assertThat(IdleRecipeLoss.tokenCut(meanLogits, mask).getFloat())
                    .isCloseTo((float) (inter + intra), within((float) TOL));
        }
    }

    @Test
    void theDistillationTermsMatchTheHandComputation() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // Teacher (3/4, 1/4), student (1/2, 1/2): KL = 3/4 ln(3/2) + 1/4 ln(1/2).
            NDArray student = m.create(new float[] {0, 0}, new Shape(1, 2));
            NDArray teacher = m.create(new float[] {(float) Math.log(3), 0}, new Shape(1, 2));
            double kl = 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5);
            assertThat((double) IdleRecipeLoss.logitKl(student, teacher).getFloat())
                    .isCloseTo(kl, within(TOL));
            // (3, 4) → (0.6, 0.8) against (1, 0): squared differences 0.16 and 0.64, mean 0.4.
            NDArray fs = m.create(new float[] {3, 4}, new Shape(1, 2));
            NDArray ft = m.create(new float[] {1, 0}, new Shape(1, 2));
            assertThat((double) IdleRecipeLoss.featureMse(fs, ft).getFloat()).isCloseTo(0.4, within(TOL));
        }
    }

    @Test
    void theRecipeNeedsAnIdleLevel() {
        TrainConfig config = TrainConfig.defaults(1, 16);
        assertThatThrownBy(() -> config.withIdleRecipe(IdleRecipe.defaults()))
                .hasMessage("IdleViT's fine-tuning recipe needs an idle level but the level is none");
        assertThat(config.withLevel(CompressionLevel.idle(0.7))
                        .withIdleRecipe(IdleRecipe.defaults())
                        .idleRecipe()
                        .distillWeight())
                .isEqualTo(10);
    }

    @Test
    void aShortFineTuneWithTheRecipeLowersItsLoss(@TempDir Path out) throws IOException {
        // 16 px, 4 px patches: 16 patches; 2 blocks, both idle at idle:0.7 (11 then 7 patches).
        VitConfig tiny = new VitConfig("idle_test", 16, 4, 3, 8, 32, 2, 2, 2.0, true, false, 1e-6);
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults().withClasses(SceneClass.ring()), 7);
        ModelSpec spec = ModelSpec.of(tiny, scenes.labels()).withPreprocessing(ModelSpec.PreprocessConfig.deitEval(16));
        TrainingData train = new GeneratedData(
                scenes.split(SceneGenerator.Split.TRAIN), 64, new ImagePreprocessor(spec.preprocessing()));
        // The recipe's 1e-5 moves a random model too little in 40 steps; 1e-4 shows the loss move.
        // Much more (5e-4) makes the first update jump the loss away from the teacher (x2), since the
        // normalised-feature term weighs 1000.
        TrainConfig config = TrainConfig.defaults(10, 16)
                .withLearningRate(1e-4, 1e-5)
                .withWarmupEpochs(0)
                .withAugment(false)
                .withLogEverySteps(1)
                .withLevel(CompressionLevel.idle(0.7))
                .withIdleRecipe(IdleRecipe.defaults());
        List<TrainProgress> reports = new ArrayList<>();
        new Trainer(spec, config, Device.cpu()).train(VitInit.truncatedNormal(tiny, 1), train, null, out, reports::add);

        assertThat(reports).hasSize(40);
        // Per-batch losses are noisy: compare the first and the last epoch's means (measured 3.08 and
        // 2.84 on this seed).
        double first = epochMean(reports, 0);
        double last = epochMean(reports, 9);
        assertThat(first).isFinite().isGreaterThan(Math.log(8) - 0.3); // CE near uniform plus the other terms
        assertThat(last).isLessThan(first * 0.95);
    }

    private static double epochMean(List<TrainProgress> reports, int epoch) {
        return reports.subList(4 * epoch, 4 * epoch + 4).stream()
                .mapToDouble(TrainProgress::loss)
                .average()
                .orElseThrow();
    }
}
