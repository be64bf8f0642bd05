package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

/**
 * The DEADLINE rule's age limit, pure: a manual clock (the batch's formation time), capture times
 * and given batch times. Defaults: latency target 1 s, age setpoint 500 ms.
 */
class SheddingTest {

    private static final Ladder LADDER =
            Ladder.parse(CostModel.of(VitConfig.preset("vit_demo").geometry()), "none;tome:2;tome:4;tome:6");

    private static final List<String> STREAMS = List.of("a", "b", "c");

    /** The manual clock: the time the batch forms, epoch ms. */
    private long nowMs = 1_000_000;

    private ControllerConfig config(Shedding shedding) {
        return ControllerConfig.builder(LADDER).shedding(shedding).build();
    }

    /** Skip flags for frames of the given ages, batches of {@code batchMs} with none ahead. */
    private boolean[] skip(Shedding shedding, double batchMs, long... agesMs) {
        long[] captured = new long[agesMs.length];
        for (int i = 0; i < agesMs.length; i++) {
            captured[i] = nowMs - agesMs[i];
        }
        long limit = config(shedding).shedAgeLimitMs(Shedding.leaveAfterMs(batchMs, 0, 1));
        return shedding.skip(nowMs, captured, STREAMS.subList(0, agesMs.length), limit);
    }

    @Test
    void autoSkipsAFrameWhoseLabelWouldLeaveAfterTheTargetAndAFixedDeadlineKeepsIt() {
        // 350 ms batches: a 700 ms-old frame would leave at 1050 ms, past the 1 s target.
        assertThat(skip(Shedding.auto(), 350, 700)).containsExactly(true);
        assertThat(skip(Shedding.deadline(Duration.ofMillis(800)), 350, 700)).containsExactly(false);

        // 250 ms batches: the limit is 1000 ms less the delivery margin (100 ms) less 250 ms. A
        // 660 ms-old frame would leave at 910 ms, inside the margin; auto skips it and keeps the
        // 650 ms one (leaves at 900 ms); the fixed 800 ms keeps both.
        assertThat(Shedding.DELIVERY_MARGIN).isEqualTo(0.1);
        assertThat(config(Shedding.auto()).shedAgeLimitMs(250)).isEqualTo(650);
        assertThat(skip(Shedding.auto(), 250, 660, 650, 600)).containsExactly(true, false, false);
        assertThat(skip(Shedding.deadline(Duration.ofMillis(800)), 250, 660, 600))
                .containsExactly(false, false);
    }

    @Test
    void theSameFramesAreJudgedAgainWhenALaterBatchForms() {
        Shedding auto = Shedding.auto();
        long limit = config(auto).shedAgeLimitMs(Shedding.leaveAfterMs(250, 0, 1));
        long[] captured = {nowMs - 600, nowMs - 500};
        assertThat(auto.skip(nowMs, captured, List.of("a", "b"), limit)).containsExactly(false, false);
        nowMs += 100; // 700 and 600 ms old now: past the 650 ms limit, and not
        assertThat(auto.skip(nowMs, captured, List.of("a", "b"), limit)).containsExactly(true, false);
        Shedding fixed = Shedding.deadline(Duration.ofMillis(800));
        assertThat(fixed.skip(nowMs, captured, List.of("a", "b"))).containsExactly(false, false);
        nowMs += 101; // 801 ms: past the fixed deadline
        assertThat(fixed.skip(nowMs, captured, List.of("a", "b"))).containsExactly(true, false);
    }

    @Test
    void aFractionalBatchTimeRoundsTheLimitDown() {
        // 250.4 ms: a frame of 650 ms would leave at 900.4 ms, inside the delivery margin.
        assertThat(config(Shedding.auto()).shedAgeLimitMs(250.4)).isEqualTo(649);
    }

