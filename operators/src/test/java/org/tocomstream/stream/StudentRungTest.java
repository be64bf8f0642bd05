package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Ladder;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.stream.testutils.TinyModels;
import org.tocomstream.testutils.RandomWeights;

/**
 * The student level: a second model directory loaded beside the model, answering the batches at
 * that level with the model's labels, named in the labels it writes.
 */
class StudentRungTest {

    private static final CompressionLevel STUDENT = CompressionLevel.student();

    @Test
    void theStudentLevelIsAValueLikeEveryLevel() throws Exception {
        assertThat(CompressionLevel.parse(" Student ")).isSameAs(STUDENT);
        assertThat(STUDENT).hasToString("student");
        assertThat(STUDENT.methodName()).isEqualTo("student");
        assertThat(STUDENT.scheduleText()).isEmpty();
        assertThat(STUDENT.isStudent()).isTrue();
        assertThat(STUDENT.isNone()).isFalse();
        assertThat(STUDENT.fits(TinyModels.CONFIG.geometry())).isTrue();
        assertThat(org.apache.flink.util.InstantiationUtil.clone(STUDENT)).isSameAs(STUDENT);
        // A model never runs the student level itself: only a predictor with a student does.
        assertThatThrownBy(() -> ForwardContext.at(STUDENT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("student model");
    }

    @Test
    void theStudentCostsItsOwnPlainForwardPass() {
        CostModel model = CostModel.of(TinyModels.CONFIG.geometry());
        CostModel withStudent = model.withStudent(TinyModels.STUDENT.geometry());
        long studentMacs = CostModel.of(TinyModels.STUDENT.geometry()).macs(CompressionLevel.none());
        assertThat(withStudent.macs(STUDENT)).isEqualTo(studentMacs);
        assertThat(withStudent.blockMacs(STUDENT)).hasSize(TinyModels.STUDENT.depth());
        // 4 of 12 blocks: about a third of the model.
        assertThat((double) studentMacs / model.macs(CompressionLevel.none())).isBetween(0.3, 0.4);
        assertThat(withStudent.withCompensatorRank(2).student()).isEqualTo(TinyModels.STUDENT.geometry());

        Ladder ladder = Ladder.parse(withStudent, "none;tome:2;student");
        assertThat(ladder.level(2)).isEqualTo(STUDENT);
        assertThatThrownBy(() -> Ladder.parse(model, "none;student"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("student");
    }

    @Test
    @SuppressWarnings("try") // the harness's close() may throw InterruptedException
    void batchesAtTheStudentLevelAreLabelledByTheStudent(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("model");
        Path studentDir = tmp.resolve("student");
        TinyModels.write(dir, 3);
        TinyModels.writeStudent(studentDir, 5);
        ModelRegistry.LoadedModel model = ModelRegistry.loadDirectory(dir, Device.cpu());
        String modelId = model.id();
        model.model().close();
        ModelRegistry.LoadedModel student = ModelRegistry.loadDirectory(studentDir, Device.cpu());
        List<DecodedFrame> frames = List.of(
                new DecodedFrame("cam-1", 0, 1_000, RandomWeights.gaussian(1, 3 * 32 * 32)),
                new DecodedFrame("cam-2", 0, 1_000, RandomWeights.gaussian(2, 3 * 32 * 32)),
                new DecodedFrame("cam-1", 1, 1_040, RandomWeights.gaussian(3, 3 * 32 * 32)));
        ModelConfig config = new ModelConfig(dir.toString(), "cpu", "gpu").withStudent(studentDir.toString());
        CostModel cost = CostModel.of(TinyModels.CONFIG.geometry()).withStudent(TinyModels.STUDENT.geometry());
        for (LevelSource levels : List.of(
                LevelSource.fixed(STUDENT),
                LevelSource.fixed(CompressionLevel.none()),
                LevelSource.adaptive(ControllerConfig.defaults(Ladder.parse(cost, "student"))))) {
            List<LabelRecord> labels;
            try (OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness =
                    new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                            new BatchingConfig(2, Duration.ofMillis(50), 1),
                            3,
                            PredictorFactory.sharedModel(config),
                            levels))) {
                harness.setProcessingTime(2_000);
                harness.open();
                // The student is loaded once, beside the model, whatever the level.
                assertThat(ModelRegistry.shared().references(studentDir, Device.cpu()))
                        .isEqualTo(1);
                assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isEqualTo(1);
                for (DecodedFrame f : frames) {
                    harness.processElement(new StreamRecord<>(f, f.captureTs()));
                }
                harness.endInput();
                labels = harness.extractOutputValues();
            }
            assertThat(ModelRegistry.shared().references(studentDir, Device.cpu()))
                    .isZero();
            boolean atStudent = levels.usesStudent();
            assertThat(labels).hasSize(3);
            assertThat(labels).extracting(LabelRecord::model).containsOnly(atStudent ? student.id() : modelId);
            if (!atStudent) {
                continue;
            }
            assertThat(labels)
                    .extracting(LabelRecord::level)
                    .containsOnly(new LabelRecord.Level("student", "student", null));
            for (int i = 0; i < frames.size(); i++) {
                float[] logits = student.model()
                        .logits(frames.get(i).pixels(), new long[] {1, 3, 32, 32}, CompressionLevel.none())[0];
                List<LabelRecord.Label> expected = TopLabels.of(logits, TinyModels.LABELS, 3);
                for (int k = 0; k < 3; k++) {
                    assertThat(labels.get(i).labels().get(k).label())
                            .isEqualTo(expected.get(k).label());
                    // Batched and single-frame forward passes differ only by float rounding.
                    assertThat(labels.get(i).labels().get(k).score())
                            .isCloseTo(expected.get(k).score(), within(1e-4));
                }
            }
        }
        student.model().close();
    }

    @Test
    void aStudentLevelWithoutAStudentFailsForGoodNamingTheSetting(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 3);
        OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness =
                new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                        new BatchingConfig(2, Duration.ofMillis(50), 1),
                        3,
                        PredictorFactory.sharedModel(new ModelConfig(dir.toString(), "cpu", "gpu")),
                        LevelSource.fixed(STUDENT)));
        assertThatThrownBy(harness::open)
                .isInstanceOf(SuppressRestartsException.class)
                .cause()
                .hasMessageContaining(ModelConfig.STUDENT_DIR)
                .hasMessageContaining("include student");
        // Flink closes an operator whose open failed; closing releases the model.
        harness.getOneInputOperator().close();
        assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isZero();
    }

    @Test
    void aStudentThatCannotStandInForTheModelIsRefusedNamingTheSetting(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("model");
        TinyModels.write(dir, 3);
        Path otherLabels = tmp.resolve("labels");
        List<String> reversed = new java.util.ArrayList<>(TinyModels.LABELS);
        java.util.Collections.reverse(reversed);
        ModelSpec spec = ModelSpec.of(TinyModels.STUDENT, reversed);
        spec.write(otherLabels);
        Safetensors.write(spec.weightsPath(otherLabels), RandomWeights.of(TinyModels.STUDENT, 1), java.util.Map.of());
        Path otherSize = tmp.resolve("size");
        ModelSpec small = ModelSpec.of(TinyModels.STUDENT.withImageSize(16), TinyModels.LABELS);
        small.write(otherSize);
        Safetensors.write(
                small.weightsPath(otherSize),
                RandomWeights.of(TinyModels.STUDENT.withImageSize(16), 1),
                java.util.Map.of());

        for (Path bad : List.of(otherLabels, otherSize, tmp.resolve("missing"))) {
            ModelConfig config = new ModelConfig(dir.toString(), "cpu", "gpu").withStudent(bad.toString());
            assertThatThrownBy(() -> PredictorFactory.sharedModel(config).open(new PredictorContext(0, List.of())))
                    .hasMessageContaining(ModelConfig.STUDENT_DIR + " = " + bad);
            // Nothing stays loaded after the refusal.
            assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isZero();
            assertThat(ModelRegistry.shared().references(bad, Device.cpu())).isZero();
        }
        assertThat(ModelSpec.read(dir)
                        .studentMisfit(ModelSpec.read(otherLabels))
                        .orElseThrow())
                .contains("labels");
        assertThat(ModelSpec.read(dir).studentMisfit(ModelSpec.read(otherSize)).orElseThrow())
                .contains("preprocessing");
        assertThatThrownBy(() -> new ModelConfig(dir.toString(), "cpu", "gpu").withStudent(" "))
                .hasMessageContaining(ModelConfig.STUDENT_DIR);
    }

    @Test
    void aModelWithoutAStudentHasNoStudentId(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 3);
        try (BatchPredictor p = PredictorFactory.sharedModel(new ModelConfig(dir.toString(), "cpu", "gpu"))
                .open(new PredictorContext(0, List.of()))) {
            assertThat(p.studentId()).isNull();
            assertThat(p.modelId(STUDENT)).isEqualTo(p.modelId());
            assertThatThrownBy(() -> p.logits(new float[3 * 32 * 32], 1, STUDENT))
                    .hasMessageContaining(ModelConfig.STUDENT_DIR);
        }
    }
}
