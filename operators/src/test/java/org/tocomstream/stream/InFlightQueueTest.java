package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

/** The ordered queue of batches in flight, and the batches in it, without Flink's harness. */
class InFlightQueueTest {

    private static final InferenceBatch.Result DONE = new InferenceBatch.Result(List.of(), null, 1);

    private static InferenceBatch batch(String stream, int frames) {
        return batch(stream, frames, BatchPlan.of(CompressionLevel.none()));
    }

    private static InferenceBatch batch(String stream, int frames, BatchPlan plan) {
        List<PendingFrame> list = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            list.add(new PendingFrame(frame(stream, i, 900, 1), false, 0));
        }
        return new InferenceBatch(list, plan, 1000, null);
    }

    private static List<String> drain(InFlightQueue queue) {
        List<String> out = new ArrayList<>();
        for (InferenceBatch b; (b = queue.pollLabelled()) != null; ) {
            out.add(b.frames().get(0).frame().stream());
        }
        return out;
    }

    @Nested
    class Order {

        @Test
        void batchesLeaveInCutOrderWhateverOrderTheyCompleteIn() {
            InFlightQueue queue = new InFlightQueue(3);
            InferenceBatch first = batch("first", 1);
            InferenceBatch second = batch("second", 1);
            InferenceBatch third = batch("third", 1);
            queue.add(first);
            queue.add(second);
            queue.add(third);

            third.complete(DONE);
            second.complete(DONE);
            assertThat(queue.pollLabelled()).as("the head is still running").isNull();
            assertThat(queue.labelledAtHead()).isZero();

            first.complete(DONE);
            assertThat(queue.labelledAtHead()).isEqualTo(3);
            assertThat(drain(queue)).containsExactly("first", "second", "third");
            assertThat(queue.isEmpty()).isTrue();
        }

        @Test
        void framesAreCountedUntilTheirBatchLeaves() {
            InFlightQueue queue = new InFlightQueue(3);
            InferenceBatch a = batch("a", 2);
            InferenceBatch b = batch("b", 3);
            queue.add(a);
            queue.add(b);
            assertThat(queue.frames()).isEqualTo(5);

            a.complete(DONE);
            assertThat(queue.framesLabelledAtHead()).isEqualTo(2);
            queue.pollLabelled();
            assertThat(queue.frames()).isEqualTo(3);
            assertThat(queue.framesLabelledAtHead()).isZero();
        }
    }

    @Nested
    class Capacity {

        @Test
        void isFullAtCapacity() {
            InFlightQueue queue = new InFlightQueue(2);
            queue.add(batch("a", 1));
            assertThat(queue.isFull()).isFalse();
            queue.add(batch("b", 1));
            assertThat(queue.isFull()).isTrue();
            assertThat(queue.size()).isEqualTo(2);
        }

        @Test
        void aLabelledHeadMakesRoomForOneMoreBeforeItLeaves() {
            InFlightQueue queue = new InFlightQueue(1);
            InferenceBatch head = batch("head", 1);
            queue.add(head);
            assertThat(queue.hasRoomAfterLabelledHead()).isFalse();
            assertThatThrownBy(() -> queue.add(batch("next", 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("capacity 1");

            head.complete(DONE);
            assertThat(queue.hasRoomAfterLabelledHead()).isTrue();
            queue.add(batch("next", 1));
            assertThat(queue.size()).as("capacity + 1 until the head leaves").isEqualTo(2);
            assertThat(drain(queue)).containsExactly("head");
            assertThat(queue.isFull()).isTrue();
        }

        @Test
        void theCapacityIsAtLeastOne() {
            assertThatThrownBy(() -> new InFlightQueue(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Watermarks {

        @Test
        void anEmptyQueueHoldsNoWatermark() {
            assertThat(new InFlightQueue(1).holdWatermark(new Watermark(5))).isFalse();
        }

        @Test
        void aWatermarkWaitsBehindTheNewestBatch() {
            InFlightQueue queue = new InFlightQueue(2);
            InferenceBatch older = batch("older", 1);
            InferenceBatch newest = batch("newest", 1);
            queue.add(older);
            queue.add(newest);

            assertThat(queue.holdWatermark(new Watermark(5))).isTrue();
            assertThat(queue.holdWatermark(new Watermark(7))).isTrue();

            assertThat(older.watermarkAfter()).isNull();
            assertThat(newest.watermarkAfter()).isEqualTo(new Watermark(7));
        }
    }

    @Nested
    class Batches {

        @Test
        void skippedFramesKeepTheirPlaceButDoNotRun() {
            InferenceBatch b = batch(
                    "a", 3, new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {true, false, true}, "", false));
            assertThat(b.frames()).hasSize(3);
            assertThat(b.run()).extracting(p -> p.frame().seq()).containsExactly(1L);
            assertThat(b.isSkipped(0)).isTrue();
            assertThat(b.isSkipped(1)).isFalse();
            assertThat(b.level()).isEqualTo(CompressionLevel.tome(2));
        }

        @Test
        void aBatchCompletesOnce() {
            InferenceBatch b = batch("a", 1);
            assertThat(b.isLabelled()).isFalse();
            b.complete(DONE);
            assertThat(b.result()).isSameAs(DONE);
            assertThatThrownBy(() -> b.complete(DONE)).isInstanceOf(IllegalStateException.class);
        }
    }
}
