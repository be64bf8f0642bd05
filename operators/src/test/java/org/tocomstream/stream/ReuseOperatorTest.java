package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ReuseCacheConfig;
import org.tocomstream.model.ReuseResult;
import org.tocomstream.model.ReuseState;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.testutils.TinyModels;
import org.tocomstream.testutils.RandomWeights;

/** The inference operator at a token-reuse level: per-camera caches, rounds, provenance. */
class ReuseOperatorTest {

    private static final int FRAME = 3 * 32 * 32;
    private static final CompressionLevel LEVEL = CompressionLevel.reuse(0.25);

    /** Camera {@code cam}'s frame t: its own still background, an 8x8 square moving 1 px a frame. */
    static float[] frame(int cam, long t) {
        float[] px = RandomWeights.gaussian(50 + cam, FRAME);
        int x0 = (int) (t % 24);
        for (int c = 0; c < 3; c++) {
            for (int y = 4; y < 12; y++) {
                for (int x = x0; x < x0 + 8; x++) {
                    px[c * 1024 + y * 32 + x] = 2f - c;
                }
            }
        }
        return px;
    }

    private static OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness(Path dir) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                new BatchingConfig(4, Duration.ofMinutes(1), 1),
                1,
                PredictorFactory.sharedModel(
                        new ModelConfig(dir.toString(), "cpu", "gpu"), new ReuseCacheConfig(8, 1000, 1.0)),
                LevelSource.fixed(LEVEL)));
    }

    @Test
    void eachCamerasFramesRunInOrderOnItsOwnCacheAndLabelsSayWhatWasReused(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 3);
        List<LabelRecord> labels;
        OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness = harness(dir);
        try {
            harness.setProcessingTime(1000);
            harness.open();
            // Batches of 4 hold two frames of each camera: a0 b0 a1 b1 | a2 b2 a3 b3 | a4 b4 a5 b5.
            for (int t = 0; t < 6; t++) {
                for (int cam = 0; cam < 2; cam++) {
                    harness.processElement(
                            new StreamRecord<>(new DecodedFrame("cam-" + cam, t, 900, frame(cam, t)), 900));
                }
            }
            runMailsUntil(harness, () -> harness.extractOutputValues().size() == 12);
            labels = harness.extractOutputValues();
            BatchInferenceOperator op = (BatchInferenceOperator) harness.getOperator();
            assertThat(op.metrics().reusedFrames.getCount()).isEqualTo(10);
            assertThat(op.metrics().fullReuseFrames.getCount()).isEqualTo(2);
        } finally {
            harness.close();
        }
        assertThat(labels).extracting(LabelRecord::seq).containsExactly(0L, 0L, 1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L, 5L, 5L);
        assertThat(labels)
                .extracting(r -> r.reuse().reused())
                .containsExactly(false, false, true, true, true, true, true, true, true, true, true, true);
        assertThat(labels.get(2).reuse().recomputed()).isEqualTo(16);
        assertThat(labels.get(0).reuse().recomputed()).isEqualTo(64);
        assertThat(new String(labels.get(3).toJson(), StandardCharsets.UTF_8))
                .contains("\"reuse\":{\"reused\":true,\"recomputed\":16}");

        // Each camera alone, frame after frame on its own state: the same labels and scores.
        try (VitModel model = VitModel.load(dir, Device.cpu())) {
            for (int cam = 0; cam < 2; cam++) {
                try (ReuseState state = model.newReuseState()) {
                    for (int t = 0; t < 6; t++) {
                        ReuseResult r = model.logitsReusing(
                                frame(cam, t), new long[] {1, 3, 32, 32}, LEVEL, new ReuseState[] {state}, 1.0);
                        List<LabelRecord.Label> top =
                                TopLabels.of(r.logits()[0], model.spec().labels(), 1);
                        LabelRecord got = labels.get(2 * t + cam);
                        assertThat(got.stream()).isEqualTo("cam-" + cam);
                        assertThat(got.labels().get(0).label())
                                .isEqualTo(top.get(0).label());
                        // Rows through GEMMs of other batch sizes: scores agree to 1e-4.
                        assertThat(got.labels().get(0).score())
                                .isCloseTo(top.get(0).score(), org.assertj.core.data.Offset.offset(1e-4));
                    }
                }
            }
        }
    }

    @Test
    void aRestartedOperatorStartsEachCameraWithAFullFrame(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 4);
        List<Boolean> reused = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness = harness(dir);
            try {
                harness.setProcessingTime(1000);
                harness.open();
                for (int t = 0; t < 4; t++) {
                    harness.processElement(
                            new StreamRecord<>(new DecodedFrame("cam-0", run * 4 + t, 900, frame(0, t)), 900));
                }
                runMailsUntil(harness, () -> harness.extractOutputValues().size() == 4);
                harness.extractOutputValues().forEach(r -> reused.add(r.reuse().reused()));
            } finally {
                harness.close();
            }
        }
        // Nothing of the cache is in a checkpoint or survives the operator: seq 4 follows seq 3,
        // yet the new operator computes it in full.
        assertThat(reused).containsExactly(false, true, true, true, false, true, true, true);
    }

    static void runMailsUntil(OneInputStreamOperatorTestHarness<?, ?> harness, java.util.function.BooleanSupplier done)
            throws Exception {
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
}
