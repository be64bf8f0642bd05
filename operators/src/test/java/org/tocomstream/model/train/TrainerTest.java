package org.tocomstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneClass;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.VitModel;

class TrainerTest {

    /** 16 px input, 4 px patches: 17 tokens, 2 blocks; trains in seconds. */
    private static final VitConfig TINY = new VitConfig("train_test", 16, 4, 3, 8, 32, 2, 2, 2.0, true, false, 1e-6);

    // The ring classes (the set these thresholds were set on): shared colours keep the tiny model busy.
    private static final SceneGenerator SCENES =
            SceneGenerator.of(SceneConfig.defaults().withClasses(SceneClass.ring()), 7);

    private static ModelSpec spec() {
        return ModelSpec.of(TINY, SCENES.labels()).withPreprocessing(ModelSpec.PreprocessConfig.deitEval(16));
    }

    private static TrainingData data(SceneGenerator.Split split, int size) {
        return new GeneratedData(SCENES.split(split), size, new ImagePreprocessor(spec().preprocessing()));
    }

    private static TrainConfig config(int epochs) {
        return TrainConfig.defaults(epochs, 16)
                .withLearningRate(3e-3, 1e-4)
                .withWarmupEpochs(0.5)
                .withAugment(false)
                .withLogEverySteps(1);
    }

    @Test
    void aFewStepsLowerTheLoss(@TempDir Path out) throws IOException {
        List<TrainProgress> reports = new ArrayList<>();
        new Trainer(spec(), config(15), Device.cpu())
                .train(VitInit.truncatedNormal(TINY, 1), data(SceneGenerator.Split.TRAIN, 64), null, out, reports::add);

        assertThat(reports).hasSize(60); // 15 epochs x 4 steps
        double first = reports.get(0).loss();
        double last = reports.get(reports.size() - 1).loss();
        assertThat(first).isCloseTo(Math.log(8), within(0.3)); // untrained: near uniform over 8 classes
        assertThat(last).isLessThan(first * 0.8);
    }

    @Test
    void aNonFiniteLossStopsBeforeTheWeightsChangeAndKeepsTheLastCheckpoint(@TempDir Path out) throws IOException {
        TrainingData clean = data(SceneGenerator.Split.TRAIN, 64);
        // Epoch 1 (steps 1-4) is clean; the second epoch meets an image holding a NaN pixel.
        TrainingData poisoned = new TrainingData() {
            private int served;

            @Override
            public int size() {
                return clean.size();
            }

            @Override
            public List<String> labels() {
                return clean.labels();
            }

            @Override
            public Example get(int index, java.util.SplittableRandom augment) {
                Example ex = clean.get(index, augment);
                if (++served > 64) {
                    float[] px = ex.pixels().clone();
                    px[0] = Float.NaN;
                    return new Example(px, ex.label());
                }
                return ex;
            }
        };

        assertThatThrownBy(() -> new Trainer(spec(), config(2), Device.cpu())
                        .train(VitInit.truncatedNormal(TINY, 1), poisoned, null, out, p -> {}))
                .isInstanceOf(Trainer.NonFiniteLossException.class)
                .hasMessage(
                        "training loss is NaN at step 5; stopped before updating the weights (the checkpoint on disk is from step 4)");
        Map<String, HostTensor> weights = Safetensors.read(ModelSpec.read(out).weightsPath(out));
        assertThat(weights.values()).allSatisfy(t -> {
            for (float v : t.data()) {
                assertThat(v).isFinite();
            }
        });
    }

    @Test
    void checkpointRoundTripReproducesTheReportedAccuracy(@TempDir Path out) throws IOException {
        TrainingData val = data(SceneGenerator.Split.VALIDATION, 48);
        Trainer.TrainSummary s = new Trainer(spec(), config(2).withLevel(CompressionLevel.tome(2)), Device.cpu())
                .train(VitInit.truncatedNormal(TINY, 1), data(SceneGenerator.Split.TRAIN, 64), val, out, p -> {});

        ModelSpec saved = ModelSpec.read(out);
        assertThat(saved.trainedCompression()).isEqualTo(CompressionLevel.tome(2));
        Map<String, HostTensor> weights = Safetensors.read(saved.weightsPath(out));
        assertThat(Trainer.accuracy(TINY, weights, val, CompressionLevel.tome(2), Device.cpu()))
                .isEqualTo(s.validationAccuracy());
        try (VitModel model = VitModel.load(out, Device.cpu())) {
            assertThat(model.spec().labels()).isEqualTo(SCENES.labels());
        }
    }

