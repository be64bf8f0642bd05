package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.Shedding;
import org.tocomstream.model.VitConfig;
import org.tocomstream.stream.testutils.TestingPredictor;

/**
 * {@link LevelSource#adaptive} in the batching operator, driven through the operator test harness:
 * processing time set by the test, frame ages from their capture times.
 */
class AdaptiveLevelSourceTest {

    private static final Ladder LADDER =
            Ladder.parse(CostModel.of(VitConfig.preset("vit_demo").geometry()), "none;tome:2;tome:4;tome:6");

    private OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness;
    private TestingPredictor predictor;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private void open(ControllerConfig config, int maxBatch) throws Exception {
        open(config, maxBatch, TestingPredictor.simple());
    }

    private void open(ControllerConfig config, int maxBatch, TestingPredictor predictor) throws Exception {
        this.predictor = predictor;
        harness = new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                new BatchingConfig(maxBatch, Duration.ofMillis(50), 1),
                3,
                predictor.factory(),
                LevelSource.adaptive(config, ControllerClock.PROCESSING_TIME)));
        harness.setProcessingTime(100_000);
        harness.open();
    }

    private void process(String stream, long seq, long captureTs) throws Exception {
        harness.processElement(new StreamRecord<>(frame(stream, seq, captureTs, 1), captureTs));
    }

    /** One batch of {@code n} frames of stream "a" captured {@code ageMs} before now, run. */
    private void batch(int n, long ageMs) throws Exception {
        long now = harness.getProcessingTime();
        for (int i = 0; i < n; i++) {
            process("a", seq++, now - ageMs);
        }
        harness.prepareSnapshotPreBarrier(seq); // cut and wait for the labels
    }

    private long seq;

    private BatchInferenceOperator operator() {
        return (BatchInferenceOperator) harness.getOperator();
    }

    private List<LabelRecord> labels() {
        return harness.extractOutputValues();
    }

    @Test
    void oldFramesRaiseTheLevelAndFreshOnesBringItBackToLevel0() throws Exception {
        open(ControllerConfig.defaults(LADDER), 2);

        // 2.5 s old against a 1 s target (setpoint 500 ms): 2 rungs of proportional action. The
        // first batch has no service time yet, so the operator cannot tell it is idle.
        batch(2, 2500);
        assertThat(operator().metrics().compressionLevel).isEqualTo("tome:4");
        assertThat(operator().metrics().compressionLevelIndex).isEqualTo(2);
        assertThat(operator().metrics().levelChanges.getCount()).isZero(); // the first level

        // Fresh frames from now on: straight back to level 0 (it covers this load with the restore
        // margin) after one restore dwell, 5 s of calm.
        long t = harness.getProcessingTime();
        List<String> levels = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            t += 500;
            harness.setProcessingTime(t);
            batch(2, 20);
            levels.add(operator().metrics().compressionLevel);
        }
        assertThat(levels.get(levels.size() - 1)).isEqualTo("none");
        assertThat(levels.indexOf("none")).as("batches of 500 ms until level 0").isBetween(8, 12);
        assertThat(levels.subList(0, levels.indexOf("none"))).containsOnly("tome:4");
        assertThat(operator().metrics().levelChanges.getCount()).isEqualTo(1);
        assertThat(operator().metrics().compressionLevelIndex).isZero();

        // Labels carry the level of their batch; none is skipped with shedding off.
        assertThat(labels()).extracting(r -> r.level().schedule()).contains("none", "tome:4");
        assertThat(labels()).noneMatch(LabelRecord::skipped);
        assertThat(predictor.calls())
                .extracting(TestingPredictor.Call::level)
                .contains(CompressionLevel.tome(4), CompressionLevel.none());
    }

    @Test
    void oldFramesAtAnIdleOperatorDoNotRaiseTheLevel() throws Exception {
        open(ControllerConfig.defaults(LADDER), 2);
        batch(2, 50); // measures the (instant) testing model: capacity far above 4 frames/s
        harness.setProcessingTime(harness.getProcessingTime() + 100);
        batch(2, 2500);
        harness.setProcessingTime(harness.getProcessingTime() + 1000);
        batch(2, 5000);
        assertThat(operator().metrics().compressionLevel).isEqualTo("none");
        assertThat(operator().metrics().levelChanges.getCount()).isZero();
    }

    @Test
    void deadlineSheddingSkipsOldFramesButStillEmitsARecordForEach() throws Exception {
        open(
                ControllerConfig.builder(LADDER)
                        .shedding(Shedding.deadline(Duration.ofSeconds(2)))
                        .build(),
                4);
        long now = harness.getProcessingTime();
        process("a", 0, now - 10_000); // far beyond the top rung: shed
        process("b", 0, now - 10_000);
        process("a", 1, now - 100);
        process("b", 1, now - 100);
        harness.endInput();

        assertThat(labels()).extracting(r -> r.stream() + "#" + r.seq()).containsExactly("a#0", "b#0", "a#1", "b#1");
        assertThat(labels()).extracting(LabelRecord::skipped).containsExactly(true, true, false, false);
        assertThat(labels().get(0).labels()).isEmpty();
        assertThat(labels().get(0).level().schedule()).isEqualTo("tome:6");
        assertThat(labels().get(2).labels()).isNotEmpty();
        assertThat(labels()).extracting(LabelRecord::batchSize).containsOnly(2);
        assertThat(predictor.calls())
                .extracting(TestingPredictor.Call::batchSize)
                .containsExactly(2);
        assertThat(operator().metrics().skippedFrames.getCount()).isEqualTo(2);
        assertThat(operator().metrics().framesOut.getCount()).isEqualTo(4);
        assertThat(LabelRecord.fromJson(labels().get(0).toJson())).isEqualTo(labels().get(0));
    }

    @Test
    void aBatchWhoseFramesAreAllSkippedRunsNothingAndKeepsTheOrder() throws Exception {
        open(
                ControllerConfig.builder(LADDER)
                        .shedding(Shedding.deadline(Duration.ofSeconds(2)))
                        .build(),
                2);
        long now = harness.getProcessingTime();
        process("a", 0, now - 10_000);
        process("a", 1, now - 10_000); // full: cut, all skipped
        process("a", 2, now);
        harness.endInput();

        assertThat(labels()).extracting(LabelRecord::seq).containsExactly(0L, 1L, 2L);
        assertThat(labels()).extracting(LabelRecord::skipped).containsExactly(true, true, false);
        assertThat(predictor.calls())
                .extracting(TestingPredictor.Call::batchSize)
                .containsExactly(1);
    }

    @Test
    void latestPerStreamSheddingKeepsTheNewestFrameOfEachStream() throws Exception {
        // A slow model (200 ms a batch, 100 ms a frame at batch 2): 6 frames/s keep it busy. No
        // demand smoothing, since the harness clock does not move here.
        open(
                ControllerConfig.builder(LADDER)
                        .smoothing(Duration.ZERO)
                        .shedding(Shedding.latestPerStream())
                        .build(),
                2,
                new TestingPredictor(4, 4, (i, px, n, level) -> Thread.sleep(200)));
        long old = harness.getProcessingTime() - 10_000;
        process("a", 0, old);
        process("b", 0, old); // cut: overload detected, shedding from now on
        harness.prepareSnapshotPreBarrier(1);
        // Coalescing: the batch is cut at 2 different streams, not at 2 frames.
        process("a", 1, old);
        process("a", 2, old);
        process("a", 3, old);
        assertThat(predictor.calls()).hasSize(1);
        process("b", 1, old);
        harness.endInput();

        assertThat(labels())
                .extracting(r -> r.stream() + "#" + r.seq() + (r.skipped() ? " skipped" : ""))
                .containsExactly("a#0", "b#0", "a#1 skipped", "a#2 skipped", "a#3", "b#1");
        assertThat(predictor.calls())
                .extracting(TestingPredictor.Call::batchSize)
                .containsExactly(2, 2);
    }

    @Test
    void oneCallPlansTheLevelTheSkipsTheReasonAndTheNextCut() throws Exception {
        LevelSource source = LevelSource.adaptive(ControllerConfig.builder(LADDER)
                .shedding(Shedding.latestPerStream())
                .build());
        source.open(() -> 100_000L);
        List<DecodedFrame> batch =
                List.of(frame("a", 0, 40_000, 1), frame("b", 0, 40_000, 1), frame("a", 1, 40_000, 1));

        // One-minute-old frames and nothing measured yet: the top rung, which sheds.
        BatchPlan plan = source.plan(new LoadSignals(100_000, 3, 60_000, 60_000, 3, 0, 30.0, null, List.of()), batch);

        assertThat(plan.level()).isEqualTo(CompressionLevel.tome(6));
        assertThat(plan.rung()).isEqualTo(3);
        assertThat(plan.skip()).containsExactly(true, false, false);
        assertThat(plan.coalesceStreams()).isTrue();
        assertThat(plan.reason()).contains("feed-forward rung", "shedding (LATEST_PER_STREAM)");
    }

    @Test
    void deadlineSheddingMeasuresAnUntrustedCaptureTimeFromTheReadTime() throws Exception {
        LevelSource source = LevelSource.adaptive(ControllerConfig.builder(LADDER)
                .shedding(Shedding.deadline(Duration.ofMillis(800)))
                .build());
        source.open(() -> 100_000L);
        // A camera sending epoch seconds: captured "at 40 s", read 10 ms ago.
        DecodedFrame seconds = new DecodedFrame("b", 0, 40, new float[] {1, 0, 0, 0}, 99_990);
        List<DecodedFrame> batch = List.of(frame("a", 0, 40_000, 1), seconds);

        BatchPlan plan = source.plan(new LoadSignals(100_000, 2, 60_000, 10, 2, 0, 30.0, null, List.of()), batch);

        assertThat(plan.level()).isEqualTo(CompressionLevel.tome(6));
        assertThat(plan.skip()).as("only the frame a minute old").containsExactly(true, false);
    }

    /**
     * The job's default DEADLINE rule against a fixed deadline, on the controller's clock: four
     * frames at the saturated top rung, whose measured batch of four takes {@code batchMs}.
     */
    private BatchPlan shedAtTopRung(Shedding shedding, double batchMs) throws Exception {
        LevelSource source = LevelSource.adaptive(
                ControllerConfig.builder(LADDER).shedding(shedding).build());
        long now = 100_000;
        source.open(() -> now);
        List<DecodedFrame> batch = List.of(
                frame("a", 0, now - 60_000, 1),
                frame("b", 0, now - 660, 1),
                frame("c", 0, now - 600, 1),
                frame("d", 0, now - 10, 1));
        List<LoadSignals.ServiceTime> times =
                List.of(new LoadSignals.ServiceTime(CompressionLevel.tome(6), 4, batchMs / 4, 10));
        return source.plan(new LoadSignals(now, 4, 60_000, 10, 4, 0, 30.0, CompressionLevel.tome(6), times), batch);
    }

    @Test
    void byDefaultDeadlineSheddingSkipsFramesWhoseLabelWouldLeaveAfterTheTarget() throws Exception {
        // 250 ms batches, 1 s target less its 100 ms delivery margin: frames older than 650 ms go;
        // the 660 ms one passes a fixed 800 ms and would leave at 910 ms.
        BatchPlan auto = shedAtTopRung(Shedding.auto(), 250);
        assertThat(auto.level()).isEqualTo(CompressionLevel.tome(6));
        assertThat(auto.skip()).containsExactly(true, true, false, false);
        assertThat(auto.reason()).contains("shedding (DEADLINE, frames older than 650 ms)");
        BatchPlan fixed = shedAtTopRung(Shedding.deadline(Duration.ofMillis(800)), 250);
        assertThat(fixed.skip()).containsExactly(true, false, false, false);
        assertThat(fixed.reason()).contains("shedding (DEADLINE, frames older than 800 ms)");

        // 350 ms batches: the 600 ms-old frame would leave at 950 ms; a fixed 800 ms keeps it.
        assertThat(shedAtTopRung(Shedding.auto(), 350).skip()).containsExactly(true, true, true, false);
        assertThat(shedAtTopRung(Shedding.deadline(Duration.ofMillis(800)), 350).skip())
                .containsExactly(true, false, false, false);
    }

    @Test
    void survivesFlinkSerialization() throws Exception {
        LevelSource source = InstantiationUtil.clone(LevelSource.adaptive(ControllerConfig.defaults(LADDER)));
        source.open(() -> 0L);
        assertThat(source.plan(
                                new LoadSignals(0, 1, 10, 10, 1, 0, 1.0, null, List.of()),
                                List.of(frame("a", 0, -10, 1)))
                        .level())
                .isEqualTo(CompressionLevel.none());
        assertThat(((AdaptiveLevelSource) source).rungOf(CompressionLevel.tome(6)))
                .isEqualTo(3);
        assertThat(source).hasToString("adaptive(none;tome:2;tome:4;tome:6, latency target 1000 ms, shedding OFF)");
    }
}
