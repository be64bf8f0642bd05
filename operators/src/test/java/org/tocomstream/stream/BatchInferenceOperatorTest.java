package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Ladder;
import org.tocomstream.model.VitConfig;
import org.tocomstream.stream.testutils.RecordingLevelSource;
import org.tocomstream.stream.testutils.TestingPredictor;

class BatchInferenceOperatorTest {

    private static final long WAIT_MS = 10_000;

    private OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness;

    @AfterEach
    void closeHarness() throws Exception {
        if (harness != null) {
            try {
                harness.close();
            } catch (Exception ignored) {
                // Tests that fail the operator on purpose leave it failing on close too.
            }
        }
    }

    private OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> open(
            BatchingConfig batching, TestingPredictor predictor, LevelSource levels, int topK) throws Exception {
        harness = new OneInputStreamOperatorTestHarness<>(
                new BatchInferenceOperatorFactory(batching, topK, predictor.factory(), levels));
        harness.setProcessingTime(1000);
        harness.open();
        return harness;
    }

    private OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> open(
            BatchingConfig batching, TestingPredictor predictor) throws Exception {
        return open(batching, predictor, LevelSource.fixed(CompressionLevel.none()), 3);
    }

    private static BatchingConfig batching(int size, long delayMs, int inFlight) {
        return new BatchingConfig(size, Duration.ofMillis(delayMs), inFlight);
    }

    private void process(DecodedFrame frame) throws Exception {
        harness.processElement(new StreamRecord<>(frame, frame.captureTs()));
    }

    private List<LabelRecord> labels() {
        return harness.extractOutputValues();
    }

    private BatchInferenceOperator operator() {
        return (BatchInferenceOperator) harness.getOperator();
    }

