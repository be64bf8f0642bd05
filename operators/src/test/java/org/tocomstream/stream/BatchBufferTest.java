package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.time.Duration;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

/** The batch buffer and its trigger, without Flink's harness: frames in, cuts out. */
class BatchBufferTest {

    private static BatchTrigger trigger(int maxBatchSize, long maxDelayMs) {
        return new BatchTrigger(new BatchingConfig(maxBatchSize, Duration.ofMillis(maxDelayMs), 1));
    }

    private static PendingFrame pending(String stream, long seq) {
        return new PendingFrame(frame(stream, seq, 900, 1), true, seq);
    }

    @Nested
    class Trigger {

        @Test
        void isFullAtMaxBatchSizeFrames() {
            BatchTrigger t = trigger(4, 50);
            assertThat(t.isFull(3, 1, false)).isFalse();
            assertThat(t.isFull(4, 1, false)).isTrue();
        }

        @Test
        void whileCoalescingIsFullAtMaxBatchSizeStreamsOrFourTimesTheFrames() {
            BatchTrigger t = trigger(4, 50);
            assertThat(t.isFull(4, 3, true)).as("4 frames of 3 streams").isFalse();
            assertThat(t.isFull(5, 4, true)).as("4 streams").isTrue();
            assertThat(t.isFull(15, 1, true)).isFalse();
            assertThat(t.isFull(BatchTrigger.COALESCE_FACTOR * 4, 1, true)).isTrue();
        }

        @Test
        void aCutTakesEveryFrameUnlessMoreThanMaxBatchSizeWouldRun() {
            BatchTrigger t = trigger(2, 50);
            BatchPlan runAll = BatchPlan.of(CompressionLevel.none());
            assertThat(t.framesToCut(runAll, 2)).isEqualTo(2);
            assertThat(t.framesToCut(runAll, 7)).as("coalescing ended").isEqualTo(2);
            BatchPlan latest =
                    new BatchPlan(CompressionLevel.none(), 0, new boolean[] {true, true, false, true, false}, "", true);
            assertThat(t.framesToCut(latest, 5)).as("two run").isEqualTo(5);
            BatchPlan some = new BatchPlan(
                    CompressionLevel.none(), 0, new boolean[] {true, false, false, true, false}, "", false);
            assertThat(t.framesToCut(some, 5))
                    .as("all before the third that runs")
                    .isEqualTo(4);
        }

        @Test
        void aBufferIsDueMaxDelayAfterItsFirstFrame() {
            assertThat(trigger(4, 50).deadline(1000)).isEqualTo(1050);
        }
    }

    @Nested
    class Filling {

        @Test
        void onlyTheFirstFrameOfABufferStartsADeadline() {
            BatchBuffer buffer = new BatchBuffer(trigger(2, 50));
            assertThat(buffer.add(pending("a", 0))).isTrue();
            assertThat(buffer.add(pending("a", 1))).isFalse();
            buffer.cut();
            assertThat(buffer.add(pending("a", 2))).isTrue();
        }

        @Test
        void isFullWhenTheTriggerSaysSo() {
            BatchBuffer buffer = new BatchBuffer(trigger(2, 50));
            buffer.add(pending("a", 0));
            assertThat(buffer.isFull()).isFalse();
            buffer.add(pending("a", 1));
            assertThat(buffer.isFull()).isTrue();
            assertThat(buffer.size()).isEqualTo(2);
        }

        @Test
        void coalescingCountsStreamsAndHoldsUntilTheNextAnswer() {
            BatchBuffer buffer = new BatchBuffer(trigger(2, 50));
            buffer.coalesceStreams(true);
            buffer.add(pending("a", 0));
            buffer.add(pending("a", 1));
            buffer.add(pending("a", 2));
            assertThat(buffer.isFull()).as("3 frames of one stream").isFalse();
            buffer.add(pending("b", 0));
            assertThat(buffer.isFull()).isTrue();

            buffer.cut();
            buffer.add(pending("a", 3));
            buffer.add(pending("a", 4));
            assertThat(buffer.isFull()).as("the answer outlives the cut").isFalse();
            buffer.coalesceStreams(false);
            assertThat(buffer.isFull()).isTrue();
        }
    }

    @Nested
    class Cutting {

        @Test
        void aCutTakesTheFramesInOrderAndEmptiesTheBuffer() {
            BatchBuffer buffer = new BatchBuffer(trigger(8, 50));
            buffer.add(pending("a", 0));
            buffer.add(pending("b", 0));

            BatchBuffer.Cut cut = buffer.cut();

            assertThat(cut.frames()).extracting(p -> p.frame().stream()).containsExactly("a", "b");
            assertThat(cut.watermarkAfter()).isNull();
            assertThat(buffer.isEmpty()).isTrue();
            assertThat(buffer.size()).isZero();
            buffer.add(pending("a", 1));
            assertThat(buffer.isFull()).as("streams are forgotten with the cut").isFalse();
        }

        @Test
        void aWatermarkLeavesWithTheFramesBeforeItAndALaterOneReplacesIt() {
            BatchBuffer buffer = new BatchBuffer(trigger(8, 50));
            buffer.add(pending("a", 0));
            buffer.holdWatermark(new Watermark(10));
            buffer.holdWatermark(new Watermark(20));

            assertThat(buffer.cut().watermarkAfter()).isEqualTo(new Watermark(20));
            buffer.add(pending("a", 1));
            assertThat(buffer.cut().watermarkAfter())
                    .as("taken by the previous cut")
                    .isNull();
        }

        @Test
        void aPartialCutTakesTheOldestFramesAndTheRestKeepTheWatermark() {
            BatchBuffer buffer = new BatchBuffer(trigger(2, 50));
            buffer.coalesceStreams(true);
            buffer.add(pending("a", 0));
            buffer.add(pending("a", 1));
            buffer.add(pending("b", 0));
            buffer.add(pending("a", 2));
            buffer.holdWatermark(new Watermark(10));

            BatchBuffer.Cut cut = buffer.cut(2);

            assertThat(cut.frames()).extracting(p -> p.frame().seq()).containsExactly(0L, 1L);
            assertThat(cut.watermarkAfter())
                    .as("it arrived after the frames that stay")
                    .isNull();
            assertThat(buffer.frames())
                    .extracting(p -> p.frame().stream() + "#" + p.frame().seq())
                    .containsExactly("b#0", "a#2");
            assertThat(buffer.isFull())
                    .as("the streams of the frames that stay")
                    .isTrue();
            assertThat(buffer.add(pending("c", 0))).as("no new deadline").isFalse();
            assertThat(buffer.cut().watermarkAfter()).isEqualTo(new Watermark(10));
            assertThatThrownBy(() -> buffer.cut(0)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void aCutOfNoFramesOrMoreThanTheBufferHoldsIsRefused() {
            BatchBuffer buffer = new BatchBuffer(trigger(2, 50));
            buffer.add(pending("a", 0));
            assertThatThrownBy(() -> buffer.cut(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1 to 1");
            assertThatThrownBy(() -> buffer.cut(2)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void anEmptyBufferHoldsNoWatermarkAndCannotBeCut() {
            BatchBuffer buffer = new BatchBuffer(trigger(8, 50));
            assertThatThrownBy(() -> buffer.holdWatermark(new Watermark(1))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(buffer::cut).isInstanceOf(IllegalStateException.class);
        }
    }
}
