package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

/**
 * The adaptive policy driven by tables of signals with a manual clock, and in a closed loop
 * ({@link FluidLoop}) for the properties that need the plant: no oscillation, settling after a
 * burst.
 */
class AdaptivePolicyTest {

    /** The bundled demo model's ToMe ladder: none, tome:2, tome:4, tome:6. */
    static final Ladder LADDER = Ladder.of(
            CostModel.of(VitConfig.preset("vit_demo").geometry()),
            List.of(
                    CompressionLevel.none(),
                    CompressionLevel.tome(2),
                    CompressionLevel.tome(4),
                    CompressionLevel.tome(6)));

    /**
     * True service times of the loop tests: a fixed 2 ms plus 8 ms scaled by the MACs, so real
     * speed-ups fall short of the cost model's (capacities 100, 119, 145, 180 frames/s).
     */
    static final double[] TRUE_MS = trueMs();

    private static double[] trueMs() {
        double[] out = new double[LADDER.size()];
        double base = LADDER.rungs().get(0).predictedGmacs();
        for (int i = 0; i < out.length; i++) {
            out[i] = 2 + 8 * LADDER.rungs().get(i).predictedGmacs() / base;
        }
        return out;
    }

    private final AtomicLong clock = new AtomicLong(1_000_000);

    private LevelController controller(ControllerConfig config) {
        return LevelController.adaptive(config, clock::get);
    }

    private LevelController controller() {
        return controller(ControllerConfig.defaults(LADDER));
    }

    /** Every rung measured at its true time. */
    private static Map<Integer, Double> allMeasured() {
        Map<Integer, Double> m = new HashMap<>();
        for (int i = 0; i < TRUE_MS.length; i++) {
            m.put(i, TRUE_MS[i]);
        }
        return m;
    }

    private static LoadSignal signal(long ageMs, double arrival, Map<Integer, Double> measured) {
        return new LoadSignal(ageMs, 8, 0, 1, arrival, measured, LoadSignal.UNKNOWN);
    }

    /** One row: advance the clock, give a signal, expect a level (and a reason, if not null). */
    private record Row(long afterMs, long ageMs, double arrival, int expectedLevel, String reason) {}

    /** Feeds the rows in order, carrying the level along, and checks each answer. */
    private static void drive(LevelController c, AtomicLong clock, int start, Row... rows) {
        int level = start;
        for (int i = 0; i < rows.length; i++) {
            Row r = rows[i];
            clock.addAndGet(r.afterMs());
            Decision d = c.next(signal(r.ageMs(), r.arrival(), allMeasured()), level);
            assertThat(d.level()).as("row %d: %s -> %s", i, r, d).isEqualTo(r.expectedLevel());
            if (r.reason() != null) {
                assertThat(d.reason()).as("row %d: %s -> %s", i, r, d).isEqualTo(r.reason());
            }
            level = d.level();
        }
    }

    @Nested
    class Table {

        /** The defaults without demand smoothing, so each row's rate acts at once. */
        private LevelController controller() {
            return AdaptivePolicyTest.this.controller(
                    ControllerConfig.builder(LADDER).smoothing(Duration.ZERO).build());
        }

        @Test
        void stepsUpWhenTheArrivalRateOutgrowsTheLevelForTheDegradeDwell() {
            // Capacities 100, 119, 145, 180 frames/s; at 0.85 they cover 85, 101, 123, 153, and
            // 8 queued frames add 1.6 frames/s of drain demand.
            drive(
                    controller(),
                    clock,
                    0,
                    new Row(0, 100, 50, 0, "hold"),
                    new Row(100, 100, 80, 0, "hold"),
                    new Row(100, 100, 110, 0, "dwell"), // 111.6 > 101: rung 2 wanted from now
                    new Row(400, 100, 110, 0, "dwell"),
                    new Row(100, 100, 110, 2, "degrade"), // wanted for 500 ms: skips rung 1
                    new Row(100, 100, 140, 2, "dwell"), // wants 3, but 500 ms not yet held
                    new Row(500, 100, 140, 3, "degrade"));
        }

        @Test
        void aWallClockSteppedBackDoesNotFreezeDegradeOrRestore() {
            drive(
                    controller(),
                    clock,
                    0,
                    new Row(0, 100, 50, 0, "hold"),
                    new Row(100, 100, 110, 0, "dwell"),
                    new Row(500, 100, 110, 2, "degrade"),
                    new Row(-3_600_000, 100, 140, 2, "dwell"), // the clock steps back an hour
                    new Row(500, 100, 140, 3, "degrade"),
                    new Row(-3_600_000, 100, 50, 3, "dwell"), // and again: calm starts
                    new Row(5000, 100, 50, 0, "restore"));
        }