    @Test
    void aBatchThatMustWaitForAnotherAddsItsTime() {
        // One batch at a time, one in flight: this one starts after it, 500 ms in all.
        assertThat(Shedding.leaveAfterMs(250, 1, 1)).isEqualTo(500);
        // Two slots, one taken: it runs at once beside it.
        assertThat(Shedding.leaveAfterMs(250, 1, 2)).isEqualTo(250);
        // Two slots, three in flight: it starts with the third once the first two finish.
        assertThat(Shedding.leaveAfterMs(250, 3, 2)).isEqualTo(500);
        // Two slots, four in flight: it starts after the third and fourth, two rounds later.
        assertThat(Shedding.leaveAfterMs(250, 4, 2)).isEqualTo(750);
        assertThat(Shedding.leaveAfterMs(250, 0, 1)).isEqualTo(250);
        assertThat(Shedding.leaveAfterMs(Double.NaN, 2, 1)).isNaN();
        assertThatThrownBy(() -> Shedding.leaveAfterMs(250, 0, 0)).hasMessageContaining("concurrency");
    }

    @Test
    void autoNeverSkipsAFrameTheControllerCountsAsOnTime() {
        // 600 ms batches would put the limit at 300 ms, below the 500 ms setpoint: floored there.
        ControllerConfig c = config(Shedding.auto());
        assertThat(c.shedAgeLimitMs(600)).isEqualTo(501);
        assertThat(c.shedAgeLimitMs(Shedding.leaveAfterMs(250, 1, 1))).isEqualTo(501);
        assertThat(skip(Shedding.auto(), 600, 500, 502)).containsExactly(false, true);
        // A longer target moves the floor with the setpoint (half of it by default).
        ControllerConfig longer = ControllerConfig.builder(LADDER)
                .latencyTarget(Duration.ofSeconds(3))
                .shedding(Shedding.auto())
                .build();
        assertThat(longer.shedAgeLimitMs(250)).isEqualTo(2450);
        assertThat(longer.shedAgeLimitMs(2000)).isEqualTo(1501);
    }

    @Test
    void beforeTheRungRanAutoUsesFourFifthsOfTheTarget() {
        assertThat(config(Shedding.auto()).shedAgeLimitMs(Double.NaN)).isEqualTo(800);
        assertThat(Shedding.defaultDeadline(Duration.ofSeconds(3))).isEqualTo(Duration.ofMillis(2400));
        // With a setpoint above 80 % of the target the floor wins there too.
        ControllerConfig high = ControllerConfig.builder(LADDER)
                .ageSetpoint(0.9)
                .shedding(Shedding.auto())
                .build();
        assertThat(high.shedAgeLimitMs(Double.NaN)).isEqualTo(901);
    }

    @Test
    void aFixedDeadlineIgnoresThePredictionAndStillMustExceedTheSetpoint() {
        ControllerConfig fixed = config(Shedding.deadline(Duration.ofMillis(800)));
        assertThat(fixed.shedAgeLimitMs(250)).isEqualTo(800);
        assertThat(fixed.shedAgeLimitMs(900)).isEqualTo(800);
        assertThat(fixed.shedAgeLimitMs(Double.NaN)).isEqualTo(800);
        assertThatThrownBy(() -> config(Shedding.deadline(Duration.ofMillis(500))))
                .hasMessageContaining(Shedding.DEADLINE);
        // Auto has no value to check against the setpoint.
        assertThat(config(Shedding.auto()).shedding().deadline()).isNull();
    }

    @Test
    void autoIsTheDeadlineModeWithoutADeadline() {
        assertThat(Shedding.auto().mode()).isEqualTo(Shedding.Mode.DEADLINE);
        assertThat(Shedding.auto().isAuto()).isTrue();
        assertThat(Shedding.deadline(Duration.ofMillis(800)).isAuto()).isFalse();
        assertThat(Shedding.off().isAuto()).isFalse();
        assertThat(Shedding.latestPerStream().isAuto()).isFalse();
        assertThatThrownBy(() -> Shedding.deadline(null)).hasMessageContaining(Shedding.DEADLINE);
        // The three-argument form has no prediction to derive a limit from.
        assertThatThrownBy(() -> Shedding.auto().skip(nowMs, new long[] {0}, List.of("a")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Shedding.DEADLINE);
        assertThatThrownBy(() -> Shedding.off().ageLimitMs(Duration.ofSeconds(1), 500, 250))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Shedding.MODE);
    }
}
