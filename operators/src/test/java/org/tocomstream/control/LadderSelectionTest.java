package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

class LadderSelectionTest {

    private static LadderSelection.Measured m(String level, String family, double macs, double quality, double fps) {
        return new LadderSelection.Measured(level, family, macs, quality, null, fps);
    }

    private static final List<LadderSelection.Measured> MEASURED = List.of(
            m("none", "none", 1.0, 0.90, 100),
            m("tome:2", "tome", 0.80, 0.88, 120),
            m("tome:4", "tome", 0.60, 0.80, 160),
            m("evit:0.7", "evit", 0.62, 0.85, 155),
            m("evit:0.5", "evit", 0.45, 0.70, 150), // dominated by evit:0.7 and tome:4
            m("tome:6", "tome", 0.45, 0.75, 210));

    @Test
    void marksTheParetoFrontierOverQualityAndFramesPerSecond() {
        LadderSelection.Result r = LadderSelection.select(MEASURED, List.of(1.5));
        assertThat(r.candidates())
                .filteredOn(MeasuredLadder.Candidate::pareto)
                .extracting(MeasuredLadder.Candidate::level)
                .containsExactly("none", "tome:2", "tome:4", "evit:0.7", "tome:6");
        assertThat(r.candidates().get(2).speedup()).isEqualTo(1.6);
    }

