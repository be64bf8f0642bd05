package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

class ControllerConfigTest {

    private static final CostModel DEMO =
            CostModel.of(VitConfig.preset("vit_demo").geometry());
    private static final Ladder LADDER = Ladder.parse(DEMO, "none;tome:2;tome:4;tome:6");

    private static void rejects(UnaryOperator<ControllerConfig.Builder> change, String setting) {
        assertThatThrownBy(() -> change.apply(ControllerConfig.builder(LADDER)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(setting);
    }

    @Test
    void defaults() {
        ControllerConfig c = ControllerConfig.defaults(LADDER);
        assertThat(c.latencyTarget()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.ageSetpointMs()).isEqualTo(500);
        assertThat(c.targetUtilization()).isEqualTo(0.85);
        assertThat(c.restoreUtilization()).isEqualTo(0.7);
        assertThat(c.smoothing()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.drainHorizon()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.busyUtilization()).isEqualTo(0.5);
        assertThat(c.degradeDwell()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.restoreDwell()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.shedding().mode()).isEqualTo(Shedding.Mode.OFF);
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void everyBadSettingIsNamed() {
        rejects(b -> b.latencyTarget(Duration.ZERO), ControllerConfig.LATENCY_TARGET);
        rejects(b -> b.ageSetpoint(0), ControllerConfig.AGE_SETPOINT);
        rejects(b -> b.ageSetpoint(1.5), ControllerConfig.AGE_SETPOINT);
        rejects(b -> b.targetUtilization(1.2), ControllerConfig.TARGET_UTILIZATION);
        rejects(b -> b.targetUtilization(Double.NaN), ControllerConfig.TARGET_UTILIZATION);
        rejects(b -> b.restoreUtilization(0.9), ControllerConfig.RESTORE_UTILIZATION);
        rejects(b -> b.smoothing(Duration.ofMillis(-1)), ControllerConfig.SMOOTHING);
        rejects(b -> b.drainHorizon(Duration.ZERO), ControllerConfig.DRAIN_HORIZON);
        rejects(b -> b.busyUtilization(1.1), ControllerConfig.BUSY_UTILIZATION);
        rejects(b -> b.kp(-1), ControllerConfig.KP);
        rejects(b -> b.ki(Double.POSITIVE_INFINITY), ControllerConfig.KI);
        rejects(b -> b.degradeDwell(Duration.ofMillis(-1)), ControllerConfig.DEGRADE_DWELL);
        rejects(b -> b.restoreDwell(Duration.ofMillis(100)), ControllerConfig.RESTORE_DWELL);
        rejects(b -> b.shedding(Shedding.deadline(Duration.ofMillis(400))), Shedding.DEADLINE);
        assertThatThrownBy(() -> ControllerConfig.builder(null).build()).hasMessageContaining(Ladder.SETTING);
        assertThatThrownBy(() -> new Shedding(Shedding.Mode.DEADLINE, Duration.ZERO))
                .hasMessageContaining(Shedding.DEADLINE);
    }

    @Test
    void survivesJavaSerializationAsFlinkShipsIt() throws Exception {
        ControllerConfig c = ControllerConfig.builder(LADDER)
                .shedding(Shedding.latestPerStream())
                .build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(c);
        }
    }

    @Test
    void theLadderIsCostedByTheCostModel() {
        assertThat(LADDER.size()).isEqualTo(4);
        assertThat(LADDER.rungs().get(0).predictedGmacs()).isEqualTo(DEMO.gmacs(CompressionLevel.none()));
        assertThat(LADDER.rungs().get(3).predictedGmacs()).isEqualTo(DEMO.gmacs(CompressionLevel.tome(6)));
        assertThat(LADDER.indexOf(CompressionLevel.tome(4))).isEqualTo(2);
        assertThat(LADDER.indexOf(CompressionLevel.evit(0.7))).isEqualTo(-1);
        assertThat(Ladder.parse(DEMO, LADDER.toString())).isEqualTo(LADDER);
    }

    @Test
    void theDerivedToMeLadderOfTheDemoModelIsNoneTwoFourSix() {
        assertThat(Ladder.largestMergingR(VitConfig.preset("vit_demo").geometry()))
                .isEqualTo(6);
        assertThat(Ladder.tomeSteps(DEMO, 3).toString()).isEqualTo("none;tome:2;tome:4;tome:6");
    }

    @Test
    void aLadderMustGetCheaperAtEveryRung() {
        assertThatThrownBy(() -> Ladder.parse(DEMO, "tome:4;tome:2"))
                .hasMessageContaining(Ladder.SETTING)
                .hasMessageContaining("tome:2");
        assertThatThrownBy(() -> Ladder.parse(DEMO, "none;tome:2;tome:2")).hasMessageContaining("appears twice");
        assertThatThrownBy(() -> Ladder.parse(DEMO, "none;tome:x"))
                .hasMessageContaining(Ladder.SETTING)
                .hasMessageContaining("tome:x");
        assertThatThrownBy(() -> new Ladder(List.of())).hasMessageContaining("at least one");
    }

    @Test
    void sheddingPicksFramesPurely() {
        List<String> streams = List.of("a", "b", "a", "c", "a");
        long[] captured = {0, 100, 200, 300, 400};
        assertThat(Shedding.off().skip(5000, captured, streams)).containsOnly(false);
        assertThat(Shedding.deadline(Duration.ofMillis(4750)).skip(5000, captured, streams))
                .containsExactly(true, true, true, false, false); // ages 5000 to 4600 ms
        assertThat(Shedding.latestPerStream().skip(5000, captured, streams))
                .containsExactly(true, false, true, false, false);
    }

    @Test
    void signalsRejectValuesNoOperatorMeasures() {
        assertThatThrownBy(() -> new LoadSignal(0, -1, 0, 1, 0, Map.of(), LoadSignal.UNKNOWN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoadSignal(0, 0, 0, 0, 0, Map.of(), LoadSignal.UNKNOWN))
                .hasMessageContaining("concurrency");
        assertThatThrownBy(() -> new LoadSignal(0, 0, 0, 1, Double.NaN, Map.of(), LoadSignal.UNKNOWN))
                .hasMessageContaining("arrival rate");
        assertThatThrownBy(() -> new LoadSignal(0, 0, 0, 1, 0, Map.of(1, 0.0), LoadSignal.UNKNOWN))
                .hasMessageContaining("rung 1");
    }
}
