package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.stream.testutils.TestingPredictor;

/**
 * The batching inference operator in a real task (MiniCluster, two subtasks, checkpoints every
 * 30 ms), where timers and inference results are mails and the operator yields inside them.
 * Counting maps chained before and after it record, at each checkpoint, how many frames went in
 * and how many labels came out: they must be equal, i.e. no frame is in flight across a barrier.
 */
class BatchInferenceITCase {

    private static final int FRAMES = 1200;
    private static final int STREAMS = 6;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    /** "subtask/checkpoint" -> records seen when that checkpoint was taken. */
    private static final Map<String, Long> FRAMES_AT = new ConcurrentHashMap<>();

    private static final Map<String, Long> LABELS_AT = new ConcurrentHashMap<>();

    /** Counts records and publishes the count at every checkpoint. */
    private abstract static class Counting<T> extends RichMapFunction<T, T> implements CheckpointedFunction {
        private long count;

        /** The static map to publish to (a field would be a copy after Flink serializes us). */
        abstract Map<String, Long> published();

        @Override
        public T map(T value) {
            count++;
            return value;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            published().put(subtask + "/" + context.getCheckpointId(), count);
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}
    }

    private static final class CountFrames extends Counting<DecodedFrame> {
        @Override
        Map<String, Long> published() {
            return FRAMES_AT;
        }
    }

    private static final class CountLabels extends Counting<LabelRecord> {
        @Override
        Map<String, Long> published() {
            return LABELS_AT;
        }
    }

    /** Spreads the source over about a second so that checkpoints fall in the middle of it. */
    private static final class Throttle extends RichMapFunction<Long, Long> {
        @Override
        public Long map(Long value) throws InterruptedException {
            if (value % 2 == 0) {
                Thread.sleep(1);
            }
            return value;
        }
    }

    @Test
    @SuppressWarnings("try") // Flink's CloseableIterator.close() may throw InterruptedException
    void everyCheckpointFollowsTheLabelsOfAllFramesBeforeIt() throws Exception {
        TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> Thread.sleep(3));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(30);

        DataStream<DecodedFrame> frames = env.fromSequence(0, FRAMES - 1)
                .setParallelism(1)
                .map(new Throttle())
                .setParallelism(1)
                .map(i -> frame("s" + (i % STREAMS), i / STREAMS, 0, (int) (i % 4)))
                .returns(DecodedFrame.class)
                .setParallelism(1)
                .keyBy(DecodedFrame::stream)
                .map(new CountFrames());
        DataStream<LabelRecord> labels = new BatchInferenceOperatorFactory(
                        new BatchingConfig(8, Duration.ofMillis(3), 2),
                        1,
                        predictor.factory(),
                        LevelSource.fixed(CompressionLevel.tome(2)))
                .applyTo(frames)
                .map(new CountLabels());

        List<LabelRecord> out = new ArrayList<>();
        try (CloseableIterator<LabelRecord> it = labels.executeAndCollect("batch-inference-it")) {
            it.forEachRemaining(out::add);
        }

        // Every frame labelled once, each stream in order, each label its own frame's.
        assertThat(out).hasSize(FRAMES);
        Map<String, Long> next = new HashMap<>();
        for (LabelRecord r : out) {
            long expected = next.getOrDefault(r.stream(), 0L);
            assertThat(r.seq()).as("next seq of %s", r.stream()).isEqualTo(expected);
            next.put(r.stream(), expected + 1);
            long i = r.seq() * STREAMS + Integer.parseInt(r.stream().substring(1));
            assertThat(r.labels().get(0).label()).isEqualTo("class_" + (i % 4));
            assertThat(r.level().schedule()).isEqualTo("tome:2");
        }

        // Checkpoints were taken while frames flowed, and none had a frame in flight.
        assertThat(FRAMES_AT).isNotEmpty();
        assertThat(FRAMES_AT.values()).anySatisfy(v -> assertThat(v).isBetween(1L, FRAMES - 1L));
        assertThat(LABELS_AT).isEqualTo(FRAMES_AT);
        assertThat(predictor.maxRunning()).isLessThanOrEqualTo(2 * 2);
    }
}
