package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.HostTensor;
import org.tocomstream.stream.testutils.TinyModels;
import org.tocomstream.testutils.RandomWeights;

/**
 * The stream applies a model's Token Compensator: the shared predictor runs each batch with the
 * pair its level gives (m = the model's trained degree, here none = 0), the labels record that
 * pair, and levels the plugin cannot serve run the plain model with no pair.
 */
class CompensatedPredictorTest {

    /** Rank 2 per step, degrees 0..4, s = 0.5: large enough that the delta shows in the logits. */
    private static final CompensatorConfig PLUGIN = new CompensatorConfig(2, 4, 0.5);

    private static final int FRAME = 3 * 32 * 32;

    private static long[] shape(int batch) {
        return new long[] {batch, 3, 32, 32};
    }

    /** A plugin for the model in {@code dir} (or for {@code baseSha}) with non-zero up projections. */
    private static TokenCompensator randomPlugin(String baseSha, long seed) throws CheckpointException {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        int r = PLUGIN.rank();
        int d = TinyModels.CONFIG.embedDim();
        long k = seed;
        for (int i = 0; i < TinyModels.CONFIG.depth(); i++) {
            for (TokenCompensator.Projection p : TokenCompensator.Projection.values()) {
                t.put(
                        TokenCompensator.key(i, p, false),
                        new HostTensor(
                                new long[] {r, d}, scaled(RandomWeights.gaussian(k++, r * d), 1 / Math.sqrt(d))));
                t.put(
                        TokenCompensator.key(i, p, true),
                        new HostTensor(
                                new long[] {d, r}, scaled(RandomWeights.gaussian(k++, d * r), 1 / Math.sqrt(r))));
            }
        }
        return TokenCompensator.of(TinyModels.CONFIG, baseSha, PLUGIN, t);
    }