    @Test
    void resumingContinuesTheSameSchedule(@TempDir Path whole, @TempDir Path interrupted) throws IOException {
        TrainConfig cfg = config(2).withAugment(true).withSeed(5);
        TrainingData train = data(SceneGenerator.Split.TRAIN, 48);
        assertThatThrownBy(() -> new Trainer(spec(), cfg, Device.cpu())
                        .train(VitInit.truncatedNormal(TINY, 1), train, null, interrupted, p -> {
                            if (p.step() == 3) {
                                throw new IllegalStateException("simulated crash after the first epoch");
                            }
                        }))
                .hasMessageContaining("simulated crash");
        List<TrainProgress> resumed = new ArrayList<>();
        // Different initial weights: a resumed run must ignore them and start from the checkpoint.
        new Trainer(spec(), cfg, Device.cpu())
                .train(VitInit.truncatedNormal(TINY, 99), train, null, interrupted, resumed::add);
        new Trainer(spec(), cfg, Device.cpu()).train(VitInit.truncatedNormal(TINY, 1), train, null, whole, p -> {});

        assertThat(resumed.get(0).step()).isEqualTo(4);
        Map<String, HostTensor> a = Safetensors.read(whole.resolve("model.safetensors"));
        Map<String, HostTensor> b = Safetensors.read(interrupted.resolve("model.safetensors"));
        for (String k : a.keySet()) {
            float[] x = a.get(k).data();
            float[] y = b.get(k).data();
            for (int i = 0; i < x.length; i++) {
                // Same batches, augmentation and optimizer state: equal up to kernel rounding.
                assertThat(y[i]).as(k).isCloseTo(x[i], within(1e-5f));
            }
        }
    }

    @Test
    void aStopRequestEndsBetweenStepsAndTheLastEpochsCheckpointResumes(@TempDir Path out) throws IOException {
        TrainingData train = data(SceneGenerator.Split.TRAIN, 64); // 4 steps of 16 per epoch
        AtomicBoolean stop = new AtomicBoolean();
        assertThatThrownBy(() -> new Trainer(spec(), config(3), Device.cpu(), null, stop::get)
                        .train(VitInit.truncatedNormal(TINY, 1), train, null, out, p -> {
                            if (p.step() == 6) {
                                stop.set(true); // Ctrl-C during step 6: steps 7 and on never start
                            }
                        }))
                .isInstanceOfSatisfying(TrainingStoppedException.class, e -> {
                    assertThat(e.step()).isEqualTo(6);
                    assertThat(e.checkpointStep()).isEqualTo(4);
                })
                .hasMessage("stopped on request after step 6 of 12; the checkpoint on disk is from step 4 (the last"
                        + " finished epoch): run the same training again to resume from it");

        List<TrainProgress> resumed = new ArrayList<>();
        new Trainer(spec(), config(3), Device.cpu())
                .train(VitInit.truncatedNormal(TINY, 1), train, null, out, resumed::add);
        assertThat(resumed.get(0).step()).isEqualTo(5);
        assertThat(resumed.get(resumed.size() - 1).step()).isEqualTo(12);
    }

    @Test
    void aStopBeforeTheFirstEpochEndsWritesNothing(@TempDir Path out) {
        assertThatThrownBy(() -> new Trainer(spec(), config(1), Device.cpu(), null, () -> true)
                        .train(
                                VitInit.truncatedNormal(TINY, 1),
                                data(SceneGenerator.Split.TRAIN, 64),
                                null,
                                out,
                                p -> {}))
                .isInstanceOf(TrainingStoppedException.class)
                .hasMessage(
                        "stopped on request after step 0 of 4; no epoch had finished, so no checkpoint was written");
        assertThat(out.resolve("model.json")).doesNotExist();
    }

    @Test
    void resumingWithAnotherScheduleIsRefused(@TempDir Path out) throws IOException {
        TrainingData train = data(SceneGenerator.Split.TRAIN, 32);
        new Trainer(spec(), config(1), Device.cpu()).train(VitInit.truncatedNormal(TINY, 1), train, null, out, p -> {});
        assertThatThrownBy(() -> new Trainer(spec(), config(3), Device.cpu())
                        .train(VitInit.truncatedNormal(TINY, 1), train, null, out, p -> {}))
                .hasMessageContaining("holds a run of 2 steps");
    }

    @Test
    void gradientsFlowThroughTheSizeWeightedMerge() {
        // Training at a ToMe degree: every parameter, including those after the merges, gets a
        // gradient, and the loss differs from the uncompressed forward.
        VitConfig cfg = VitConfig.preset("vit_test_tiny");
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            VitInit.truncatedNormal(cfg, 3).forEach((k, t) -> {
                NDArray p = m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
                p.setRequiresGradient(true);
                params.put(k, p);
            });
            VitForward forward = new VitForward(cfg, params);
            NDArray x = m.randomNormal(new Shape(4, 3, 32, 32));
            NDArray y = m.create(new int[] {0, 1, 2, 3});
            float merged;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = Trainer.smoothedCrossEntropy(forward.forward(x, CompressionLevel.tome(8)), y, 0.0);
                gc.backward(loss);
                merged = loss.getFloat();
            }
            float plain = Trainer.smoothedCrossEntropy(forward.forward(x, CompressionLevel.none()), y, 0.0)
                    .getFloat();
            assertThat(merged).isNotEqualTo(plain);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                assertThat(e.getValue().getGradient().abs().sum().getFloat())
                        .as(e.getKey())
                        .isPositive();
            }
        }
    }

    @Test
    void learningRateWarmsUpThenFollowsACosine() {
        LrSchedule s = new LrSchedule(1e-3, 1e-5, 10, 110);
        assertThat(s.at(0)).isCloseTo(1e-4, within(1e-12));
        assertThat(s.at(9)).isCloseTo(1e-3, within(1e-12));
        assertThat(s.at(60)).isCloseTo(1e-5 + 0.5 * (1e-3 - 1e-5), within(1e-12)); // half-way
        assertThat(s.at(110)).isCloseTo(1e-5, within(1e-12));
    }
}
