package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

/** Load sampling and the one plan per batch, with a hand-written level source. */
class BatchPlannerTest {

    /** Answers with a function of the frames and records every call. */
    private static final class ScriptedLevelSource implements LevelSource {
        private static final long serialVersionUID = 1L;
        final List<List<DecodedFrame>> batches = new ArrayList<>();
        final List<LoadSignals> signals = new ArrayList<>();
        private final Function<List<DecodedFrame>, BatchPlan> answer;

        ScriptedLevelSource(Function<List<DecodedFrame>, BatchPlan> answer) {
            this.answer = answer;
        }

        @Override
        public BatchPlan plan(LoadSignals s, List<DecodedFrame> batch) {
            signals.add(s);
            batches.add(batch);
            return answer.apply(batch);
        }

        @Override
        public String toString() {
            return "scripted";
        }
    }

    private static List<PendingFrame> frames(long... captureTs) {
        List<PendingFrame> out = new ArrayList<>();
        for (int i = 0; i < captureTs.length; i++) {
            out.add(new PendingFrame(frame("s" + i, i, captureTs[i], 1), false, 0));
        }
        return out;
    }

    @Test
    void signalsDescribeTheBatchTheQueueAndTheArrivals() {
        BatchPlanner planner = new BatchPlanner(LevelSource.fixed(CompressionLevel.none()), 3, 8);
        for (long t = 1000; t < 1500; t += 50) {
            planner.arrived(t); // 10 frames within the last second
        }

        LoadSignals s = planner.sample(1500, frames(1200, 1450, 1300), 7, 2, 42);

        assertThat(s.nowMs()).isEqualTo(1500);
        assertThat(s.batchSize()).isEqualTo(3);
        assertThat(s.oldestAgeMs()).isEqualTo(300);
        assertThat(s.newestAgeMs()).isEqualTo(50);
        assertThat(s.queuedFrames()).isEqualTo(7);
        assertThat(s.inFlightBatches()).isEqualTo(2);
        assertThat(s.arrivalRatePerSecond()).isCloseTo(10.0, within(1e-9));
        assertThat(s.previousLevel()).isNull();
        assertThat(s.serviceTimes()).isEmpty();
        assertThat(s.maxInFlight()).isEqualTo(3);
        assertThat(s.upstreamBacklogFrames()).isEqualTo(42);
    }

    @Test
    void theNextSignalsCarryThePlannedLevelAndTheServedTimes() {
        BatchPlanner planner = new BatchPlanner(LevelSource.fixed(CompressionLevel.tome(4)), 1, 8);
        List<PendingFrame> batch = frames(900, 950);
        BatchPlan plan = planner.plan(planner.sample(1000, batch, 2, 0, LoadSignals.UNKNOWN), batch);
        planner.served(plan.level(), 2, 8_000_000);

        LoadSignals next = planner.sample(1100, frames(1000), 1, 0, LoadSignals.UNKNOWN);

        assertThat(planner.level()).isEqualTo(CompressionLevel.tome(4));
        assertThat(next.previousLevel()).isEqualTo(CompressionLevel.tome(4));
        assertThat(next.msPerFrame(CompressionLevel.tome(4), 2)).hasValue(4.0);
    }

    @Test
    void aBatchAboveMaxBatchSizeIsNotMeasured() {
        BatchPlanner planner = new BatchPlanner(LevelSource.fixed(CompressionLevel.none()), 1, 2);
        planner.served(CompressionLevel.none(), 8, 8_000_000);
        planner.served(CompressionLevel.none(), 2, 4_000_000);

        LoadSignals next = planner.sample(1100, frames(1000), 1, 0, LoadSignals.UNKNOWN);

        assertThat(next.serviceTimes())
                .singleElement()
                .satisfies(t -> assertThat(t.batchSize()).isEqualTo(2));
        assertThat(next.bestMsPerFrame(CompressionLevel.none())).hasValue(2.0);
    }

    @Test
    void theSourceIsAskedOnceWithTheDecodedFramesInOrder() {
        ScriptedLevelSource source = new ScriptedLevelSource(
                b -> new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {false, true}, "why", true));
        BatchPlanner planner = new BatchPlanner(source, 1, 8);
        List<PendingFrame> batch = frames(900, 950);
        LoadSignals signals = planner.sample(1000, batch, 2, 0, LoadSignals.UNKNOWN);

        BatchPlan plan = planner.plan(signals, batch);

        assertThat(source.signals).containsExactly(signals);
        assertThat(source.batches)
                .singleElement()
                .satisfies(b -> assertThat(b)
                        .containsExactly(batch.get(0).frame(), batch.get(1).frame()));
        assertThat(plan.skip()).containsExactly(false, true);
        assertThat(plan.reason()).isEqualTo("why");
        assertThat(plan.coalesceStreams()).isTrue();
    }

    @Test
    void skipFlagsThatAreNotOnePerFrameFailNamingTheSource() {
        BatchPlanner planner = new BatchPlanner(
                new ScriptedLevelSource(
                        b -> new BatchPlan(CompressionLevel.none(), 0, new boolean[] {true}, "", false)),
                1,
                8);
        List<PendingFrame> batch = frames(900, 950);

        assertThatThrownBy(() -> planner.plan(planner.sample(1000, batch, 2, 0, -1), batch))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("level source scripted returned 1 skip flags for 2 frames");
        assertThat(planner.level()).as("a rejected plan is not remembered").isNull();
    }

    @Test
    void noPlanFailsNamingTheSource() {
        BatchPlanner planner = new BatchPlanner(new ScriptedLevelSource(b -> null), 1, 8);
        List<PendingFrame> batch = frames(900);

        assertThatThrownBy(() -> planner.plan(planner.sample(1000, batch, 1, 0, -1), batch))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("level source scripted returned no plan");
    }
}
