package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.util.List;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

class LevelSourceTest {

    private static LoadSignals signals(long oldestAgeMs, int inFlight) {
        return new LoadSignals(10_000, 8, oldestAgeMs, 0, 8, inFlight, 120.0, null, List.of());
    }

    private static CompressionLevel levelFor(LevelSource source, LoadSignals signals) {
        return source.plan(signals, List.of()).level();
    }

    @Test
    void aFixedSourceIgnoresTheSignals() throws Exception {
        LevelSource fixed = LevelSource.fixed(CompressionLevel.parse("tome:8"));
        fixed.open(() -> 0L);
        assertThat(levelFor(fixed, signals(0, 0))).isEqualTo(CompressionLevel.tome(8));
        assertThat(levelFor(fixed, signals(60_000, 64))).isEqualTo(CompressionLevel.tome(8));
        fixed.close();
    }

    @Test
    void aFixedSourceRunsEveryFrameAtRung0WithoutCoalescing() {
        BatchPlan plan = LevelSource.fixed(CompressionLevel.tome(8))
                .plan(signals(60_000, 64), List.of(frame("a", 0, 0, 1), frame("a", 1, 0, 1)));
        assertThat(plan).isEqualTo(BatchPlan.of(CompressionLevel.tome(8)));
        assertThat(plan.rung()).isZero();
        assertThat(plan.skippedCount()).isZero();
        assertThat(plan.reason()).isEmpty();
        assertThat(plan.coalesceStreams()).isFalse();
    }

    @Test
    void aFixedSourcePublishesTheLoadAtItsLevelOnceItRan() {
        LoadSignals measured = new LoadSignals(
                10_000,
                8,
                0,
                0,
                8,
                0,
                120.0,
                CompressionLevel.tome(8),
                List.of(new LoadSignals.ServiceTime(CompressionLevel.tome(8), 8, 5.0, 3)),
                2,
                LoadSignals.UNKNOWN);
        // 120 frames/s × 5 ms over 2 batches at once. Exact in binary up to rounding.
        assertThat(LevelSource.fixed(CompressionLevel.tome(8))
                        .plan(measured, List.of())
                        .fullQualityLoad())
                .isCloseTo(0.3, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(LevelSource.fixed(CompressionLevel.tome(8))
                        .plan(signals(0, 0), List.of())
                        .fullQualityLoad())
                .isNaN();
    }

    @Test
    void aFixedSourceSurvivesFlinkSerialization() throws Exception {
        LevelSource fixed = LevelSource.fixed(CompressionLevel.evit(0.7));
        LevelSource copy = InstantiationUtil.clone(fixed);
        assertThat(levelFor(copy, signals(5, 1))).isEqualTo(CompressionLevel.evit(0.7));
        assertThat(copy).hasToString("fixed(evit:0.7)");
    }

    @Test
    void serviceTimesAreLookedUpByLevelAndBatchSize() {
        LoadSignals s = new LoadSignals(
                0,
                8,
                0,
                0,
                8,
                0,
                0,
                null,
                List.of(
                        new LoadSignals.ServiceTime(CompressionLevel.tome(8), 8, 2.5, 3),
                        new LoadSignals.ServiceTime(CompressionLevel.none(), 8, 4.0, 9)));
        assertThat(s.msPerFrame(CompressionLevel.none(), 8)).hasValue(4.0);
        assertThat(s.msPerFrame(CompressionLevel.tome(8), 8)).hasValue(2.5);
        assertThat(s.msPerFrame(CompressionLevel.tome(8), 4)).isEmpty();
    }

    @Test
    void theBestTimePerFrameOfALevelIsTheLowestOverItsBatchSizes() {
        // Full batches measured once at start-up with a cold JIT (12 ms a frame), half-full ones
        // measured since (5 ms): the controller takes 5, not the stale 12.
        LoadSignals s = new LoadSignals(
                0,
                4,
                0,
                0,
                4,
                0,
                0,
                null,
                List.of(
                        new LoadSignals.ServiceTime(CompressionLevel.tome(6), 8, 12.0, 2),
                        new LoadSignals.ServiceTime(CompressionLevel.tome(6), 4, 5.0, 300),
                        new LoadSignals.ServiceTime(CompressionLevel.tome(6), 2, 7.0, 40),
                        new LoadSignals.ServiceTime(CompressionLevel.none(), 8, 4.0, 9)));
        assertThat(s.bestMsPerFrame(CompressionLevel.tome(6))).hasValue(5.0);
        assertThat(s.bestMsPerFrame(CompressionLevel.none())).hasValue(4.0);
        assertThat(s.bestMsPerFrame(CompressionLevel.tome(2))).isEmpty();
        assertThat(s.msPerFrameAtLargestBatch(CompressionLevel.tome(6))).hasValue(12.0);
    }

    @Test
    void aBatchsTimeIsItsSizesMeanElseTheLargestSizesPerFrameFigureUpToThatSize() {
        LoadSignals s = new LoadSignals(
                0,
                4,
                0,
                0,
                4,
                0,
                0,
                null,
                List.of(
                        new LoadSignals.ServiceTime(CompressionLevel.tome(6), 8, 30.0, 20),
                        new LoadSignals.ServiceTime(CompressionLevel.tome(6), 4, 40.0, 300)));
        assertThat(s.batchMs(CompressionLevel.tome(6), 4)).hasValue(160.0);
        assertThat(s.batchMs(CompressionLevel.tome(6), 8)).hasValue(240.0);
        // Not measured at 6: the largest size's 30 ms a frame, six frames.
        assertThat(s.batchMs(CompressionLevel.tome(6), 6)).hasValue(180.0);
        // More than the largest size ever ran (every frame waiting): a cut runs at most that many.
        assertThat(s.batchMs(CompressionLevel.tome(6), 12)).hasValue(240.0);
        assertThat(s.batchMs(CompressionLevel.none(), 4)).isEmpty();
    }

    @Test
    void serviceTimesAreAnExponentiallyWeightedMeanPerFrame() {
        ServiceTimes times = new ServiceTimes();
        times.record(CompressionLevel.none(), 4, 40_000_000); // 10 ms per frame
        times.record(CompressionLevel.none(), 4, 80_000_000); // 20 ms per frame
        List<LoadSignals.ServiceTime> snapshot = times.snapshot();
        assertThat(snapshot).singleElement().satisfies(t -> {
            assertThat(t.msPerFrame()).isCloseTo(10 + ServiceTimes.ALPHA * 10, within(1e-9));
            assertThat(t.batches()).isEqualTo(2);
        });
        assertThat(times.snapshot()).isSameAs(snapshot);
    }

    @Test
    void arrivalRateCountsTheLastSecond() {
        ArrivalRate rate = new ArrivalRate();
        for (long t = 0; t < 1000; t += 10) {
            rate.record(t); // 100 frames in the first second
        }
        assertThat(rate.perSecond(999)).isEqualTo(100.0);
        assertThat(rate.perSecond(1450)).isEqualTo(50.0); // buckets 500..999 remain
        assertThat(rate.perSecond(5000)).isZero();
    }
}