        @Test
        void ignoresARateSpikeShorterThanTheDegradeDwell() {
            drive(
                    controller(),
                    clock,
                    0,
                    new Row(0, 100, 50, 0, "hold"),
                    new Row(100, 100, 300, 0, "dwell"),
                    new Row(300, 100, 300, 0, "dwell"),
                    new Row(100, 100, 50, 0, "hold"),
                    new Row(100, 100, 300, 0, "dwell"), // the pressure starts over
                    new Row(400, 100, 300, 0, "dwell"));
        }

        @Test
        void stepsUpOnFrameAgeAloneWhenTheRateLooksFine() {
            // The rate looks covered (e.g. backlog hidden upstream), but the age is 1.5 s against a
            // 500 ms setpoint: error 1.0 rung proportional, and no waiting, since frames are late.
            drive(
                    controller(),
                    clock,
                    0,
                    new Row(0, 1500, 70, 1, "degrade"),
                    new Row(600, 2000, 70, 2, "degrade")); // 1.5 proportional + 0.45 integral
        }

        @Test
        void lateFramesAtAnIdleOperatorDoNotDegrade() {
            // 11.6 frames/s against 100/s at rung 0: the operator is 12 % busy, so frames that
            // arrive 3 s old were delayed before it (a stalled source, a starved machine).
            drive(
                    controller(),
                    clock,
                    0,
                    new Row(0, 3000, 10, 0, "hold"),
                    new Row(1000, 3000, 10, 0, "hold"),
                    new Row(1000, 3000, 60, 3, "degrade")); // 61.6 % busy: 2.5 + 1.25 rungs
        }

        @Test
        void restoresToTheLowestCoveringRungAfterARestoreDwellOfCalm() {
            // 30 frames/s (+ 8 queued / 5 s): every rung covers it with the restore margin, so
            // the way back from the top is one restore dwell, not one per rung.
            drive(
                    controller(),
                    clock,
                    3,
                    new Row(0, 100, 30, 3, "dwell"), // calm starts now
                    new Row(4900, 100, 30, 3, "dwell"),
                    new Row(100, 100, 30, 0, "restore"), // 5 s of calm
                    new Row(5000, 100, 30, 0, "hold"));
        }

        @Test
        void restoresOnlyAsFarAsTheRestoreMarginAllows() {
            // 85 frames/s (+1.6): rung 2 (145/s at 0.7: 101) covers it, rung 1 (119/s: 83) does
            // not, although it would at the target utilization (101): down to 2 and no further.
            drive(
                    controller(),
                    clock,
                    3,
                    new Row(0, 100, 85, 3, "dwell"),
                    new Row(5000, 100, 85, 2, "restore"),
                    new Row(1000, 100, 85, 2, "hysteresis"),
                    new Row(3000, 700, 100, 2, "hold"), // busy, frames late: rung 2 is right
                    new Row(10_000, 100, 85, 2, "hysteresis"));
        }

        @Test
        void aStaleSlowMeasurementOfALowerRungDoesNotBlockTheWayBack() {
            // Rung 2 last ran during a burst of contention and was measured at 30 ms a frame (33
            // frames/s, far below its true 145): taken at face value it would never cover 30
            // frames/s at the restore utilization (23 < 30), and as it does not run it is never
            // measured again. The fresh measurement at rung 3 scaled by the cost model bounds it.
            Map<Integer, Double> measured = allMeasured();
            measured.put(2, 30.0);
            LevelController c = controller();
            int level = 3;
            for (int i = 0; i <= 51; i++) {
                clock.addAndGet(100);
                level = c.next(signal(100, 30, measured), level).level();
            }
            // All the way down: rungs 1 and 0 are measured and cover 30 frames/s as well.
            assertThat(level).as("after 5.1 s of calm at 30 frames/s").isEqualTo(0);
        }

