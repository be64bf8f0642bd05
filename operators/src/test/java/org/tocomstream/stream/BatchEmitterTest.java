package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.metrics.testutils.MetricListener;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

/** Label records and emission metrics of a labelled batch, collected into lists. */
class BatchEmitterTest {

    private final List<StreamRecord<LabelRecord>> records = new ArrayList<>();
    private final List<Watermark> watermarks = new ArrayList<>();
    private final InferenceMetrics metrics = new InferenceMetrics(new MetricListener().getMetricGroup());
    private final BatchEmitter emitter =
            new BatchEmitter(level -> "m@1", "gpu1", metrics, records::add, watermarks::add);

    private static List<LabelRecord.Label> top(String label) {
        return List.of(new LabelRecord.Label(label, 0.9));
    }

    @Test
    void oneRecordPerFrameInOrderWithTheBatchsLevelAndTheInputTimestamp() {
        InferenceBatch batch = new InferenceBatch(
                List.of(
                        new PendingFrame(frame("a", 0, 900, 1), true, 4242),
                        new PendingFrame(frame("b", 7, 950, 2), false, 0)),
                BatchPlan.of(CompressionLevel.tome(4)),
                1000,
                new Watermark(960));
        batch.complete(new InferenceBatch.Result(List.of(top("x"), top("y")), "0->4", 1_234_567));

        emitter.emit(batch, 1100);

        assertThat(records).extracting(StreamRecord::hasTimestamp).containsExactly(true, false);
        assertThat(records.get(0).getTimestamp()).isEqualTo(4242);
        List<LabelRecord> labels = records.stream().map(StreamRecord::getValue).toList();
        assertThat(labels).extracting(r -> r.stream() + "#" + r.seq()).containsExactly("a#0", "b#7");
        assertThat(labels).extracting(r -> r.labels().get(0).label()).containsExactly("x", "y");
        assertThat(labels).extracting(LabelRecord::ageMs).containsExactly(200L, 150L);
        assertThat(labels).extracting(LabelRecord::level).containsOnly(new LabelRecord.Level("tome", "tome:4", "0->4"));
        assertThat(labels).extracting(LabelRecord::model).containsOnly("m@1");
        assertThat(labels).extracting(LabelRecord::device).containsOnly("gpu1");
        assertThat(labels).extracting(LabelRecord::batchSize).containsOnly(2);
        assertThat(labels).extracting(LabelRecord::inferenceMs).containsOnly(1.235);
        assertThat(watermarks).containsExactly(new Watermark(960));

        assertThat(metrics.framesOut.getCount()).isEqualTo(2);
        assertThat(metrics.batches.getCount()).isEqualTo(1);
        assertThat(metrics.compensatedBatches.getCount()).isEqualTo(1);
        assertThat(metrics.batchLatencyMs.getStatistics().getValues()).containsExactly(100);
        assertThat(metrics.frameAgeMs.getStatistics().getValues()).containsExactlyInAnyOrder(200, 150);
    }

    @Test
    void skippedFramesGetAnEmptyMarkedRecordAndTheOthersKeepTheirLabels() {
        InferenceBatch batch = new InferenceBatch(
                List.of(
                        new PendingFrame(frame("a", 0, 900, 1), false, 0),
                        new PendingFrame(frame("a", 1, 900, 1), false, 0),
                        new PendingFrame(frame("a", 2, 900, 1), false, 0)),
                new BatchPlan(CompressionLevel.tome(6), 3, new boolean[] {true, false, true}, "", false),
                1000,
                null);
        batch.complete(new InferenceBatch.Result(List.of(top("x")), null, 0));

        emitter.emit(batch, 1000);

        List<LabelRecord> labels = records.stream().map(StreamRecord::getValue).toList();
        assertThat(labels).extracting(LabelRecord::skipped).containsExactly(true, false, true);
        assertThat(labels.get(0).labels()).isEmpty();
        assertThat(labels.get(1).labels()).isEqualTo(top("x"));
        assertThat(labels).extracting(LabelRecord::batchSize).containsOnly(1);
        assertThat(watermarks).isEmpty();
        assertThat(metrics.compensatedBatches.getCount()).isZero();
    }

    @Test
    void aBatchWhereNothingRanCountsItsFramesButNoBatch() {
        InferenceBatch batch = new InferenceBatch(
                List.of(new PendingFrame(frame("a", 0, 900, 1), false, 0)),
                new BatchPlan(CompressionLevel.tome(6), 3, new boolean[] {true}, "", false),
                1000,
                null);
        batch.complete(InferenceBatch.Result.NOTHING_RAN);

        emitter.emit(batch, 1000);

        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.getValue().skipped()).isTrue();
            assertThat(r.getValue().batchSize()).isZero();
            assertThat(r.getValue().inferenceMs()).isZero();
        });
        assertThat(metrics.framesOut.getCount()).isEqualTo(1);
        assertThat(metrics.batches.getCount()).isZero();
        assertThat(metrics.batchLatencyMs.getCount()).isZero();
    }
}
