package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

/** The start line's figure: how much overload a ladder absorbs, and what happens beyond it. */
class OverloadReachTest {

    private static final CostModel DEMO =
            CostModel.of(VitConfig.preset("vit_demo").geometry());

    private static final Shedding DEADLINE = Shedding.deadline(Duration.ofMillis(800));

    /** Measured ladder none, tome:3, evit:0.5 at 1.40x and 1.90x (made-up speeds; only the lookup matters). */
    private static MeasuredLadder measured() {
        LadderSelection.Result r = LadderSelection.select(
                List.of(
                        new LadderSelection.Measured("none", "none", 1.0, 0.9, null, 100),
                        new LadderSelection.Measured("tome:3", "tome", 0.7, 0.85, null, 140),
                        new LadderSelection.Measured("evit:0.5", "evit", 0.5, 0.8, null, 190)),
                List.of(1.25, 1.8, 4.0));
        return new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder --model m --images f",
                "2026-12-07T00:00:00Z",
                new MeasuredLadder.Machine("cpu", 2, "17"),
                new MeasuredLadder.Model("vit_demo", "ab12"),
                new MeasuredLadder.Data("frames", 10, false),
                8,
                MeasuredLadder.AGREEMENT,
                r.candidates(),
                r.rungs());
    }

    @Test
    void aMeasuredLadderAbsorbsItsTopRungsEndToEndSpeedup() {
        MeasuredLadder m = measured();
        OverloadReach r = OverloadReach.measured(m.ladder(DEMO), m, DEADLINE);
        assertThat(r.basis()).isEqualTo(OverloadReach.Basis.MEASURED);
        // 190 / 100 frames/s, as LadderSelection computed it; rounding of a double division only.
        assertThat(r.factor()).isCloseTo(1.9, within(1e-9));
        assertThat(r.describe("/models/cams"))
                .isEqualTo("overload: absorbs up to 1.90x the frame rate level none keeps up with, end to end"
                        + " (top rung evit:0.5), measured by `ladder` on 2026-12-07T00:00:00Z at batch 8;"
                        + " beyond that: frames older than 800 ms when their batch forms are skipped"
                        + " (vit.control.shed-mode = DEADLINE), each answered by a label record marked skipped");
    }

    @Test
    void aConfiguredOrDerivedLadderGivesTheCostModelsUpperBoundAndNamesTheLadderCommand() {
        Ladder ladder = Ladder.tomeSteps(DEMO, 3);
        OverloadReach r = OverloadReach.costModel(ladder, Shedding.off());
        assertThat(r.basis()).isEqualTo(OverloadReach.Basis.COST_MODEL);
        assertThat(r.factor())
                .isCloseTo(DEMO.gmacs(CompressionLevel.none()) / DEMO.gmacs(CompressionLevel.tome(6)), within(1e-12));
        assertThat(r.factor()).isGreaterThan(1);
        assertThat(r.describe("/models/cams"))
                .startsWith(String.format(
                        java.util.Locale.ROOT,
                        "overload: absorbs at most %.2fx the frame rate level none keeps up with, by the cost model"
                                + " alone (top rung tome:6",
                        r.factor()))
                .contains(
                        "a model-only upper bound, not measured",
                        "end to end it is usually lower",
                        "ladder --model /models/cams")
                .endsWith("beyond that: frame age grows without bound (shedding off, vit.control.shed-mode = OFF)");
    }

    @Test
    void aConfiguredTopRungTheMeasurementDidNotCoverFallsBackToTheCostModel() {
        Ladder configured = Ladder.parse(DEMO, "none;tome:6");
        OverloadReach r = OverloadReach.measured(configured, measured(), DEADLINE);
        assertThat(r.basis()).isEqualTo(OverloadReach.Basis.COST_MODEL);
        assertThat(r.top()).isEqualTo(CompressionLevel.tome(6));

        // A configured ladder whose top rung was measured (a candidate) gets the measured figure.
        OverloadReach known = OverloadReach.measured(Ladder.parse(DEMO, "none;tome:3"), measured(), DEADLINE);
        assertThat(known.basis()).isEqualTo(OverloadReach.Basis.MEASURED);
        assertThat(known.factor()).isCloseTo(1.4, within(1e-9));
    }

    @Test
    void theDefaultDeadlineIsDescribedByTheLatencyTarget() {
        assertThat(OverloadReach.measured(measured().ladder(DEMO), measured(), Shedding.auto())
                        .describe("/models/cams"))
                .endsWith("beyond that: frames whose age when their batch forms plus the top rung's measured"
                        + " batch time would pass 90 % of the latency target are skipped (vit.control.shed-mode ="
                        + " DEADLINE, vit.control.shed-deadline not set), each answered by a label record"
                        + " marked skipped");
    }

    @Test
    void aOneRungLadderAbsorbsNothingAndEveryShedModeIsNamed() {
        Ladder one = Ladder.parse(DEMO, "none");
        assertThat(OverloadReach.costModel(one, Shedding.latestPerStream()).describe("m"))
                .isEqualTo("overload: absorbs none: the ladder has one rung (none), so the controller cannot"
                        + " degrade; beyond that: only the newest waiting frame of each stream runs"
                        + " (vit.control.shed-mode = LATEST_PER_STREAM), the older ones answered by label"
                        + " records marked skipped");
        assertThat(OverloadReach.measured(one, measured(), Shedding.off()).factor())
                .isEqualTo(1.0);
    }
}