        @Test
        void anEstimatedLowerRungIsJudgedAtTheTargetUtilizationNotTheRestoreOne() {
            // As above, rung 2's own figure is stale (30 ms), so it is estimated from rung 3's
            // 5.55 ms by the MACs ratio: 7.7 ms, 130 frames/s. At 100 frames/s that covers the
            // target utilization (0.85: 111) but not the restore one (0.7: 91), which would hold
            // rung 3 for good at this light load (seen in the overload experiment at 0.5x).
            Map<Integer, Double> measured = allMeasured();
            measured.put(2, 30.0);
            LevelController c = controller();
            int level = 3;
            for (int i = 0; i <= 51; i++) {
                clock.addAndGet(100);
                level = c.next(signal(100, 100, measured), level).level();
            }
            assertThat(level).as("after 5.1 s of calm at 100 frames/s").isEqualTo(2);
        }

        @Test
        void doesNotStepDownInsideTheHysteresisBand() {
            // At rung 2, 90 frames/s: rung 1 (119/s) covers it at 0.85 (101) but not at the
            // restore utilization 0.7 (83): stay.
            drive(
                    controller(),
                    clock,
                    2,
                    new Row(0, 100, 90, 2, "hysteresis"),
                    new Row(10_000, 100, 90, 2, "hysteresis"),
                    new Row(100, 100, 80, 2, "dwell"), // 81.6 <= 83.3: calm from here
                    new Row(4800, 100, 80, 2, "dwell"),
                    new Row(100, 100, 80, 1, "restore"));
        }

        @Test
        void doesNotStepDownWhileFramesAreOlderThanTheSetpoint() {
            // 76.6 frames/s: rung 2 is 53 % busy, and rung 1 would cover it at 0.7.
            drive(
                    controller(),
                    clock,
                    2,
                    new Row(0, 600, 75, 2, "hysteresis"),
                    new Row(10_000, 600, 75, 2, "hysteresis"),
                    new Row(100, 450, 75, 2, "dwell"),
                    new Row(4900, 450, 75, 1, "restore"));
        }

        @Test
        void saturatesAtTheTopRung() {
            LevelController c = controller();
            int level = 0;
            for (int i = 0; i < 50; i++) {
                clock.addAndGet(100);
                Decision d = c.next(signal(3000, 400, allMeasured()), level);
                level = d.level();
                assertThat(d.level()).isBetween(0, LADDER.top());
                assertThat(d.shed()).as("shedding is off by default").isFalse();
            }
            Decision last = c.next(signal(3000, 400, allMeasured()), level);
            assertThat(last.level()).isEqualTo(LADDER.top());
            assertThat(last.reason()).isEqualTo("saturated");
            assertThat(last.feedForwardLevel()).isEqualTo(LADDER.size());
        }

        @Test
        void asksForSheddingOnlyAtTheTopRungWhileItDoesNotKeepUp() {
            LevelController c = AdaptivePolicyTest.this.controller(ControllerConfig.builder(LADDER)
                    .smoothing(Duration.ZERO)
                    .shedding(Shedding.deadline(Duration.ofSeconds(2)))
                    .build());
            assertThat(c.next(signal(100, 50, allMeasured()), 0).shed()).isFalse();
            clock.addAndGet(1000);
            assertThat(c.next(signal(3000, 400, allMeasured()), 0))
                    .satisfies(d -> assertThat(d.level()).isEqualTo(3))
                    .satisfies(d -> assertThat(d.shed()).isTrue());
            clock.addAndGet(1000);
            // Kept up again: the top rung covers 100 frames/s and the age is fine.
            assertThat(c.next(signal(100, 100, allMeasured()), 3).shed()).isFalse();
        }

        @Test
        void predictsUnmeasuredRungsFromTheNearestMeasuredOneAndTheCostModel() {
            // Only rung 0 ran (10 ms per frame): rung 2 is predicted at 10 × 0.613 = 6.1 ms, i.e.
            // 163 frames/s, which covers 120 at 0.85; rung 1 (124/s -> 105) does not.
            LevelController c = controller();
            Decision d = c.next(signal(100, 120, Map.of(0, 10.0)), 0);
            assertThat(d.feedForwardLevel()).isEqualTo(2);
            // Once rung 2 is measured slower (8 ms: 125/s -> 106), the feed-forward corrects.
            clock.addAndGet(1000);
            Decision corrected = c.next(signal(100, 120, Map.of(0, 10.0, 2, 8.0)), 2);
            assertThat(corrected.feedForwardLevel()).isEqualTo(3);
        }