    private static float[] scaled(float[] v, double s) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= (float) s;
        }
        return v;
    }

    /** A tiny model directory with its own plugin ({@code tocom.safetensors}) next to model.json. */
    private static Path modelWithPlugin(Path dir) throws IOException {
        TinyModels.write(dir, 21);
        randomPlugin(TokenCompensator.weightsSha256(dir), 3).save(dir.resolve(TokenCompensator.FILE_NAME));
        return dir;
    }

    private static BatchPredictor open(ModelConfig config) throws Exception {
        return PredictorFactory.sharedModel(config).open(new PredictorContext(0, List.of()));
    }

    @Nested
    class ThePredictor {

        @Test
        void atTome4AppliesThePair0To4AndItsLogitsAreTheModelsWithTheAdapter(@TempDir Path dir) throws Exception {
            modelWithPlugin(dir);
            Path plugin = dir.resolve(TokenCompensator.FILE_NAME);
            CompressionLevel level = CompressionLevel.tome(4);
            float[] pixels = RandomWeights.gaussian(9, 2 * FRAME);

            try (BatchPredictor predictor = open(ModelConfig.of(dir.toString()));
                    ModelRegistry.Lease lease = ModelRegistry.shared().acquire(dir, Device.cpu(), plugin)) {
                assertThat(ModelRegistry.shared().references(dir, Device.cpu(), plugin))
                        .as("the predictor and the test share the one loaded model and plugin")
                        .isEqualTo(2);
                float[][] logits = predictor.logits(pixels, 2, level);

                assertThat(predictor.compensator(level)).isEqualTo("0->4");
                assertThat(logits)
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape(2),
                                        ForwardContext.at(level)
                                                .withAdapter(lease.compensator().adapter(level))));
                assertThat(logits)
                        .as("the plugin changes the logits")
                        .isNotEqualTo(lease.model().logits(pixels, shape(2), level));
            }
            assertThat(ModelRegistry.shared().references(dir, Device.cpu(), plugin))
                    .isZero();
        }

        @Test
        void levelsThePluginCannotServeRunThePlainModelWithoutAPair(@TempDir Path dir) throws Exception {
            modelWithPlugin(dir);
            float[] pixels = RandomWeights.gaussian(10, FRAME);
            try (BatchPredictor predictor = open(ModelConfig.of(dir.toString()));
                    ModelRegistry.Lease plain = ModelRegistry.shared().acquire(dir, Device.cpu())) {
                for (CompressionLevel level : List.of(
                        CompressionLevel.none(), // m = n = 0: nothing to apply
                        CompressionLevel.tome(5), // beyond the plugin's degrees 0..4
                        CompressionLevel.parse("tome-decreasing:4"),
                        CompressionLevel.parse("evit:0.7"))) {
                    assertThat(predictor.compensator(level)).as("%s", level).isNull();
                    assertThat(predictor.logits(pixels, 1, level))
                            .as("%s", level)
                            .isDeepEqualTo(plain.model().logits(pixels, shape(1), level));
                }
            }
        }

        @Test
        void anExplicitScaleIsUsedAndScaleZeroAppliesNothing(@TempDir Path dir) throws Exception {
            modelWithPlugin(dir);
            Path plugin = dir.resolve(TokenCompensator.FILE_NAME);
            CompressionLevel level = CompressionLevel.tome(2);
            float[] pixels = RandomWeights.gaussian(11, FRAME);
            try (BatchPredictor scaled = open(new ModelConfig(dir.toString(), "cpu", "gpu", plugin.toString(), 0.25));
                    BatchPredictor off = open(new ModelConfig(dir.toString(), "cpu", "gpu", "auto", 0.0));
                    ModelRegistry.Lease lease = ModelRegistry.shared().acquire(dir, Device.cpu(), plugin)) {
                var bound = lease.compensator();
                assertThat(scaled.compensator(level)).isEqualTo("0->2");
                assertThat(scaled.logits(pixels, 1, level))
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape(1),
                                        ForwardContext.at(level)
                                                .withAdapter(bound.adapter(
                                                        bound.pairFor(level).orElseThrow(), bound.mode(), 0.25))));
                assertThat(off.compensator(level)).isNull();
                assertThat(off.logits(pixels, 1, level))
                        .isDeepEqualTo(lease.model().logits(pixels, shape(1), level));
            }
        }

        @Test
        void noneOrAModelDirectoryWithoutAPluginAppliesNothing(@TempDir Path withPlugin, @TempDir Path without)
                throws Exception {
            modelWithPlugin(withPlugin);
            TinyModels.write(without, 22);
            try (BatchPredictor off = open(new ModelConfig(withPlugin.toString(), "cpu", "gpu", "none", null));
                    BatchPredictor absent = open(ModelConfig.of(without.toString()))) {
                assertThat(off.compensator(CompressionLevel.tome(4))).isNull();
                assertThat(absent.compensator(CompressionLevel.tome(4))).isNull();
                assertThat(ModelRegistry.shared().references(withPlugin, Device.cpu()))
                        .isEqualTo(1);
            }
        }

        @Test
        void aPluginOfAnotherBaseModelFailsAtOpenNamingBothHashes(@TempDir Path dir) throws Exception {
            TinyModels.write(dir, 23);
            String other = "ab".repeat(32);
            randomPlugin(other, 4).save(dir.resolve(TokenCompensator.FILE_NAME));
            String mine = TokenCompensator.weightsSha256(dir);

            assertThatThrownBy(() -> open(ModelConfig.of(dir.toString())))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(other)
                    .hasMessageContaining(mine)
                    .hasMessageContaining("was trained for base model vit_test_tiny");
            assertThat(ModelRegistry.shared().references(dir, Device.cpu(), dir.resolve(TokenCompensator.FILE_NAME)))
                    .as("a failed load leaves nothing behind")
                    .isZero();
        }

        @Test
        void aModelFineTunedFromThePluginsBaseRunsItWithItsCalibrationsFactors(@TempDir Path base, @TempDir Path tuned)
                throws Exception {
            TinyModels.write(base, 21);
            TinyModels.write(tuned, 25); // other weights: stands for a model fine-tuned from the base
            String baseSha = TokenCompensator.weightsSha256(base);
            String tunedSha = TokenCompensator.weightsSha256(tuned);
            Path plugin = tuned.resolve(TokenCompensator.FILE_NAME);
            randomPlugin(baseSha, 3).save(plugin); // the base's plugin, next to the fine-tuned model

            assertThatThrownBy(() -> open(ModelConfig.of(tuned.toString())))
                    .as("without a calibration the base's plugin does not fit the fine-tuned weights")
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(baseSha)
                    .hasMessageContaining(tunedSha)
                    .hasMessageContaining("tocom calibrate");

            new CompensatorCalibration(
                            baseSha,
                            tunedSha,
                            100,
                            Map.of(new CompensatorPair(0, 4), new CompensatorCalibration.PairFactor(0.01, 0.04, 0.5)))
                    .save(tuned.resolve(CompensatorCalibration.FILE_NAME));
            float[] pixels = RandomWeights.gaussian(12, FRAME);
            CompressionLevel at4 = CompressionLevel.tome(4);
            CompressionLevel at2 = CompressionLevel.tome(2);
            try (BatchPredictor predictor = open(ModelConfig.of(tuned.toString()));
                    ModelRegistry.Lease lease = ModelRegistry.shared().acquire(tuned, Device.cpu(), plugin)) {
                var bound = lease.compensator();
                assertThat(bound.calibration()).isNotNull();
                assertThat(predictor.compensator(at4)).isEqualTo("0->4");
                assertThat(predictor.logits(pixels, 1, at4))
                        .as("s = 0.5 (the plugin's) times the factor 0.5")
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape(1),
                                        ForwardContext.at(at4)
                                                .withAdapter(
                                                        bound.adapter(new CompensatorPair(0, 4), bound.mode(), 0.25))));
                assertThat(predictor.logits(pixels, 1, at2))
                        .as("a pair the calibration did not measure keeps factor 1")
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape(1),
                                        ForwardContext.at(at2)
                                                .withAdapter(
                                                        bound.adapter(new CompensatorPair(0, 2), bound.mode(), 0.5))));
            }
        }

        @Test
        void aLineSearchCalibrationSetsEachPairsScaleAndAnExplicitScaleMultipliesItsFactors(@TempDir Path dir)
                throws Exception {
            modelWithPlugin(dir);
            Path plugin = dir.resolve(TokenCompensator.FILE_NAME);
            String sha = TokenCompensator.weightsSha256(dir);
            new CompensatorCalibration(
                            CompensatorCalibration.Rule.KL_LINE_SEARCH,
                            sha,
                            sha,
                            100,
                            0.4,
                            Map.of(
                                    new CompensatorPair(0, 4),
                                            new CompensatorCalibration.PairFactor(0.02, Double.NaN, 0.01, 0.25),
                                    new CompensatorPair(0, 2),
                                            new CompensatorCalibration.PairFactor(0.01, Double.NaN, 0.01, 0)))
                    .save(dir.resolve(CompensatorCalibration.FILE_NAME));
            float[] pixels = RandomWeights.gaussian(13, FRAME);
            CompressionLevel at4 = CompressionLevel.tome(4);
            CompressionLevel at2 = CompressionLevel.tome(2);
            try (BatchPredictor predictor = open(ModelConfig.of(dir.toString()));
                    BatchPredictor doubled =
                            open(new ModelConfig(dir.toString(), "cpu", "gpu", plugin.toString(), 0.8));
                    ModelRegistry.Lease lease = ModelRegistry.shared().acquire(dir, Device.cpu(), plugin)) {
                var bound = lease.compensator();
                assertThat(bound.defaultScale()).isEqualTo(0.4);
                assertThat(predictor.logits(pixels, 1, at4))
                        .as("the calibration's scale 0.4 times the pair's factor 0.25")
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape(1),
                                        ForwardContext.at(at4)
                                                .withAdapter(
                                                        bound.adapter(new CompensatorPair(0, 4), bound.mode(), 0.1))));
                assertThat(doubled.logits(pixels, 1, at4))
                        .as("an explicit s = 0.8 times the factor 0.25")
                        .isDeepEqualTo(lease.model()
                                .logits(
                                        pixels,
                                        shape(1),
                                        ForwardContext.at(at4)
                                                .withAdapter(
                                                        bound.adapter(new CompensatorPair(0, 4), bound.mode(), 0.2))));
                assertThat(predictor.compensator(at2))
                        .as("factor 0: no delta, no pair recorded")
                        .isNull();
                assertThat(predictor.logits(pixels, 1, at2))
                        .isDeepEqualTo(lease.model().logits(pixels, shape(1), at2));
            }
        }

        @Test
        void aNamedPluginFileThatDoesNotExistFailsAtOpenNamingTheSetting(@TempDir Path dir) throws Exception {
            TinyModels.write(dir, 24);
            Path missing = dir.resolve("nope.safetensors");
            assertThatThrownBy(() -> open(new ModelConfig(dir.toString(), "cpu", "gpu", missing.toString(), null)))
                    .isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining(ModelConfig.COMPENSATOR)
                    .hasMessageContaining(missing.toString());
        }
    }

    @Nested
    class TheOperator {

        @Test
        void labelsOfABatchAtTome4RecordThePairAndTheBatchIsCounted(@TempDir Path dir) throws Exception {
            modelWithPlugin(dir);
            OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness =
                    new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                            new BatchingConfig(2, Duration.ofMinutes(1), 1),
                            3,
                            PredictorFactory.sharedModel(new ModelConfig(dir.toString(), "cpu", "gpu")),
                            LevelSource.fixed(CompressionLevel.tome(4))));
            try {
                harness.setProcessingTime(1000);
                harness.open();
                harness.processElement(
                        new StreamRecord<>(new DecodedFrame("cam", 0, 900, RandomWeights.gaussian(1, FRAME)), 900));
                harness.processElement(
                        new StreamRecord<>(new DecodedFrame("cam", 1, 900, RandomWeights.gaussian(2, FRAME)), 900));
                runMailsUntil(harness, () -> harness.extractOutputValues().size() == 2);

                List<LabelRecord> labels = harness.extractOutputValues();
                assertThat(labels).extracting(r -> r.level().compensator()).containsOnly("0->4");
                assertThat(labels).extracting(r -> r.level().schedule()).containsOnly("tome:4");
                assertThat(new String(labels.get(0).toJson(), java.nio.charset.StandardCharsets.UTF_8))
                        .contains("\"level\":{\"method\":\"tome\",\"schedule\":\"tome:4\",\"compensator\":\"0->4\"}");
                BatchInferenceOperator op = (BatchInferenceOperator) harness.getOperator();
                assertThat(op.metrics().compensatedBatches.getCount()).isEqualTo(1);
                assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            } finally {
                harness.close();
            }
        }
    }

    private static void runMailsUntil(
            OneInputStreamOperatorTestHarness<?, ?> harness, java.util.function.BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TaskMailbox mailbox = harness.getTaskMailbox();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s for the labels").isLessThan(deadline);
            Optional<Mail> mail;
            while ((mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
                mail.get().run();
            }
            Thread.sleep(1);
        }
    }

    @Test
    void theSettingsAreValidated() {
        assertThatThrownBy(() -> new ModelConfig("m", "cpu", "gpu", " ", null))
                .hasMessageContaining(ModelConfig.COMPENSATOR);
        assertThatThrownBy(() -> new ModelConfig("m", "cpu", "gpu", "auto", -0.1))
                .hasMessageContaining(ModelConfig.COMPENSATOR_SCALE)
                .hasMessageContaining("-0.1");
        assertThatThrownBy(() -> new ModelConfig("m", "cpu", "gpu", "auto", Double.NaN))
                .hasMessageContaining(ModelConfig.COMPENSATOR_SCALE);
        assertThat(new ModelConfig("m", "cpu", "gpu", "NONE", null).compensator())
                .isEqualTo("none");
        assertThat(ModelConfig.of("m").compensator()).isEqualTo(ModelConfig.COMPENSATOR_AUTO);
        assertThat(ModelConfig.of("m").compensatorScale()).isNull();
    }

    @Test
    void autoFindsTheModelDirectorysPlugin(@TempDir Path dir) throws Exception {
        assertThat(ModelConfig.of(dir.toString()).compensatorFile()).isEmpty();
        Files.writeString(dir.resolve(TokenCompensator.FILE_NAME), "x");
        assertThat(ModelConfig.of(dir.toString()).compensatorFile()).contains(dir.resolve(TokenCompensator.FILE_NAME));
        assertThat(new ModelConfig(dir.toString(), "cpu", "gpu", "none", null).compensatorFile())
                .isEmpty();
    }
}