    @Test
    void picksTheBestQualityThatReachesEachTargetAndReportsUnreachableOnes() {
        LadderSelection.Result r = LadderSelection.select(MEASURED, List.of(3.0, 1.5, 2.0, 1.2));
        assertThat(r.rungs())
                .extracting(MeasuredLadder.Rung::target, MeasuredLadder.Rung::level)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1.0, "none"),
                        org.assertj.core.groups.Tuple.tuple(1.2, "tome:2"),
                        org.assertj.core.groups.Tuple.tuple(1.5, "evit:0.7"),
                        org.assertj.core.groups.Tuple.tuple(2.0, "tome:6"),
                        org.assertj.core.groups.Tuple.tuple(3.0, null));
        MeasuredLadder.Rung unreachable = r.rungs().get(4);
        assertThat(unreachable.reachable()).isFalse();
        assertThat(unreachable.speedup()).isEqualTo(2.1); // the best speed-up seen: tome:6
        assertThat(unreachable.quality()).isNull();
    }

    @Test
    void onEqualQualityTheFasterCandidateWins() {
        List<LadderSelection.Measured> tied = List.of(
                m("none", "none", 1.0, 0.9, 100),
                m("tome:3", "tome", 0.7, 0.8, 150),
                m("idle:0.6", "idle", 0.7, 0.8, 170),
                m("gtp:2", "gtp", 0.75, 0.8, 140));
        assertThat(LadderSelection.select(tied, List.of(1.25)).rungs().get(1).level())
                .isEqualTo("idle:0.6");
    }

    @Test
    void aRungMustBeFasterThanTheRungBeforeNotCheaperInMacsOrBeTheSameLevel() {
        // evit:0.9 costs more MACs than the 1.5 rung tome:4 but is measured faster end to end
        // (fixed per-block overheads of merging): it is the better pick for 2.0.
        List<LadderSelection.Measured> measured = List.of(
                m("none", "none", 1.0, 0.9, 100),
                m("tome:4", "tome", 0.6, 0.86, 160),
                m("evit:0.9", "evit", 0.9, 0.85, 205),
                m("tome:6", "tome", 0.45, 0.7, 260));
        List<MeasuredLadder.Rung> rungs =
                LadderSelection.select(measured, List.of(1.5, 2.0)).rungs();
        assertThat(rungs.get(1).level()).isEqualTo("tome:4");
        assertThat(rungs.get(2).level()).isEqualTo("evit:0.9");
        List<LadderSelection.Measured> shared =
                List.of(m("none", "none", 1.0, 0.9, 100), m("tome:4", "tome", 0.6, 0.85, 210));
        assertThat(LadderSelection.select(shared, List.of(1.5, 2.0)).rungs())
                .extracting(MeasuredLadder.Rung::level)
                .containsExactly("none", "tome:4", "tome:4");
    }

    @Test
    void aLevelThatLosesMoreLabelsThanItGainsFramesIsNoRung() {
        // gtp:14 reaches 1.5x but keeps 0.6 of its labels right: 0.6 x 1.52 = 0.91 correct labels
        // per none-frame-time, fewer than tome-decreasing:6 delivers with its overflow skipped
        // (0.986 x 1.31 = 1.29); evit:0.28 (0.9 x 1.51 = 1.36) is worth it.
        List<LadderSelection.Measured> measured = List.of(
                m("none", "none", 1.0, 1.0, 100),
                m("tome-decreasing:6", "tome-decreasing", 0.7, 0.986, 131),
                m("gtp:14", "gtp", 0.55, 0.6, 152),
                m("evit:0.28", "evit", 0.6, 0.9, 151));
        assertThat(LadderSelection.select(measured, List.of(1.25, 1.5)).rungs())
                .extracting(MeasuredLadder.Rung::level)
                .containsExactly("none", "tome-decreasing:6", "evit:0.28");
        // Without evit:0.28 the 1.5x target is unreachable although gtp:14 reaches its speed.
        List<MeasuredLadder.Rung> without = LadderSelection.select(measured.subList(0, 3), List.of(1.25, 1.5))
                .rungs();
        assertThat(without.get(2).reachable()).isFalse();
        assertThat(without.get(2).speedup()).isEqualTo(1.52);
        // On its own against none, gtp:14 is worth it neither: 0.91 < 1.0.
        assertThat(LadderSelection.select(List.of(measured.get(0), measured.get(2)), List.of(1.5))
                        .rungs()
                        .get(1)
                        .reachable())
                .isFalse();
    }

    @Test
    void theControllersLadderIsCostedByTheMeasuredSpeedups() {
        LadderSelection.Result r = LadderSelection.select(MEASURED, List.of(1.2, 1.5, 2.0));
        MeasuredLadder ladder = new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder",
                "2026-12-07T00:00:00Z",
                new MeasuredLadder.Machine("cpu", 2, "17"),
                new MeasuredLadder.Model("vit_demo", "ab12"),
                new MeasuredLadder.Data("generator", 24, true),
                8,
                MeasuredLadder.TOP1,
                r.candidates(),
                r.rungs());
        CostModel cost = CostModel.of(VitConfig.preset("vit_demo").geometry());
        double none = cost.gmacs(CompressionLevel.none());
        Ladder controller = ladder.ladder(cost);
        assertThat(controller.toString()).isEqualTo("none;tome:2;evit:0.7;tome:6");
        // none / 1.2, 1.55 and 2.1 (the measured speed-ups), not the MACs 0.80, 0.62, 0.45.
        assertThat(controller.rungs())
                .extracting(Ladder.Rung::predictedGmacs)
                .containsExactly(none, none / 1.2, none / 1.55, none / 2.1);
        // A file whose rungs are not ordered by speed-up (written by the MACs-ordered selection)
        // is refused, naming the rung.
        MeasuredLadder old = new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder",
                "2026-12-07T00:00:00Z",
                ladder.machine(),
                ladder.model(),
                ladder.data(),
                8,
                MeasuredLadder.TOP1,
                r.candidates(),
                List.of(
                        new MeasuredLadder.Rung(1.0, "none", 1.0, 0.9),
                        new MeasuredLadder.Rung(1.5, "tome:6", 2.1, 0.75),
                        new MeasuredLadder.Rung(2.0, "evit:0.7", 1.55, 0.85)));
        assertThatThrownBy(() -> old.ladder(cost))
                .hasMessageContaining("evit:0.7 (1.55x) is not faster than the rung before, tome:6 (2.10x)");
    }

    @Test
    void refusesAMissingNoneAndTargetsNotAboveOne() {
        assertThatThrownBy(() -> LadderSelection.select(MEASURED.subList(1, 3), List.of(1.5)))
                .hasMessageContaining("none");
        assertThatThrownBy(() -> LadderSelection.select(MEASURED, List.of(1.0))).hasMessageContaining("above 1");
    }

    @Test
    void roundTripsThroughJsonWithTheFixedFieldNames() {
        LadderSelection.Result r = LadderSelection.select(MEASURED, List.of(1.5, 3.0));
        MeasuredLadder ladder = new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder --model m --generator",
                "2026-12-07T00:00:00Z",
                new MeasuredLadder.Machine("cpu", 2, "17"),
                new MeasuredLadder.Model("vit_test_tiny", "ab12"),
                new MeasuredLadder.Data("generator", 24, true),
                8,
                MeasuredLadder.TOP1,
                r.candidates(),
                r.rungs());
        String json = ladder.toJson();
        JsonObject root = JsonParser.parseString(json).getAsJsonObject();
        assertThat(root.getAsJsonObject("model").get("weightsSha256").getAsString())
                .isEqualTo("ab12");
        assertThat(root.getAsJsonArray("rungs")
                        .get(0)
                        .getAsJsonObject()
                        .get("level")
                        .getAsString())
                .isEqualTo("none");
        assertThat(root.getAsJsonArray("rungs")
                        .get(2)
                        .getAsJsonObject()
                        .get("level")
                        .isJsonNull())
                .isTrue();
        MeasuredLadder back = MeasuredLadder.fromJson(json);
        assertThat(back).isEqualTo(ladder);
        assertThat(back.levels()).containsExactly(CompressionLevel.none(), CompressionLevel.evit(0.7));
        assertThat(back.unreachable()).containsExactly(3.0);
        CostModel cost = CostModel.of(VitConfig.preset("vit_demo").geometry());
        assertThat(back.ladder(cost).toString()).isEqualTo("none;evit:0.7");
    }

    @Test
    void readingRefusesOtherVersionsAndMissingParts() {
        assertThatThrownBy(() -> MeasuredLadder.fromJson("{\"schemaVersion\": 2, \"model\": {\"weightsSha256\": \"a\"},"
                        + " \"candidates\": [], \"rungs\": [{\"level\": \"none\"}]}"))
                .hasMessageContaining("schemaVersion 2");
        assertThatThrownBy(() -> MeasuredLadder.fromJson("{\"schemaVersion\": 1, \"candidates\": [], \"rungs\": []}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model");
        assertThatThrownBy(() -> MeasuredLadder.fromJson("[1]")).isInstanceOf(IllegalArgumentException.class);
    }
}