        @Test
        void withNothingMeasuredOnlyTheFeedbackActs() {
            LevelController c = controller();
            Decision calm = c.next(signal(100, 10_000, Map.of()), 0);
            assertThat(calm.level()).isZero();
            assertThat(calm.feedForwardLevel()).isZero();
            clock.addAndGet(1000);
            assertThat(c.next(signal(2100, 10_000, Map.of()), 0).level()).isEqualTo(2);
        }

        @Test
        void aKnownUpstreamBacklogAddsDrainDemand() {
            LevelController c = controller();
            LoadSignal withBacklog = new LoadSignal(100, 8, 0, 1, 60, allMeasured(), 150); // +31.6 frames/s
            Decision d = c.next(withBacklog, 0);
            assertThat(d.demandPerSecond()).isEqualTo(60 + (150 + 8) / 5.0);
            assertThat(d.feedForwardLevel()).isEqualTo(1);
        }
    }

    @Nested
    class Smoothing {

        @Test
        void aOneBatchSpikeOfTheArrivalRateDoesNotMoveTheSmoothedDemand() {
            LevelController c = controller();
            Decision d = null;
            for (int i = 0; i < 100; i++) {
                clock.addAndGet(100);
                d = c.next(signal(100, 50, allMeasured()), 0);
            }
            assertThat(d.demandPerSecond()).isCloseTo(51.6, within(0.01));
            clock.addAndGet(100);
            d = c.next(signal(100, 500, allMeasured()), 0);
            // 1 - exp(-0.1 s / 2 s) of the step: 4.9 % of 450.
            assertThat(d.demandPerSecond()).isCloseTo(51.6 + 450 * (1 - Math.exp(-0.05)), within(0.01));
            assertThat(d.feedForwardLevel()).isZero();
        }
    }

    @Nested
    class AntiWindup {

        @Test
        void theIntegralDoesNotWindUpWhileTheOutputIsSaturated() {
            // Feedback only (nothing measured), a minute at 5 s of age: the output is saturated
            // from the first step, so the integral stays where it was.
            LevelController c = controller();
            int level = 0;
            double maxIntegral = 0;
            for (int t = 0; t < 600; t++) {
                clock.addAndGet(100);
                Decision d = c.next(signal(5000, 100, Map.of()), level);
                level = d.level();
                maxIntegral = Math.max(maxIntegral, d.integral());
            }
            assertThat(level).isEqualTo(LADDER.top());
            assertThat(maxIntegral).isLessThan(0.1);

            // The overload ends: back at rung 0 within three restore dwells plus a second.
            long end = clock.get();
            while (level > 0) {
                clock.addAndGet(100);
                level = c.next(signal(50, 20, Map.of()), level).level();
                assertThat(clock.get() - end).isLessThanOrEqualTo(3 * 5000 + 1000);
            }
        }

        @Test
        void theIntegralIsBoundedByTheLadder() {
            // Moderate age error that the proportional term alone does not act on, for long.
            LevelController c =
                    controller(ControllerConfig.builder(LADDER).kp(0).build());
            int level = 0;
            Decision d = null;
            for (int t = 0; t < 1200; t++) {
                clock.addAndGet(100);
                d = c.next(signal(700, 100, allMeasured()), level);
                level = d.level();
            }
            assertThat(d.integral()).isBetween(0.0, (double) LADDER.top());
            assertThat(level).isEqualTo(LADDER.top());
        }

        @Test
        void aPauseBetweenBatchesDoesNotKickTheIntegral() {
            LevelController c =
                    controller(ControllerConfig.builder(LADDER).kp(0).build());
            c.next(signal(700, 50, allMeasured()), 0);
            clock.addAndGet(3_600_000); // an hour without batches
            Decision d = c.next(signal(700, 50, allMeasured()), 0);
            assertThat(d.integral()).isCloseTo(0.5 * 0.2 * AdaptivePolicy.MAX_DT_SECONDS, within(1e-9));
        }
    }

    @Nested
    class ClosedLoop {

        @Test
        void noOscillationUnderSteadyLoadAtALevelBoundary() {
            for (long seed = 0; seed < 10; seed++) {
                FluidLoop loop = new FluidLoop(ControllerConfig.defaults(LADDER), TRUE_MS, seed < 5 ? 0 : 2.5, seed);
                // 1.0 x the capacity of rung 0 for five minutes (seeds 5-9: 2.5 ms unseen).
                loop.run(loop.capacity(0), 300_000);
                for (long minute = 0; minute < 5; minute++) {
                    assertThat(loop.changes(minute * 60_000, (minute + 1) * 60_000))
                            .as("seed %d, minute %d", seed, minute)
                            .isLessThanOrEqualTo(2);
                }
            }
        }

