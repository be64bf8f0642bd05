package org.tocomstream.model.train;

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
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;

/** Distilling a channel-shuffle student from a wider plain teacher (tiny presets, seconds). */
class DistillationTest {

    private static final SceneGenerator SCENES = SceneGenerator.of(SceneConfig.defaults(), 3);
    private static final VitConfig TEACHER =
            VitConfig.preset("vit_test_tiny").withNumClasses(8).withImageSize(16);
    private static final VitConfig STUDENT =
            VitConfig.preset("vit_shuffle_test_tiny").withNumClasses(8).withImageSize(16);

    private static ModelSpec studentSpec() {
        return ModelSpec.of(STUDENT, SCENES.labels()).withPreprocessing(ModelSpec.PreprocessConfig.deitEval(16));
    }

    private static TrainingData data(int size) {
        return new GeneratedData(
                SCENES, size, new ImagePreprocessor(studentSpec().preprocessing()));
    }

    private static DistillTeacher teacher(Distillation d) {
        return new DistillTeacher(TEACHER, SCENES.labels(), VitInit.truncatedNormal(TEACHER, 4), d);
    }

    private static TrainConfig config() {
        return TrainConfig.defaults(2, 16).withAugment(true).withSeed(5).withLogEverySteps(1);
    }

    @Test
    void theEnsemblesLossIsOneMinusTheCosineOfTheAveragedProjections() {
        // q = 2 projectors 2 -> 2 with chosen weights, on one student feature and one teacher feature.
        float[] w0 = {1, 0, 0, 1};
        float[] b0 = {0, -1};
        float[] w1 = {0, 2, -1, 0};
        float[] b1 = {1, 0};
        float[] fs = {1, 3};
        float[] ft = {2, 1};
        Map<String, HostTensor> saved = Map.of(
                "projector.0.weight", new HostTensor(new long[] {2, 2}, w0),
                "projector.0.bias", new HostTensor(new long[] {2}, b0),
                "projector.1.weight", new HostTensor(new long[] {2, 2}, w1),
                "projector.1.bias", new HostTensor(new long[] {2}, b1));
        // By hand: p0 = ReLU(W0 fs + b0) = ReLU(1, 2) = (1, 2); p1 = ReLU(W1 fs + b1) = ReLU(7, -1) = (7, 0);
        // mean (4, 1); cos((4, 1), (2, 1)) = 9 / (√17 · √5).
        double expected = 1 - 9 / (Math.sqrt(17) * Math.sqrt(5));
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            ProjectorEnsemble e = ProjectorEnsemble.of(2, saved, m);
            NDArray s = m.create(FloatBuffer.wrap(fs), new Shape(1, 2));
            NDArray t = m.create(FloatBuffer.wrap(ft), new Shape(1, 2));
            assertThat(e.project(s).toFloatArray()).containsExactly(4f, 1f);
            // float32 arithmetic on small integers: 1e-6 covers the rounding of the square roots.
            assertThat(ProjectorEnsemble.cosineLoss(e.project(s), t).getFloat())
                    .isCloseTo((float) expected, within(1e-6f));
        }
    }

    @Test
    void theSavedModelHasNoProjectorsAndAResumeEndsWhereAnUninterruptedRunDoes(
            @TempDir Path whole, @TempDir Path interrupted) throws IOException {
        DistillTeacher t = teacher(Distillation.defaults());
        TrainingData train = data(48);
        assertThatThrownBy(() -> new Trainer(studentSpec(), config(), Device.cpu(), t)
                        .train(VitInit.truncatedNormal(STUDENT, 1), train, null, interrupted, p -> {
                            if (p.step() == 3) {
                                throw new IllegalStateException("simulated crash after the first epoch");
                            }
                        }))
                .hasMessageContaining("simulated crash");
        Map<String, HostTensor> afterEpoch1 =
                Safetensors.read(interrupted.resolve("training").resolve(Distiller.FILE));
        List<TrainProgress> resumed = new ArrayList<>();
        new Trainer(studentSpec(), config(), Device.cpu(), t)
                .train(VitInit.truncatedNormal(STUDENT, 99), train, null, interrupted, resumed::add);
        new Trainer(studentSpec(), config(), Device.cpu(), t)
                .train(VitInit.truncatedNormal(STUDENT, 1), train, null, whole, p -> {});

        assertThat(resumed.get(0).step()).isEqualTo(4);
        Map<String, HostTensor> a = Safetensors.read(whole.resolve("model.safetensors"));
        assertThat(a.keySet()).noneMatch(k -> k.startsWith("projector"));
        assertThat(a.keySet()).isEqualTo(VitInit.truncatedNormal(STUDENT, 1).keySet());
        assertThat(afterEpoch1)
                .containsOnlyKeys(
                        "projector.0.weight", "projector.0.bias",
                        "projector.1.weight", "projector.1.bias",
                        "projector.2.weight", "projector.2.bias");
        assertThat(afterEpoch1.get("projector.0.weight").shape()).containsExactly(48, 96);
        assertClose(a, Safetensors.read(interrupted.resolve("model.safetensors")));
        // The projectors and their optimizer moments were restored, so they also end the same.
        assertClose(
                Safetensors.read(whole.resolve("training").resolve(Distiller.FILE)),
                Safetensors.read(interrupted.resolve("training").resolve(Distiller.FILE)));
    }

    @Test
    void oneProjectorOnUnlabelledDataTrainsOnDistillationAlone(@TempDir Path out) throws IOException {
        TrainingData labelled = data(32);
        TrainingData unlabelled = new TrainingData() {
            @Override
            public int size() {
                return labelled.size();
            }

            @Override
            public List<String> labels() {
                return List.of();
            }

            @Override
            public Example get(int index, SplittableRandom augment) {
                return new Example(labelled.get(index, augment).pixels(), -1);
            }
        };
        List<TrainProgress> reports = new ArrayList<>();
        new Trainer(studentSpec(), config(), Device.cpu(), teacher(new Distillation(1, 25, 0, 4)))
                .train(VitInit.truncatedNormal(STUDENT, 1), unlabelled, null, out, reports::add);

        assertThat(reports).hasSize(4);
        // Feature term only: 25 · mean(1 − cos) lies in [0, 50].
        assertThat(reports).allSatisfy(r -> assertThat(r.loss()).isBetween(0.0, 50.0));
        assertThat(Safetensors.read(out.resolve("training").resolve(Distiller.FILE)))
                .containsOnlyKeys("projector.0.weight", "projector.0.bias");
    }

    @Test
    void resumingWithOtherDistillationSettingsIsRefused(@TempDir Path out) throws IOException {
        TrainingData train = data(32);
        new Trainer(studentSpec(), config(), Device.cpu(), teacher(Distillation.defaults()))
                .train(VitInit.truncatedNormal(STUDENT, 1), train, null, out, p -> {});

        assertThatThrownBy(
                        () -> new Trainer(studentSpec(), config(), Device.cpu(), teacher(new Distillation(1, 25, 1, 4)))
                                .train(Map.of(), train, null, out, p -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distillation projectors 3")
                .hasMessageContaining("this run has projectors 1");
        assertThatThrownBy(() ->
                        new Trainer(studentSpec(), config(), Device.cpu()).train(Map.of(), train, null, out, p -> {}))
                .hasMessageContaining("holds a run with distillation projectors 3");
    }

    @Test
    void aTeacherWithAnotherInputOrOtherLabelsIsRefused(@TempDir Path out) {
        DistillTeacher wide = new DistillTeacher(
                TEACHER.withImageSize(32),
                SCENES.labels(),
                VitInit.truncatedNormal(TEACHER.withImageSize(32), 4),
                Distillation.defaults());
        assertThatThrownBy(() -> new Trainer(studentSpec(), config(), Device.cpu(), wide)
                        .train(VitInit.truncatedNormal(STUDENT, 1), data(32), null, out, p -> {}))
                .hasMessageContaining(
                        "teacher's input (3 channels, 32 px) differs from the student's (3 channels, 16 px)");
        assertThat(teacher(Distillation.defaults()).misfit(STUDENT, List.of("a", "b")))
                .contains("teacher's labels");
        assertThatThrownBy(() -> new Distillation(0, 25, 1, 4)).hasMessageContaining("projectors must be >= 1");
        assertThatThrownBy(() -> new Distillation(3, 0, 0, 4)).hasMessageContaining("feature weight or a KD weight");
    }

    private static void assertClose(Map<String, HostTensor> a, Map<String, HostTensor> b) {
        assertThat(b.keySet()).isEqualTo(a.keySet());
        for (String k : a.keySet()) {
            float[] x = a.get(k).data();
            float[] y = b.get(k).data();
            for (int i = 0; i < x.length; i++) {
                // Same batches, augmentation and optimizer state: equal up to kernel rounding.
                assertThat(y[i]).as(k).isCloseTo(x[i], within(1e-5f));
            }
        }
    }
}