    /** Runs the mails already in the task mailbox (results coming back from inference threads). */
    private void runPendingMails() throws Exception {
        TaskMailbox mailbox = harness.getTaskMailbox();
        Optional<Mail> mail;
        while ((mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
            mail.get().run();
        }
    }

    /** Runs mails as they arrive until {@code condition} holds, as the task's mailbox loop would. */
    private void runMailsUntil(BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited %d ms", WAIT_MS).isLessThan(deadline);
            runPendingMails();
            Thread.sleep(1);
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited %d ms", WAIT_MS).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private static List<String> ids(List<LabelRecord> labels) {
        List<String> out = new ArrayList<>();
        for (LabelRecord r : labels) {
            out.add(r.stream() + "#" + r.seq());
        }
        return out;
    }

    @Nested
    class Flushing {

        @Test
        void cutsABatchWhenItIsFull() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(3, 60_000, 2), predictor);

            process(frame("a", 0, 900, 1));
            process(frame("a", 1, 900, 2));
            runPendingMails();
            assertThat(predictor.calls()).isEmpty();

            process(frame("a", 2, 900, 3));
            runMailsUntil(() -> labels().size() == 3);

            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::batchSize)
                    .containsExactly(3);
            assertThat(labels()).extracting(LabelRecord::batchSize).containsOnly(3);
            assertThat(labels())
                    .extracting(r -> r.labels().get(0).label())
                    .containsExactly("class_1", "class_2", "class_3");
        }

        @Test
        void cutsABatchWhenItsFirstFrameHasWaitedMaxDelay() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(8, 50, 2), predictor);

            process(frame("a", 0, 900, 1)); // arrives at 1000: due at 1050
            harness.setProcessingTime(1030);
            process(frame("a", 1, 1020, 2));
            harness.setProcessingTime(1049);
            runPendingMails();
            assertThat(predictor.calls()).isEmpty();

            harness.setProcessingTime(1050);
            runMailsUntil(() -> labels().size() == 2);

            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::batchSize)
                    .containsExactly(2);
            // Emitted at processing time 1050: age = 1050 - capture time.
            assertThat(labels()).extracting(LabelRecord::ageMs).containsExactly(150L, 30L);
        }

        @Test
        void aTimerOfAnAlreadyCutBatchDoesNotCutTheNextOneEarly() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(2, 50, 2), predictor);

            process(frame("a", 0, 1000, 0)); // timer due at 1050
            process(frame("a", 1, 1000, 0)); // full: cut at 1000
            runMailsUntil(() -> labels().size() == 2);
            harness.setProcessingTime(1040);
            process(frame("a", 2, 1040, 0)); // new buffer, due at 1090
            harness.setProcessingTime(1050); // the first timer fires
            runPendingMails();
            assertThat(predictor.calls()).hasSize(1);

            harness.setProcessingTime(1090);
            runMailsUntil(() -> labels().size() == 3);
            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::batchSize)
                    .containsExactly(2, 1);
        }

        @Test
        void labelsEveryFrameBeforeTheCheckpointBarrier() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(8, 60_000, 2), predictor);
            process(frame("a", 0, 900, 1));
            process(frame("b", 0, 900, 2));
            assertThat(labels()).isEmpty();

            harness.prepareSnapshotPreBarrier(1);

            // No mail was run by the test: the operator itself waited for the batch.
            assertThat(ids(labels())).containsExactly("a#0", "b#0");
            assertThat(operator().metrics().inFlightBatches).isZero();
            assertThat(operator().metrics().queuedFrames).isZero();
            assertThat(harness.snapshot(1, 1)).isNotNull();
        }

        @Test
        void labelsEveryFrameAtEndOfInput() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(2, 60_000, 1), predictor);
            for (int i = 0; i < 5; i++) {
                process(frame("a", i, 900, i));
            }

            harness.endInput();

            assertThat(ids(labels())).containsExactly("a#0", "a#1", "a#2", "a#3", "a#4");
            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::batchSize)
                    .containsExactly(2, 2, 1);
        }
    }

    @Nested
    class InFlightBound {

        @Test
        void aSlowModelBlocksTheInputInsteadOfQueueingBatches() throws Exception {
            Semaphore gate = new Semaphore(0);
            TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> gate.acquire());
            open(batching(1, 60_000, 2), predictor);

            process(frame("a", 0, 900, 0));
            process(frame("a", 1, 900, 1));
            waitFor(() -> predictor.running() == 2);

            AtomicBoolean thirdAccepted = new AtomicBoolean();
            AtomicBoolean blockedWhileFull = new AtomicBoolean();
            Thread releaser = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                blockedWhileFull.set(!thirdAccepted.get());
                gate.release(1000);
            });
            releaser.start();
            process(frame("a", 2, 900, 2)); // must wait for a free slot
            thirdAccepted.set(true);
            // Only the operator's own yield can have emitted a label by now: it waited for one.
            assertThat(labels()).isNotEmpty();
            releaser.join();

            assertThat(blockedWhileFull)
                    .as("processElement returned while 2 batches ran")
                    .isTrue();
            assertThat(operator().metrics().inFlightBatches).isLessThanOrEqualTo(2);
            harness.endInput();
            assertThat(ids(labels())).containsExactly("a#0", "a#1", "a#2");
            assertThat(predictor.maxRunning()).isEqualTo(2);
        }

        @Test
        void aFullBufferIsCutWhenTheModelIsFreeBeforeTheLabelsAreEmitted() throws Exception {
            Semaphore gate = new Semaphore(0);
            TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> gate.acquire());
            List<Integer> labelsAtCut = new ArrayList<>();
            RecordingLevelSource levels = new RecordingLevelSource(s -> {
                labelsAtCut.add(labels().size()); // cut() runs on the task thread
                return CompressionLevel.none();
            });
            open(batching(2, 60_000, 1), predictor, levels, 3);

            process(frame("a", 0, 900, 0));
            process(frame("a", 1, 900, 1)); // batch 1 runs
            waitFor(() -> predictor.running() == 1);
            process(frame("a", 2, 900, 2));
            gate.release(1000);
            process(frame("a", 3, 900, 3)); // full: waits for batch 1, whose completion cuts it
            harness.endInput();

            // Batch 2 was cut in batch 1's completion mail before batch 1's labels went out, and
            // the controller did not count the finished batch as in flight.
            assertThat(labelsAtCut).containsExactly(0, 0);
            assertThat(levels.seen().get(1).inFlightBatches()).isZero();
            assertThat(levels.seen().get(1).queuedFrames()).isEqualTo(2);
            assertThat(ids(labels())).containsExactly("a#0", "a#1", "a#2", "a#3");
            assertThat(predictor.maxRunning()).isEqualTo(1);
        }

        @Test
        void whenCoalescingEndsTheFramesPiledUpRunInBatchesOfAtMostMaxBatchSize() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            // The first plan coalesces the next buffer; the next ones shed nothing.
            RecordingLevelSource levels = RecordingLevelSource.planning(
                    s -> new BatchPlan(CompressionLevel.none(), 0, null, "", s.previousLevel() == null));
            open(batching(2, 60_000, 1), predictor, levels, 3);

            process(frame("a", 0, 900, 0));
            process(frame("b", 0, 900, 0)); // batch 1: the next buffer coalesces
            runMailsUntil(() -> labels().size() == 2);
            for (int seq = 1; seq <= 5; seq++) {
                process(frame("a", seq, 900, seq));
            }
            process(frame("b", 1, 900, 1)); // 2 streams: full, and coalescing ends with it
            harness.endInput();

            assertThat(ids(labels())).containsExactly("a#0", "b#0", "a#1", "a#2", "a#3", "a#4", "a#5", "b#1");
            assertThat(labels()).noneMatch(LabelRecord::skipped);
            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::batchSize)
                    .containsOnly(2);
            assertThat(levels.seen())
                    .flatExtracting(LoadSignals::serviceTimes)
                    .extracting(LoadSignals.ServiceTime::batchSize)
                    .as("service times are of batches the trigger allows")
                    .containsOnly(2);
        }

        @Test
        void neverRunsMoreThanMaxInFlightBatches() throws Exception {
            TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> Thread.sleep(5));
            open(batching(2, 60_000, 3), predictor);
            for (int i = 0; i < 40; i++) {
                process(frame("s" + (i % 3), i / 3, 900, i));
                assertThat(operator().metrics().inFlightBatches).isLessThanOrEqualTo(3);
                assertThat(operator().metrics().queuedFrames).isLessThanOrEqualTo(4 * 2);
            }
            harness.endInput();

            assertThat(labels()).hasSize(40);
            assertThat(predictor.maxRunning()).isBetween(1, 3);
            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::thread)
                    .doesNotContain(Thread.currentThread().getName());
        }
    }

    @Nested
    class Ordering {

        @Test
        void labelsLeaveInInputOrderWhenLaterBatchesFinishFirst() throws Exception {
            AtomicReference<TestingPredictor> self = new AtomicReference<>();
            TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
                // The first batch (its frames are class 3) finishes last.
                if (px[0] == 3) {
                    waitFor(() -> self.get().finished() >= 2);
                }
            });
            self.set(predictor);
            open(batching(2, 60_000, 3), predictor);

            process(frame("a", 0, 900, 3));
            process(frame("b", 0, 900, 3));
            for (int seq = 1; seq < 3; seq++) {
                process(frame("a", seq, 900, 1));
                process(frame("b", seq, 900, 2));
            }
            harness.endInput();

            assertThat(ids(labels())).containsExactly("a#0", "b#0", "a#1", "b#1", "a#2", "b#2");
            assertThat(labels())
                    .extracting(r -> r.labels().get(0).label())
                    .containsExactly("class_3", "class_3", "class_1", "class_2", "class_1", "class_2");
        }

        @Test
        void aWatermarkWaitsForTheFramesBeforeIt() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(8, 60_000, 2), predictor);
            process(frame("a", 0, 900, 1));
            harness.processWatermark(new Watermark(950));
            assertThat(harness.getOutput()).isEmpty();

            harness.endInput();

            List<Object> output = new ArrayList<>(harness.getOutput());
            assertThat(output).hasSize(2);
            assertThat(output.get(0)).isInstanceOf(StreamRecord.class);
            assertThat(output.get(1)).isEqualTo(new Watermark(950));
        }

        @Test
        void aWatermarkWithNothingPendingPassesAtOnce() throws Exception {
            open(batching(8, 60_000, 2), TestingPredictor.simple());
            harness.processWatermark(new Watermark(950));
            assertThat(harness.getOutput()).containsExactly(new Watermark(950));
        }

        @Test
        void labelsKeepTheInputRecordTimestamp() throws Exception {
            open(batching(8, 60_000, 2), TestingPredictor.simple());
            harness.processElement(new StreamRecord<>(frame("a", 0, 900, 1), 4242L));
            harness.endInput();
            assertThat(harness.extractOutputStreamRecords())
                    .extracting(StreamRecord::getTimestamp)
                    .containsExactly(4242L);
        }
    }

    @Nested
    class Labels {

        @Test
        void theLevelOfTheBatchIsInEveryLabelAndGoesToTheModel() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(2, 60_000, 2), predictor, LevelSource.fixed(CompressionLevel.tome(4)), 3);
            for (int i = 0; i < 3; i++) {
                process(frame("a", i, 900, i));
            }
            harness.endInput();

            assertThat(labels())
                    .extracting(LabelRecord::level)
                    .containsOnly(new LabelRecord.Level("tome", "tome:4", null));
            assertThat(predictor.calls())
                    .extracting(TestingPredictor.Call::level)
                    .containsOnly(CompressionLevel.tome(4));
            assertThat(operator().metrics().compressionLevel).isEqualTo("tome:4");
        }

        @Test
        void theLevelSourceIsAskedPerBatchWithTheMeasuredSignals() throws Exception {
            RecordingLevelSource levels = new RecordingLevelSource(
                    s -> s.previousLevel() == null ? CompressionLevel.tome(2) : CompressionLevel.evit(0.7));
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(2, 60_000, 2), predictor, levels, 3);

            process(frame("a", 0, 900, 1)); // at 1000
            harness.setProcessingTime(1010);
            process(frame("a", 1, 990, 1)); // cut at 1010
            runMailsUntil(() -> labels().size() == 2);
            harness.setProcessingTime(1100);
            process(frame("a", 2, 1000, 1));
            process(frame("a", 3, 1050, 1)); // cut at 1100
            harness.endInput();

            List<LoadSignals> seen = levels.seen();
            assertThat(seen).hasSize(2);
            LoadSignals first = seen.get(0);
            assertThat(first.nowMs()).isEqualTo(1010);
            assertThat(first.batchSize()).isEqualTo(2);
            assertThat(first.oldestAgeMs()).isEqualTo(110);
            assertThat(first.newestAgeMs()).isEqualTo(20);
            assertThat(first.queuedFrames()).isEqualTo(2);
            assertThat(first.inFlightBatches()).isZero();
            assertThat(first.arrivalRatePerSecond()).isCloseTo(2.0, within(1e-9));
            assertThat(first.previousLevel()).isNull();
            assertThat(first.serviceTimes()).isEmpty();

            LoadSignals second = seen.get(1);
            assertThat(second.previousLevel()).isEqualTo(CompressionLevel.tome(2));
            assertThat(second.arrivalRatePerSecond()).isCloseTo(4.0, within(1e-9));
            assertThat(second.serviceTimes()).singleElement().satisfies(t -> {
                assertThat(t.level()).isEqualTo(CompressionLevel.tome(2));
                assertThat(t.batchSize()).isEqualTo(2);
                assertThat(t.batches()).isEqualTo(1);
                assertThat(t.msPerFrame()).isNotNegative();
            });
            assertThat(second.msPerFrame(CompressionLevel.tome(2), 2)).isPresent();
            assertThat(second.msPerFrame(CompressionLevel.tome(2), 1)).isEmpty();

            assertThat(labels())
                    .extracting(r -> r.level().schedule())
                    .containsExactly("tome:2", "tome:2", "evit:0.7", "evit:0.7");
        }

        @Test
        void labelsCarryTheFrameModelBatchAgeAndTopK() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(2, 60_000, 2), predictor, LevelSource.fixed(CompressionLevel.none()), 2);
            process(frame("cam-7", 41, 880, 3));
            harness.setProcessingTime(1234);
            harness.endInput();

            LabelRecord label = labels().get(0);
            assertThat(label.stream()).isEqualTo("cam-7");
            assertThat(label.seq()).isEqualTo(41);
            assertThat(label.captureTs()).isEqualTo(880);
            assertThat(label.model()).isEqualTo("testing@00000000");
            assertThat(label.batchSize()).isEqualTo(1);
            assertThat(label.inferenceMs()).isNotNegative();
            assertThat(label.ageMs()).isEqualTo(1234 - 880);
            assertThat(label.labels()).hasSize(2);
            assertThat(label.labels().get(0).label()).isEqualTo("class_3");
            double best = Math.exp(5) / (Math.exp(5) + 3);
            assertThat(label.labels().get(0).score()).isCloseTo(best, within(1e-6));
            // The rest tie at logit 0: the lower class index comes first.
            assertThat(label.labels().get(1).label()).isEqualTo("class_0");
            assertThat(LabelRecord.fromJson(label.toJson())).isEqualTo(label);
        }

        @Test
        void topKAboveTheNumberOfClassesIsClamped() throws Exception {
            open(batching(1, 60_000, 1), TestingPredictor.simple(), LevelSource.fixed(CompressionLevel.none()), 10);
            process(frame("a", 0, 900, 2));
            harness.endInput();
            assertThat(labels().get(0).labels()).hasSize(4);
        }
    }

    @Nested
    class LevelsThatDoNotFitTheModel {

        private final TestingPredictor predictor = TestingPredictor.simple()
                .withGeometry(VitConfig.preset("vit_demo").geometry());

        @Test
        void aFixedLevelFailsOpenForGoodNamingTheSettingAndTheLevel() {
            LevelSource levels = LevelSource.fixed(CompressionLevel.parse("diffrate:deit-s@2.9"));

            assertThatThrownBy(() -> open(batching(4, 100, 1), predictor, levels, 3))
                    .isInstanceOf(SuppressRestartsException.class)
                    .cause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("vit.compress.level diffrate:deit-s@2.9 needs 197 tokens and 12 blocks;"
                            + " the model testing@00000000 has 65 tokens and 12 blocks");
            assertThat(predictor.calls()).isEmpty();
        }

        @Test
        void aLadderRungFailsOpenNamingTheLadder() {
            CostModel deitS =
                    CostModel.of(VitConfig.preset("deit_small_patch16_224").geometry());
            LevelSource levels = LevelSource.adaptive(
                    ControllerConfig.defaults(Ladder.parse(deitS, "none;tome:4;diffrate:deit-s@2.9")));

            assertThatThrownBy(() -> open(batching(4, 100, 1), predictor, levels, 3))
                    .isInstanceOf(SuppressRestartsException.class)
                    .cause()
                    .hasMessageStartingWith("vit.control.ladder rung diffrate:deit-s@2.9 needs 197 tokens");
        }

        @Test
        void levelsThatFitOpen() throws Exception {
            LevelSource levels = LevelSource.fixed(CompressionLevel.parse(
                    "diffrate:65,62,50,52,44,60,36,30,26,20,16,6/65,58,56,46,44,40,34,28,24,18,14,3"));

            open(batching(4, 100, 1), predictor, levels, 3);
        }
    }

    @Nested
    class Failures {

        @Test
        void anInferenceErrorFailsTheTaskOnTheTaskThread() throws Exception {
            TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
                throw new IllegalStateException("boom");
            });
            open(batching(1, 60_000, 2), predictor);
            process(frame("cam-1", 9, 900, 0));
            // The failure is recorded before its mail is posted; the mail is not run here.
            waitFor(() -> harness.getTaskMailbox().hasMail());

            assertThatThrownBy(() -> process(frame("cam-1", 10, 900, 0)))
                    .isInstanceOf(InferenceException.class)
                    .hasMessageContaining("batch of 1 frames at level none")
                    .hasMessageContaining("first frame cam-1#9")
                    .hasRootCauseMessage("boom");
            assertThatThrownBy(harness::endInput).isInstanceOf(InferenceException.class);
        }

        @Test
        void theFailureMailAloneFailsTheTaskWhenNoMoreInputArrives() throws Exception {
            TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
                throw new IllegalStateException("boom");
            });
            open(batching(1, 60_000, 2), predictor);
            process(frame("cam-1", 9, 900, 0));

            assertThatThrownBy(() -> runMailsUntil(() -> false))
                    .isInstanceOf(InferenceException.class)
                    .hasRootCauseMessage("boom");
        }
    }

    @Nested
    class Lifecycle {

        @Test
        void opensOnePredictorPerSubtaskAndClosesIt() throws Exception {
            TestingPredictor predictor = TestingPredictor.simple();
            open(batching(1, 60_000, 1), predictor);
            assertThat(predictor.contexts()).singleElement().satisfies(c -> {
                assertThat(c.subtaskIndex()).isZero();
                assertThat(c.gpuIndices()).isEmpty();
            });

            harness.close();
            harness = null;

            assertThat(predictor.closed()).isTrue();
        }

        @Test
        void metricsCountFramesBatchesAndAges() throws Exception {
            open(batching(2, 60_000, 2), TestingPredictor.simple(), LevelSource.fixed(CompressionLevel.tome(4)), 3);
            for (int i = 0; i < 5; i++) {
                process(frame("a", i, 1000 - 10 * i, 0));
            }
            harness.setProcessingTime(1100);
            harness.endInput();

            InferenceMetrics m = operator().metrics();
            assertThat(m.framesIn.getCount()).isEqualTo(5);
            assertThat(m.framesOut.getCount()).isEqualTo(5);
            assertThat(m.batches.getCount()).isEqualTo(3);
            assertThat(m.batchSize.getStatistics().getValues()).containsExactlyInAnyOrder(2, 2, 1);
            assertThat(m.inferenceMs.getCount()).isEqualTo(3);
            assertThat(m.batchLatencyMs.getCount()).isEqualTo(3);
            assertThat(m.frameAgeMs.getCount()).isEqualTo(5);
            // No mail ran before endInput, so every batch was emitted at 1100: ages 100..140.
            assertThat(m.frameAgeMs.getStatistics().getValues()).containsExactlyInAnyOrder(100, 110, 120, 130, 140);
            assertThat(m.frameAgeMs.quantile(0.50)).isEqualTo(120);
            assertThat(m.frameAgeMs.quantile(0.99)).isEqualTo(140);
            assertThat(m.inFlightBatches).isZero();
            assertThat(m.queuedFrames).isZero();
            assertThat(m.compressionLevel).isEqualTo("tome:4");
        }
    }
}