        @Test
        void noOscillationAtTheBoundaryOfEveryRung() {
            // Also where 2.5 ms of each frame's cost escapes the forward-pass timer, so the
            // operator has to learn its true capacities while frames pile up.
            for (double unseen : new double[] {0, 2.5}) {
                for (int rung = 0; rung < LADDER.size(); rung++) {
                    for (double factor : new double[] {0.7, 0.85, 1.0}) {
                        FluidLoop loop = new FluidLoop(ControllerConfig.defaults(LADDER), TRUE_MS, unseen, rung);
                        loop.run(loop.capacity(rung) * factor, 200_000);
                        // From a cold start at rung 0 the climb to a higher rung takes a few
                        // changes: count from 20 s on, in steady state.
                        for (long minute = 0; minute < 3; minute++) {
                            long from = 20_000 + minute * 60_000;
                            assertThat(loop.changes(from, from + 60_000))
                                    .as("unseen %.1f ms, rung %d x %.2f, minute %d", unseen, rung, factor, minute)
                                    .isLessThanOrEqualTo(2);
                        }
                    }
                }
            }
        }

        @Test
        void keepsTheAgeUnderTheTargetInA150PercentBurstAndReturnsToLevel0Within30s() {
            burstOfHalfAgain(0);
        }

        @Test
        void climbsWithinTheTransitionWhenTheForwardTimesUnderstateTheCostOfAFrame() {
            // Seen in the overload experiment: the forward pass promised 325 frames/s, the job
            // labelled 224-290, and the arrival rate the operator sees is capped by what it
            // labels (the rest waits in Kafka). Here 2.5 ms of every frame's cost is outside the
            // measured forward pass: rung 0 looks 33 % faster than it is, the top rung 2.2x.
            burstOfHalfAgain(2.5);
        }

        /**
         * 0.5x, 1.5x, 0.5x of rung 0's capacity, 60 s each, 5 seeds: p99 age under 1 s from 5 s
         * into the burst, and back at rung 0 for good within 30 s after it.
         */
        private void burstOfHalfAgain(double unseenMs) {
            for (long seed = 0; seed < 5; seed++) {
                FluidLoop loop = new FluidLoop(ControllerConfig.defaults(LADDER), TRUE_MS, unseenMs, seed);
                double c0 = loop.capacity(0);
                loop.run(0.5 * c0, 60_000);
                long burst = loop.nowMs();
                loop.run(1.5 * c0, 60_000);
                long calm = loop.nowMs();
                loop.run(0.5 * c0, 60_000);

                assertThat(loop.ageQuantile(burst + 5000, calm, 0.99))
                        .as("seed %d: p99 oldest-frame age after 5 s of burst", seed)
                        .isLessThan(1000);
                long settled = loop.settledAt(calm, 0);
                assertThat(settled).as("seed %d: never settled at rung 0", seed).isPositive();
                assertThat(settled - calm).as("seed %d: ms to rung 0", seed).isLessThanOrEqualTo(30_000);
            }
        }

        @Test
        void returnsToLevel0Within30sAfterAnOverloadBurst() {
            for (long seed = 0; seed < 5; seed++) {
                FluidLoop loop = new FluidLoop(ControllerConfig.defaults(LADDER), TRUE_MS, seed);
                double c0 = loop.capacity(0);
                loop.run(0.5 * c0, 30_000);
                loop.run(2.5 * c0, 20_000); // beyond the top rung: backlog builds for 20 s
                long calm = loop.nowMs();
                loop.run(0.5 * c0, 120_000);
                long settled = loop.settledAt(calm, 0);
                assertThat(settled).as("seed %d", seed).isPositive();
                // Draining a 20 s overload takes time of its own: measure from the drain's end.
                long drained = firstAgeBelow(loop, calm, 500);
                assertThat(settled - drained)
                        .as("seed %d: ms from drained to rung 0", seed)
                        .isLessThanOrEqualTo(30_000);
            }
        }

        private long firstAgeBelow(FluidLoop loop, long fromMs, long ageMs) {
            for (FluidLoop.Sample s : loop.samples) {
                if (s.nowMs() >= fromMs && s.ageMs() < ageMs) {
                    return s.nowMs();
                }
            }
            throw new AssertionError("the backlog never drained");
        }
    }
}
