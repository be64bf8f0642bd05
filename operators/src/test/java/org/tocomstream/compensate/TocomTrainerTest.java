package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.testutils.FreedBuffers;
import org.tocomstream.testutils.RandomWeights;

/** Self-distillation ({@code src/docs/token-reduction.md}, Token Compensator invariants): the pair draws, learning, resuming. */
class TocomTrainerTest {

    private static final Map<String, HostTensor> BASE = RandomWeights.of(TocomTesting.TINY, 5);
    private static final SceneGenerator SCENES = SceneGenerator.of(SceneConfig.defaults(), 3);

    private static TrainingData images(SceneGenerator.Split split, int n) {
        return new GeneratedData(
                SCENES.split(split),
                n,
                new ImagePreprocessor(TocomTesting.spec().preprocessing()));
    }

    private static TocomTrainer trainer(CompensatorConfig plugin, TocomTrainConfig cfg) {
        return new TocomTrainer(TocomTesting.spec(), BASE, TocomTesting.BASE_SHA, plugin, cfg, Device.cpu());
    }

    @Test
    void aZeroPluginsLossIsTheKlBetweenTheTwoCompressedModels() {
        // Item 16: with U = 0 the student is ToMe(r_tgt) exactly, so the loss is KL(ToMe(r_src) ‖ ToMe(r_tgt)).
        TokenCompensator zero = TokenCompensator.initial(TocomTesting.TINY, "x", TocomTesting.CONFIG, 1);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            VitForward forward = baseForward(m);
            NDArray[][] down = arrays(m, zero, false);
            NDArray[][] up = arrays(m, zero, true);
            NDArray x = m.create(TocomTesting.pixels(6, 8), new Shape(TocomTesting.shape(6)));
            CompensatorPair pair = new CompensatorPair(0, 4);
            NDArray teacher = forward.forward(x, CompressionLevel.tome(0));
            SideBranchAdapter adapter = Distillation.trainingAdapter(down, up, pair, TocomTesting.CONFIG, m);
            float loss = Distillation.distillationLoss(forward, x, teacher, DegreeSchedule.CONSTANT, pair, adapter)
                    .getFloat();

            float[] t = teacher.toFloatArray();
            float[] s = forward.forward(x, CompressionLevel.tome(4)).toFloatArray();
            double expected = 0;
            for (int b = 0; b < 6; b++) {
                expected += hostKl(t, s, b * 5, 5) / 6;
            }
            // fp32 log-softmax vs a double reference on 5 classes
            assertThat((double) loss).isCloseTo(expected, within(1e-6));
            assertThat(expected).isGreaterThan(1e-4); // the two degrees do differ
        }
    }

    @Test
    void thePluginsGradientSurvivesACollectionBetweenForwardAndBackward() throws Exception {
        // The attention scale was a DJL number operand whose memory the collector freed before the
        // backward pass: every q adapter's gradient was scaled by freed memory, now and then NaN.
        float[][] clean = pluginGradient(false);
        float[][] collected = pluginGradient(true);
        for (int i = 0; i < clean.length; i++) {
            for (int j = 0; j < clean[i].length; j++) {
                // equal but for the kernels' summation order; the bug gave NaN or ~1e29
                assertThat(collected[i][j]).isCloseTo(clean[i][j], within(1e-6f + 1e-4f * Math.abs(clean[i][j])));
            }
        }
        assertThat(clean[0]).isNotEqualTo(new float[clean[0].length]); // the q side gets a gradient
    }

    /** Gradients of block 0's q down and v down for one distillation step at pair 0 -> 4. */
    private static float[][] pluginGradient(boolean collectBeforeBackward) throws InterruptedException {
        TokenCompensator plugin = TokenCompensator.initial(TocomTesting.TINY, "x", TocomTesting.CONFIG, 1);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            VitForward forward = baseForward(m);
            NDArray[][] down = arrays(m, plugin, false);
            NDArray[][] up = arrays(m, plugin, true);
            for (NDArray[] projection : up) {
                for (int i = 0; i < projection.length; i++) {
                    projection[i] = projection[i].add(0.05f); // non-zero: the down projections get a gradient
                }
            }
            NDArray x = m.create(TocomTesting.pixels(6, 8), new Shape(TocomTesting.shape(6)));
            CompensatorPair pair = new CompensatorPair(0, 4);
            NDArray teacher = forward.forward(x, CompressionLevel.tome(0));
            SideBranchAdapter adapter = Distillation.trainingAdapter(down, up, pair, TocomTesting.CONFIG, m);
            try (ai.djl.training.GradientCollector gc =
                    ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss =
                        Distillation.distillationLoss(forward, x, teacher, DegreeSchedule.CONSTANT, pair, adapter);
                List<java.nio.ByteBuffer> poison = collectBeforeBackward ? FreedBuffers.collectAndPoison() : List.of();
                gc.backward(loss);
                assertThat(poison.size()).isIn(0, 2000);
            }
            return new float[][] {
                down[Projection.Q.ordinal()][0].getGradient().toFloatArray(),
                down[Projection.V.ordinal()][0].getGradient().toFloatArray()
            };
        }
    }

    @Test
    void pairsDifferAreUniformlySpreadAndRepeatForASeed() {
        Set<CompensatorPair> seen = new HashSet<>();
        for (long step = 0; step < 400; step++) {
            CompensatorPair p = Distillation.drawPair(7, step, 4);
            assertThat(p.isIdentity()).isFalse();
            assertThat(p.from()).isBetween(0, 4);
            assertThat(p.to()).isBetween(0, 4);
            assertThat(Distillation.drawPair(7, step, 4)).isEqualTo(p);
            seen.add(p);
        }
        assertThat(seen).hasSize(20); // every ordered pair of 0..4 with m != n
    }

    @Test
    void aShortRunLowersHeldOutKl(@TempDir Path dir) throws IOException {
        List<TocomProgress> reports = new ArrayList<>();
        Path file = dir.resolve("tocom.safetensors");
        TocomTrainer.Summary s = trainer(
                        new CompensatorConfig(4, 4, 1.0),
                        TocomTrainConfig.defaults(6, 32).withLogEverySteps(2))
                .train(
                        images(SceneGenerator.Split.TRAIN, 128),
                        images(SceneGenerator.Split.VALIDATION, 64),
                        TocomTrainer.defaultHeldOutPairs(4),
                        file,
                        reports::add);

        assertThat(s.steps()).isEqualTo(24);
        assertThat(reports.get(reports.size() - 1).line()).contains("step 24/24", "held-out kl");
        // 24 steps on a random-weight base remove about 17 % of the held-out KL (measured 0.83);
        // 0.9 leaves room for kernel rounding while still failing a plugin that learns nothing.
        assertThat(s.heldOutKlPlain()).isPositive();
        assertThat(s.heldOutKlCompensated()).isLessThan(0.9 * s.heldOutKlPlain());

        TokenCompensator plugin = TokenCompensator.load(file);
        assertThat(plugin.config()).isEqualTo(new CompensatorConfig(4, 4, 1.0));
        assertThat(plugin.baseWeightsSha256()).isEqualTo(TocomTesting.BASE_SHA);
        assertThat(TocomTrainer.stateDir(file).resolve(TocomTrainer.STATE_FILE)).exists();
    }

    @Test
    void aShortRunOverTheDecreasingScheduleLowersItsHeldOutKl(@TempDir Path dir) throws IOException {
        // The same run with degrees standing for tome-decreasing:r: teacher and student at those
        // levels, so the plugin learns that schedule's mismatch.
        Path file = dir.resolve("tocom.safetensors");
        CompensatorConfig config = new CompensatorConfig(4, 4, 1.0, DegreeSchedule.DECREASING);
        TocomTrainer.Summary s = trainer(
                        config, TocomTrainConfig.defaults(6, 32).withLogEverySteps(2))
                .train(
                        images(SceneGenerator.Split.TRAIN, 128),
                        images(SceneGenerator.Split.VALIDATION, 64),
                        TocomTrainer.defaultHeldOutPairs(4),
                        file,
                        p -> {});

        assertThat(s.heldOutKlPlain()).isPositive();
        assertThat(s.heldOutKlCompensated()).isLessThan(0.9 * s.heldOutKlPlain());
        assertThat(TokenCompensator.load(file).config().schedule()).isEqualTo(DegreeSchedule.DECREASING);
    }

    /**
     * libtorch's gradient mode is per thread and on by default; DJL turns it off only on the thread
     * that starts the engine. A run on any other thread (a task thread, a test after a streaming
     * job) must not depend on that: with it on, the optimizer's in-place update of the plugin's
     * leaf parameters is refused.
     */
    @Test
    void aRunOnAThreadThatDidNotStartTheEngineTrains(@TempDir Path dir) throws Exception {
        TocomTrainConfig cfg = TocomTrainConfig.defaults(1, 16).withSeed(3);
        TrainingData data = images(SceneGenerator.Split.TRAIN, 16);
        Path file = dir.resolve("thread.safetensors");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<TocomTrainer.Summary> summary = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                summary.set(trainer(TocomTesting.CONFIG, cfg).train(data, null, List.of(), file, p -> {}));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        assertThat(failure.get()).isNull();
        assertThat(summary.get().steps()).isEqualTo(1);
    }

    @Test
    void resumingContinuesTheSameRun(@TempDir Path dir) throws IOException {
        TocomTrainConfig cfg = TocomTrainConfig.defaults(2, 16)
                .withLearningRate(1e-2, 1e-4)
                .withCheckpointEverySteps(2)
                .withLogEverySteps(1)
                .withSeed(4);
        TrainingData data = images(SceneGenerator.Split.TRAIN, 48);
        Path whole = dir.resolve("whole.safetensors");
        Path cut = dir.resolve("cut.safetensors");
        trainer(TocomTesting.CONFIG, cfg).train(data, null, List.of(), whole, p -> {});
        assertThatThrownBy(() -> trainer(TocomTesting.CONFIG, cfg).train(data, null, List.of(), cut, p -> {
                    if (p.step() == 5) {
                        throw new IllegalStateException("simulated crash");
                    }
                }))
                .hasMessage("simulated crash");
        List<TocomProgress> resumed = new ArrayList<>();
        trainer(TocomTesting.CONFIG, cfg).train(data, null, List.of(), cut, resumed::add);

        assertThat(resumed.get(0).step()).isEqualTo(5); // from the checkpoint at step 4
        Map<String, HostTensor> a = TokenCompensator.load(whole).tensors();
        Map<String, HostTensor> b = TokenCompensator.load(cut).tensors();
        for (String k : a.keySet()) {
            float[] x = a.get(k).data();
            float[] y = b.get(k).data();
            for (int i = 0; i < x.length; i++) {
                // Same batches, pairs and optimizer state. Not bit-exact: under CPU load the
                // kernels' reduction order can change the last bits, and ToMe's argmax matching can
                // then flip a near-tie and change a step's gradient (seen: 5.4e-4, usually 0). A
                // resume bug (moments reset, schedule or data order restarted) moves weights by
                // about lr = 1e-2 per step.
                assertThat(y[i]).as(k).isCloseTo(x[i], within(2e-3f));
            }
        }
        assertThatThrownBy(
                        () -> trainer(TocomTesting.CONFIG, cfg.withSeed(5)).train(data, null, List.of(), cut, p -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds a run of 6 steps at batch 16, seed 4");
    }

    @Test
    void relativeWeightsAreInverseToThePlainKlPlusTheFloorAndAverageOne() {
        double[][] plain = {{0, 0.0002, 0.5}, {0.0003, 0, 0.3}, {0.6, 0.4, 0}};
        double[][] w = Distillation.pairWeights(plain, 0.001);
        double sum = 0;
        for (int m = 0; m < 3; m++) {
            assertThat(w[m][m]).isZero();
            for (int n = 0; n < 3; n++) {
                sum += w[m][n];
            }
        }
        assertThat(sum / 6).isCloseTo(1, within(1e-12));
        assertThat(w[0][1] / w[0][2]).isCloseTo((0.5 + 0.001) / (0.0002 + 0.001), within(1e-9));
        assertThat(w[1][0]).isLessThan(w[0][1]).isGreaterThan(w[1][2]);
    }

    @Test
    void thePlainKlTableIsTheHeldOutKlOfEachPair() {
        TrainingData data = images(SceneGenerator.Split.TRAIN, 20); // fewer than WEIGHT_IMAGES: all
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            VitForward forward = baseForward(m);
            double[][] table = Distillation.plainKlTable(forward, TocomTesting.CONFIG, data, m);
            assertThat(table).hasDimensions(5, 5);
            for (int a = 0; a < 5; a++) {
                assertThat(table[a][a]).isZero();
                for (int b = 0; b < 5; b++) {
                    if (a != b) {
                        double expected = Distillation.heldOutKl(
                                forward, null, null, TocomTesting.CONFIG, data, List.of(new CompensatorPair(a, b)), m);
                        // same images and forward passes, batched alike: fp32 summation order only
                        assertThat(table[a][b]).isCloseTo(expected, within(1e-6 + 1e-4 * expected));
                    }
                }
            }
            assertThat(table[0][4]).isGreaterThan(0);
        }
    }

    @Test
    void resumingWithAnotherPairWeightingIsAnError(@TempDir Path dir) throws IOException {
        TocomTrainConfig cfg = TocomTrainConfig.defaults(1, 16).withLogEverySteps(1);
        TrainingData data = images(SceneGenerator.Split.TRAIN, 32);
        Path file = dir.resolve("tocom.safetensors");
        trainer(TocomTesting.CONFIG, cfg.withRelativeFloor(0)).train(data, null, List.of(), file, p -> {});
        assertThatThrownBy(() -> trainer(TocomTesting.CONFIG, cfg).train(data, null, List.of(), file, p -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("relative floor 0.0, plugin")
                .hasMessageContaining("relative floor 0.001, plugin");
    }

    private static VitForward baseForward(NDManager m) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        BASE.forEach((k, t) -> w.put(k, m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
        return new VitForward(TocomTesting.TINY, w);
    }

    /** The plugin's (projection, block) down or up matrices as trainable arrays. */
    private static NDArray[][] arrays(NDManager m, TokenCompensator plugin, boolean up) {
        NDArray[][] out = new NDArray[2][TocomTesting.TINY.depth()];
        for (Projection p : Projection.values()) {
            for (int i = 0; i < out[p.ordinal()].length; i++) {
                out[p.ordinal()][i] = array(m, plugin.tensors().get(TokenCompensator.key(i, p, up)));
            }
        }
        return out;
    }

    private static NDArray array(NDManager m, HostTensor t) {
        NDArray a = m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
        a.setRequiresGradient(true);
        return a;
    }

    private static double hostKl(float[] t, float[] s, int off, int k) {
        double[] lt = logSoftmax(t, off, k);
        double[] ls = logSoftmax(s, off, k);
        double kl = 0;
        for (int c = 0; c < k; c++) {
            kl += Math.exp(lt[c]) * (lt[c] - ls[c]);
        }
        return kl;
    }

    private static double[] logSoftmax(float[] z, int off, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            max = Math.max(max, z[off + c]);
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            sum += Math.exp(z[off + c] - max);
        }
        double[] out = new double[k];
        for (int c = 0; c < k; c++) {
            out[c] = z[off + c] - max - Math.log(sum);
        }
        return out;
    }
}
