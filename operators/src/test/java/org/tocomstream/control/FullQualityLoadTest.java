package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FullQualityLoadTest {

    // Exact arithmetic on small decimals: only rounding error.
    private static final double EPS = 1e-12;

    @Test
    void isTheArrivingRateTimesTheTimePerFrameOverTheConcurrency() {
        assertThat(FullQualityLoad.of(95.0, 9.8, 1, 0)).isCloseTo(0.931, within(EPS));
        assertThat(FullQualityLoad.of(200.0, 10.0, 2, 0)).isCloseTo(1.0, within(EPS));
        assertThat(FullQualityLoad.of(100.0, 8.0, 1, 2.0)).isCloseTo(1.0, within(EPS));
        assertThat(FullQualityLoad.of(0, 8.0, 1, 0)).isZero();
    }

    @Test
    void isUnknownBeforeRung0sTimeIsKnown() {
        assertThat(FullQualityLoad.of(100, Double.NaN, 1, 0)).isNaN();
    }

    @Test
    void rejectsImpossibleInputsNamingThem() {
        assertThatThrownBy(() -> FullQualityLoad.of(-1, 5, 1, 0)).hasMessageContaining("frames per second");
        assertThatThrownBy(() -> FullQualityLoad.of(1, 0, 1, 0)).hasMessageContaining("ms per frame");
        assertThatThrownBy(() -> FullQualityLoad.of(1, 5, 0, 0)).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> FullQualityLoad.of(1, 5, 1, -1)).hasMessageContaining("unseen");
    }

    @Test
    void theControllersDecisionCarriesTheLoadAtRung0WhileItCompresses() {
        AtomicLong clock = new AtomicLong(1_000_000);
        LevelController controller =
                LevelController.adaptive(ControllerConfig.defaults(AdaptivePolicyTest.LADDER), clock::get);
        // 200 frames/s at rung 2, rung 0 measured at 6.5 ms: 1.3 at full quality, whatever the
        // level (6.5 ms is within the fresh bound, rung 2's 6 ms scaled by the MACs ratio).
        LoadSignal signal = new LoadSignal(100, 8, 0, 1, 200, Map.of(0, 6.5, 2, 6.0), LoadSignal.UNKNOWN);
        Decision d = controller.next(signal, 2);
        assertThat(d.fullQualityLoad()).isCloseTo(1.3, within(EPS));
    }

    @Test
    void theControllerPredictsRung0FromTheRungThatRanByTheLaddersCostRatio() {
        AtomicLong clock = new AtomicLong(1_000_000);
        Ladder ladder = AdaptivePolicyTest.LADDER;
        LevelController controller = LevelController.adaptive(ControllerConfig.defaults(ladder), clock::get);
        LoadSignal signal = new LoadSignal(100, 8, 0, 1, 100, Map.of(3, 5.0), LoadSignal.UNKNOWN);
        double ratio =
                ladder.rungs().get(0).predictedGmacs() / ladder.rungs().get(3).predictedGmacs();
        assertThat(controller.next(signal, 3).fullQualityLoad()).isCloseTo(100 * 5.0 * ratio / 1000, within(EPS));
    }

    @Test
    void isUnknownInTheDecisionBeforeAnyRungRan() {
        LevelController controller =
                LevelController.adaptive(ControllerConfig.defaults(AdaptivePolicyTest.LADDER), () -> 0L);
        LoadSignal signal = new LoadSignal(100, 8, 0, 1, 100, Map.of(), LoadSignal.UNKNOWN);
        assertThat(controller.next(signal, 0).fullQualityLoad()).isNaN();
    }
}
